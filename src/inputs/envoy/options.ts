// Options of the Envoy access-log input: every field says its unit and its
// default; validateEnvoyOptions() checks them (no I/O) before start().
import { SwitchyardError } from '../../errors';

export interface EnvoyTlsOptions {
  /** Server certificate chain: PEM text, or a path to a PEM file. */
  cert: string;
  /** Server private key: PEM text, or a path to a PEM file. */
  key: string;
  /** CA bundle client certificates must chain to: PEM text or a path. Required when requireClientCert. */
  ca?: string;
  /** Refuse clients that present no certificate signed by `ca`. */
  requireClientCert: boolean;
}

export interface EnvoyInputOptions {
  /** Address to listen on. Default 0.0.0.0. */
  host: string;
  /** TCP port (ENVOY_PORT). Default 9001; 0 picks a free port (tests). */
  port: number;
  /** RFC 5424 APP-NAME of the lines. Default "envoy"; "akkeris/router" in AKKERIS mode. */
  appName: string;
  /** AKKERIS mode: cluster name → `name-namespace` instead of `name.namespace`. Default false. */
  akkeris: boolean;
  /**
   * Milliseconds after which a stream is ended with OK so Envoy reconnects
   * (and spreads over replicas). Jittered by up to -10% so streams opened
   * together do not all reconnect together. 0 disables. Default 15 minutes.
   */
  maxStreamAgeMs: number;
  /** Largest StreamAccessLogsMessage accepted, bytes (grpc.max_receive_message_length). Default 4 MiB. */
  maxReceiveMessageBytes: number;
  /** TLS on the gRPC port; plaintext when absent. */
  tls?: EnvoyTlsOptions;
}

export const envoyDefaults: Readonly<EnvoyInputOptions> = Object.freeze({
  host: '0.0.0.0',
  port: 9001,
  appName: 'envoy',
  akkeris: false,
  maxStreamAgeMs: 15 * 60 * 1000,
  maxReceiveMessageBytes: 4 * 1024 * 1024,
});

/** The app name in AKKERIS mode, as logtrain used. */
export const AKKERIS_APP_NAME = 'akkeris/router';

function bad(what: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_ENVOY_CONFIG', `The Envoy input is misconfigured: ${what}.`);
}

/** Checks options without touching the network or the disk; throws SY_ERR_ENVOY_CONFIG. */
export function validateEnvoyOptions(o: EnvoyInputOptions): void {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw bad(`port ${o.port} is not 0..65535`);
  if (typeof o.host !== 'string' || o.host === '') throw bad('host is empty');
  // RFC 5424 APP-NAME: 1..48 printable ASCII characters without spaces.
  if (!/^[\x21-\x7e]{1,48}$/.test(o.appName)) throw bad(`app name "${o.appName}" is not 1-48 printable ASCII characters`);
  if (!Number.isFinite(o.maxStreamAgeMs) || o.maxStreamAgeMs < 0) throw bad('maxStreamAgeMs must be 0 (off) or a positive number of milliseconds');
  if (!Number.isInteger(o.maxReceiveMessageBytes) || o.maxReceiveMessageBytes < 1024) {
    throw bad('maxReceiveMessageBytes must be an integer of at least 1024');
  }
  if (o.tls) {
    if (!o.tls.cert || !o.tls.key) throw bad('TLS needs both a certificate and a key');
    if (o.tls.requireClientCert && !o.tls.ca) throw bad('requiring client certificates needs a CA to verify them against');
  }
}
