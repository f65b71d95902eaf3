// A TCP listener for syslog streams, in plain text or TLS (RFC 5425), with an
// optional PROXY protocol header (v1 or v2) read before anything else, so the
// sender's address survives a load balancer. TLS is layered on the accepted
// socket after that header, which is why this is a net.Server for both.
//
// Limits: `maxConnections` (further connections are closed at once and
// counted), an idle timeout per connection, and a handshake timeout that
// covers the PROXY header and the TLS handshake, so half-open handshakes
// cannot hold connection slots.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { parseProxyHeader } from '../syslog/proxy-protocol';
import { inputStats, type InputStats } from '../telemetry/input-metrics';
import type { Intake } from './intake';
import { StreamConnection } from './stream-connection';

const MAX_PROXY_HEADER = 536; // v2: 16-byte header + up to 520 bytes of addresses/TLVs we accept

export interface StreamListenerOptions {
  name: 'tcp' | 'tls';
  host: string;
  port: number;
  maxConnections: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  proxyProtocol: boolean;
  /** For TLS: the current context (replaced on certificate reload) and whether client certificates are required. */
  tls?: { context: () => tls.SecureContext; requireClientCert: boolean };
}

export class StreamListener {
  private readonly server: net.Server;
  private readonly stats: InputStats;
  private readonly sockets = new Set<net.Socket>();
  /** Accepted sockets still in the PROXY header or TLS handshake. */
  private readonly handshaking = new Set<net.Socket>();
  private readonly conns = new Set<StreamConnection>();
  private closing = false;

  constructor(
    private readonly opts: StreamListenerOptions,
    private readonly intake: Intake,
    private readonly log: Logger,
  ) {
    this.stats = inputStats(opts.name);
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
    this.server.on('error', (err) => this.log.error({ err, input: opts.name }, 'syslog listener error'));
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : 0;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting, stops reading every connection and waits for them to close. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of this.conns) c.stopReading();
    for (const s of this.handshaking) s.destroy();
    const deadline = Date.now() + 2000;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.destroy();
    await closed;
  }

  destroy(): void {
    this.closing = true;
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }

  private accept(raw: net.Socket): void {
    if (this.closing || this.sockets.size >= this.opts.maxConnections) {
      if (this.closing) this.stats.rejected.closing++;
      else this.stats.rejected.limit++;
      raw.destroy();
      return;
    }
    this.sockets.add(raw);
    this.handshaking.add(raw);
    raw.on('close', () => {
      this.sockets.delete(raw);
      this.handshaking.delete(raw);
    });
    raw.on('error', () => {});
    // HANDSHAKE_TIMEOUT=0 means no limit, as IDLE_TIMEOUT=0 does (a 0 ms timer closed every TLS connection).
    const timer =
      this.opts.handshakeTimeoutMs > 0
        ? setTimeout(() => {
            this.stats.rejected.handshake_timeout++;
            raw.destroy();
          }, this.opts.handshakeTimeoutMs)
        : undefined;
    timer?.unref();
    raw.once('close', () => clearTimeout(timer));
    const ready = (address: string | undefined, first: Buffer | null): void => {
      if (this.opts.tls) this.startTls(raw, address, first, timer);
      else {
        clearTimeout(timer);
        this.handshaking.delete(raw);
        this.serve(raw, address, first);
      }
    };
    if (this.opts.proxyProtocol) this.readProxyHeader(raw, ready);
    else ready(raw.remoteAddress, null);
  }

  private readProxyHeader(raw: net.Socket, ready: (address: string | undefined, rest: Buffer | null) => void): void {
    let got: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      const r = parseProxyHeader(got);
      if (r.kind === 'need-more') {
        if (got.length > MAX_PROXY_HEADER) this.rejectProxy(raw, onData, 'header too long');
        return;
      }
      if (r.kind === 'error') {
        this.rejectProxy(raw, onData, r.reason);
        return;
      }
      raw.off('data', onData);
      raw.pause();
      const rest = r.consumed < got.length ? got.subarray(r.consumed) : null;
      ready(r.sourceAddress ?? raw.remoteAddress, rest);
    };
    raw.on('data', onData);
    raw.resume();
  }

  private rejectProxy(raw: net.Socket, onData: (b: Buffer) => void, reason: string): void {
    raw.off('data', onData);
    this.stats.rejected.proxy++;
    this.log.debug({ input: this.opts.name, reason }, 'connection closed: invalid PROXY protocol header');
    raw.destroy();
  }

  private startTls(raw: net.Socket, address: string | undefined, first: Buffer | null, timer: NodeJS.Timeout | undefined): void {
    const t = this.opts.tls!;
    if (first !== null) raw.unshift(first); // the TLS socket reads what is buffered first
    const s = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: t.context(),
      requestCert: t.requireClientCert,
      rejectUnauthorized: t.requireClientCert,
    });
    s.on('error', () => {
      this.stats.rejected.tls++;
      s.destroy();
      raw.destroy();
    });
    s.once('secure', () => {
      clearTimeout(timer);
      this.handshaking.delete(raw);
      if (t.requireClientCert && !clientVerified(s)) {
        this.stats.rejected.tls++;
        this.log.debug({ input: this.opts.name }, 'connection closed: client certificate not signed by SYSLOG_TLS_CA');
        s.destroy();
        raw.destroy();
        return;
      }
      this.serve(s, address, null);
    });
  }

  private serve(s: net.Socket, address: string | undefined, first: Buffer | null): void {
    const conn = new StreamConnection(s, this.intake, this.stats, address, this.opts.idleTimeoutMs, () => this.conns.delete(conn));
    this.conns.add(conn);
    if (first !== null) s.emit('data', first);
    s.resume();
  }
}

/**
 * Whether the client certificate verified against our CA. A TLSSocket made
 * by hand (TLS starts after the PROXY header, so there is no tls.Server) does
 * not get the check tls.Server runs after the handshake: OpenSSL only insists
 * that *a* certificate was sent, so one from any other CA got through. This
 * reads the verification result the way tls.Server does; if that handle is
 * ever missing we fail closed.
 */
function clientVerified(s: tls.TLSSocket): boolean {
  const handle = (s as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (handle === undefined || typeof handle.verifyError !== 'function') return false;
  return handle.verifyError() === null;
}
