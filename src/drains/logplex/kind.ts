// The syslog+http(s):// drain kind: logplex frames through the shared engine,
// with the shared status rules (outcome.ts: classifyStatus).
import { BatchDrain, type BatchCodec } from '../batch/batch-drain';
import { classifyStatus } from '../batch/outcome';
import type { DrainKind } from '../url';
import { logplexParams, parseLogplexUrl, type LogplexDrainOptions } from './config';
import { encodeLogplex } from './encoder';

export function logplexCodec(token: string): BatchCodec {
  return {
    encode: (b) => encodeLogplex(b, token),
    bodyLimit: () => 0,
    classify: (res, _b, now) => classifyStatus(res.status, res.headers['retry-after'], now),
  };
}

export const logplexDrainKind: DrainKind<LogplexDrainOptions> = {
  kind: 'logplex',
  schemes: ['syslog+http', 'syslog+https'],
  params: logplexParams,
  parse: parseLogplexUrl,
  create: (spec, ctx) => new BatchDrain(spec, ctx, logplexCodec(spec.options.token)),
};
