// The Envoy access-log (gRPC ALS v3) input. See input.ts for the lifecycle
// and line.ts for the log line format.
export { EnvoyInput } from './input';
export { envoyDefaults, AKKERIS_APP_NAME, validateEnvoyOptions, type EnvoyInputOptions, type EnvoyTlsOptions } from './options';
export type { MessageRouter } from './entry-router';
