// The Elasticsearch drain kind: NDJSON _bulk requests through the shared
// engine; per-item results decide what is retried alone and what is dropped.
import { BatchDrain, type BatchCodec } from '../batch/batch-drain';
import type { DrainKind } from '../url';
import { BULK_BODY_LIMIT, classifyBulk } from './classify';
import { esParams, esSchemes, parseEsUrl, type EsDrainOptions } from './config';
import { encodeBulk, type BulkOptions } from './encoder';

export function bulkCodec(opts: BulkOptions): BatchCodec {
  return {
    encode: (b) => ({ body: encodeBulk(b, opts), headers: { 'content-type': 'application/x-ndjson' } }),
    bodyLimit: (status) => (status >= 200 && status < 300 ? BULK_BODY_LIMIT : 0),
    classify: classifyBulk,
  };
}

export const esDrainKind: DrainKind<EsDrainOptions> = {
  kind: 'elasticsearch',
  schemes: esSchemes,
  params: esParams,
  parse: parseEsUrl,
  create: (spec, ctx) => new BatchDrain(spec, ctx, bulkCodec({ index: spec.options.index })),
};
