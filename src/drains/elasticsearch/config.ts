// Elasticsearch drain URLs, with logtrain's schemes:
//   es+https://user:pass@host[:port][/path]?auth=basic|bearer|apikey&index=...&insecure=true
//   es+http://, elasticsearch+https://, elasticsearch+http://
//   es://, elasticsearch://  (https)
// Requests go to <path>/_bulk (a path already ending in /_bulk is kept).
// auth (only with a password in the URL; default basic):
//   basic   Authorization: Basic base64(user:password)
//   bearer  Authorization: Bearer <password>
//   apikey  Authorization: ApiKey base64(user:password)   (id:api_key)
// index: an index name or date pattern (index-name.ts); default: per message,
// from its hostname. Batch parameters (gzip, timeout, ...): ../batch/options.ts.
import type { HttpFamilyOptions } from '../batch/batch-drain';
import { batchParams, httpTarget, parseBatchParams } from '../batch/options';
import { drainUrlError } from '../url';
import { IndexNamer } from './index-name';

export interface EsDrainOptions extends HttpFamilyOptions {
  index: IndexNamer | null;
  auth: 'none' | 'basic' | 'bearer' | 'apikey';
}

export const esSchemes = ['es', 'es+http', 'es+https', 'elasticsearch', 'elasticsearch+http', 'elasticsearch+https'] as const;
export const esParams = [...batchParams, 'auth', 'index'] as const;

// Ask ES for only what the classifier reads: keeps 2xx answers small.
const FILTER_PATH = 'filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason';

export function parseEsUrl(u: URL, scheme: string): EsDrainOptions {
  const raw = u.toString();
  if (!(esSchemes as readonly string[]).includes(scheme)) throw drainUrlError(raw, `scheme ${scheme} is not an Elasticsearch drain`);
  const target = httpTarget(u, !scheme.endsWith('+http'));
  const path = target.path.replace(/\/+$/, '');
  target.path = (path.endsWith('/_bulk') ? path : path + '/_bulk') + '?' + FILTER_PATH;
  const a = (u.searchParams.get('auth') ?? 'basic').toLowerCase();
  if (a !== 'basic' && a !== 'bearer' && a !== 'apikey') throw drainUrlError(raw, 'auth must be basic, bearer or apikey');
  const password = decodeURIComponent(u.password);
  const user = decodeURIComponent(u.username);
  let auth: EsDrainOptions['auth'] = 'none';
  if (password !== '') {
    auth = a;
    if (a === 'bearer') target.authorization = `Bearer ${password}`;
    else if (a === 'apikey') target.authorization = 'ApiKey ' + Buffer.from(`${user}:${password}`).toString('base64');
  } else if (u.searchParams.has('auth')) {
    throw drainUrlError(raw, 'auth needs user:password in the URL (bearer: the password is the token)');
  }
  let index: IndexNamer | null = null;
  const pattern = u.searchParams.get('index');
  if (pattern !== null) {
    try {
      index = new IndexNamer(pattern);
    } catch (err) {
      throw drainUrlError(raw, (err as Error).message);
    }
  }
  return { target, batch: parseBatchParams(u), index, auth };
}
