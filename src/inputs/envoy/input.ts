// The Envoy access-log input: a gRPC server for
// envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs.
//
// Envoy opens one client stream per (cluster, log name) and keeps it open,
// sending batches of HTTP or TCP entries; the identifier comes only in the
// first message. Envoy buffers little (16 KiB by default) and drops silently
// when the receiver is slow, so this input never pauses a stream: every
// message is handled synchronously as it is decoded, and entries a full drain
// refuses are counted as dropped instead of waited for.
//
// Streams are ended with OK after maxStreamAgeMs (jittered) so Envoy opens a
// new one, which a load balancer can send to another replica.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type pino from 'pino';
import { SwitchyardError } from '../../errors';
import { EntryRouter, type MessageRouter } from './entry-router';
import { resolveStreamFallback } from './hostname';
import { EnvoyStats, STREAM_ENDS, attachStats, detachStats, type StreamEnd } from './metrics';
import { validateEnvoyOptions, type EnvoyInputOptions } from './options';
import { accessLogService } from './proto';
import type { StreamAccessLogsMessage } from './types';

/** How long close() lets streams and sessions wind down before forcing. */
const CLOSE_GRACE_MS = 5000;

type Call = grpc.ServerReadableStream<StreamAccessLogsMessage, Record<string, never>>;
type Callback = grpc.sendUnaryData<Record<string, never>>;

/** One open StreamAccessLogs call. */
class EnvoyStream {
  done = false;
  /** Hostname for entries whose cluster gives none (from the identifier). */
  fallback: string | null = null;
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly call: Call,
    readonly callback: Callback,
  ) {}
}

function pem(what: string, value: string): Buffer {
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return fs.readFileSync(value);
  } catch (err) {
    throw new SwitchyardError('SY_ERR_ENVOY_TLS', `The Envoy input cannot read its TLS ${what} from ${value}.`, { cause: err });
  }
}

export class EnvoyInput {
  /** Counters of this input (also exported as Prometheus metrics). */
  readonly stats = new EnvoyStats();
  private readonly opts: EnvoyInputOptions;
  private readonly logger: pino.Logger;
  private readonly entries: EntryRouter;
  private readonly streams = new Set<EnvoyStream>();
  private server: grpc.Server | null = null;
  private boundPort = 0;
  private closing: Promise<void> | null = null;
  private destroyed = false;

  constructor(opts: EnvoyInputOptions, router: MessageRouter, logger: pino.Logger) {
    validateEnvoyOptions(opts);
    this.opts = { ...opts };
    this.logger = logger.child({ input: 'envoy' });
    this.entries = new EntryRouter(router, this.stats, opts.appName, opts.akkeris);
  }

  /** The port listened on (the real one when options asked for 0); 0 before start(). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.server) throw new SwitchyardError('SY_ERR_ENVOY_STATE', 'The Envoy input was already started.');
    if (this.closing || this.destroyed) throw new SwitchyardError('SY_ERR_ENVOY_STATE', 'The Envoy input was closed; make a new one.');
    const o = this.opts;
    let creds: grpc.ServerCredentials;
    if (o.tls) {
      const ca = o.tls.ca ? pem('CA', o.tls.ca) : null;
      creds = grpc.ServerCredentials.createSsl(ca, [{ cert_chain: pem('certificate', o.tls.cert), private_key: pem('key', o.tls.key) }], o.tls.requireClientCert);
    } else {
      creds = grpc.ServerCredentials.createInsecure();
    }
    const server = new grpc.Server({ 'grpc.max_receive_message_length': o.maxReceiveMessageBytes });
    server.addService(accessLogService(), {
      StreamAccessLogs: (call: Call, callback: Callback) => this.open(call, callback),
    });
    const host = o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]` : o.host;
    this.server = server;
    try {
      this.boundPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${o.port}`, creds, (err, port) => (err ? reject(err) : resolve(port)));
      });
    } catch (err) {
      server.forceShutdown();
      this.server = null;
      throw new SwitchyardError('SY_ERR_ENVOY_LISTEN', `The Envoy input cannot listen on ${host}:${o.port}.`, { cause: err });
    }
    attachStats(this.stats);
    this.logger.info({ port: this.boundPort, tls: !!o.tls }, 'Envoy access-log input listening');
  }

  private open(call: Call, callback: Callback): void {
    if (this.closing || this.destroyed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'switchyard is shutting down' });
      return;
    }
    const s = new EnvoyStream(call, callback);
    this.streams.add(s);
    this.stats.streamsActive++;
    this.stats.streamsTotal++;
    const age = this.opts.maxStreamAgeMs;
    if (age > 0) {
      // Up to 10% earlier, so streams opened together do not all reconnect together.
      s.timer = setTimeout(() => this.finish(s, 'max_age'), Math.max(1, Math.round(age * (1 - Math.random() * 0.1))));
      s.timer.unref();
    }
    call.on('data', (m: StreamAccessLogsMessage) => this.onMessage(s, m));
    // A client that cancels (or whose connection drops) also ends the readable
    // side, just before grpc-js reports the cancel: decide on the next turn,
    // so only a half-close with the call still alive counts as a clean end.
    call.on('end', () => setImmediate(() => this.finish(s, call.cancelled ? 'cancelled' : 'client_end')));
    call.on('cancelled', () => this.finish(s, 'cancelled'));
    call.on('error', (err: Error) => {
      if (!s.done) this.logger.warn({ err: err.message }, 'Envoy access-log stream failed; Envoy will open a new one');
      this.finish(s, 'error');
    });
  }

  private onMessage(s: EnvoyStream, m: StreamAccessLogsMessage): void {
    if (s.done) return;
    const st = this.stats;
    st.messages++;
    const id = m.identifier;
    if (id) s.fallback = resolveStreamFallback(id.log_name, id.node ? id.node.id : undefined);
    const nowMs = Date.now();
    const http = m.http_logs ? m.http_logs.log_entry : undefined;
    if (http && http.length > 0) {
      for (let i = 0; i < http.length; i++) this.entries.http(http[i], s.fallback, nowMs);
      return;
    }
    const tcp = m.tcp_logs ? m.tcp_logs.log_entry : undefined;
    if (tcp && tcp.length > 0) {
      for (let i = 0; i < tcp.length; i++) this.entries.tcp(tcp[i], s.fallback, nowMs);
      return;
    }
    st.emptyMessages++;
  }

  /** Ends a stream once, for the given reason; answers OK when the call is still alive. */
  private finish(s: EnvoyStream, reason: StreamEnd): void {
    if (s.done) return;
    s.done = true;
    if (s.timer) clearTimeout(s.timer);
    this.streams.delete(s);
    this.stats.streamsActive--;
    this.stats.streamEnds[STREAM_ENDS.indexOf(reason)]++;
    if (reason === 'client_end' || reason === 'max_age' || reason === 'shutdown') {
      // An empty response with status OK: Envoy treats the stream as over and
      // opens a new one for its next entries.
      s.callback(null, {});
    }
  }

  /**
   * Graceful: refuse new streams, end open ones with OK (Envoy reconnects to
   * another replica), wait for the sessions to close, force after a grace.
   * Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      for (const s of [...this.streams]) this.finish(s, 'shutdown');
      const server = this.server;
      if (!server || this.destroyed) {
        detachStats(this.stats);
        resolve();
        return;
      }
      const grace = setTimeout(() => {
        this.logger.warn('Envoy access-log input did not close within the grace period; forcing');
        server.forceShutdown();
      }, CLOSE_GRACE_MS);
      grace.unref();
      server.tryShutdown(() => {
        clearTimeout(grace);
        detachStats(this.stats);
        this.logger.info('Envoy access-log input closed');
        resolve();
      });
    });
    return this.closing;
  }

  /** Now: cut every stream and the listener. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const s of [...this.streams]) this.finish(s, 'cancelled');
    if (this.server) this.server.forceShutdown();
    detachStats(this.stats);
  }
}
