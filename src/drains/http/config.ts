// http(s):// drain URLs: https://[user:password@]host[:port]/path[?batch params]
// POSTs JSON arrays of events to the URL's path; user:password becomes Basic
// auth. Batch parameters: see ../batch/options.ts. The URL cannot carry a query
// string of its own for the destination: every parameter is read as ours.
import type { HttpFamilyOptions } from '../batch/batch-drain';
import { batchParams, httpTarget, parseBatchParams } from '../batch/options';
import { drainUrlError } from '../url';

export type HttpDrainOptions = HttpFamilyOptions;

export const httpParams = [...batchParams] as const;

export function parseHttpUrl(u: URL, scheme: string): HttpDrainOptions {
  if (scheme !== 'http' && scheme !== 'https') throw drainUrlError(u.toString(), `scheme ${scheme} is not an http drain`);
  return { target: httpTarget(u, scheme === 'https'), batch: parseBatchParams(u) };
}
