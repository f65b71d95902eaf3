// The http(s):// drain kind: JSON events in batches through the shared engine,
// with the shared status rules (outcome.ts: classifyStatus).
import { BatchDrain, type BatchCodec } from '../batch/batch-drain';
import { classifyStatus } from '../batch/outcome';
import type { DrainKind } from '../url';
import { httpParams, parseHttpUrl, type HttpDrainOptions } from './config';
import { encodeJsonBatch } from './encoder';

export const jsonCodec: BatchCodec = {
  encode: (b) => ({ body: encodeJsonBatch(b), headers: { 'content-type': 'application/json' } }),
  bodyLimit: () => 0,
  classify: (res, _b, now) => classifyStatus(res.status, res.headers['retry-after'], now),
};

export const httpDrainKind: DrainKind<HttpDrainOptions> = {
  kind: 'http',
  schemes: ['http', 'https'],
  params: httpParams,
  parse: parseHttpUrl,
  create: (spec, ctx) => new BatchDrain(spec, ctx, jsonCodec),
};
