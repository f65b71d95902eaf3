// Loads the access-log service from proto/ (our hand-written subset of
// Envoy's API) once per process. Loader options decide the decoded shapes
// described in types.ts.
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SwitchyardError } from '../../errors';

const ALS_PROTO = 'envoy/service/accesslog/v3/als.proto';
export const ALS_SERVICE = 'envoy.service.accesslog.v3.AccessLogService';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number, // byte counts and seconds fit easily in 2^53
  enums: String,
  defaults: false, // unset fields stay absent, so "not sent" is visible
  oneofs: true,
};

/**
 * The repository's proto/ folder. Found by walking up from this file, so it
 * works from src/ (ts) and dist/src/ (compiled) alike.
 */
export function findProtoDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'proto', ALS_PROTO))) return path.join(dir, 'proto');
    const up = path.dirname(dir);
    if (up === dir) {
      throw new SwitchyardError(
        'SY_ERR_ENVOY_PROTO',
        `The Envoy input cannot find proto/${ALS_PROTO} above ${from}; the install is incomplete.`,
      );
    }
    dir = up;
  }
}

let cached: grpc.ServiceDefinition | null = null;

/** The AccessLogService definition, loaded on first use. */
export function accessLogService(): grpc.ServiceDefinition {
  if (cached) return cached;
  const dir = findProtoDir();
  let def: protoLoader.PackageDefinition;
  try {
    def = protoLoader.loadSync(ALS_PROTO, { ...LOADER_OPTIONS, includeDirs: [dir] });
  } catch (err) {
    throw new SwitchyardError('SY_ERR_ENVOY_PROTO', `The Envoy input could not load ${path.join(dir, ALS_PROTO)}.`, {
      cause: err,
    });
  }
  cached = def[ALS_SERVICE] as grpc.ServiceDefinition;
  return cached;
}
