// A TCP listener for syslog streams, in plain text or TLS (RFC 5425), with an
// optional PROXY protocol header (v1 or v2) read before anything else, so the
// sender's address survives a load balancer. TLS is layered on the accepted
// socket after that header (see tls-acceptor.ts), which is why this is a
// net.Server for both.
//
// Limits: `maxConnections` (further connections are closed at once and
// counted), an idle timeout per connection, and a handshake timeout that
// covers the PROXY header and the TLS handshake, so half-open handshakes
// cannot hold connection slots.
import net from 'node:net';
import type { Logger } from 'pino';
import { parseProxyHeader } from '../syslog/proxy-protocol';
import { inputStats, type InputStats } from '../telemetry/input-metrics';
import type { Intake } from './intake';
import { StreamConnection } from './stream-connection';
import { TlsAcceptor } from './tls-acceptor';
import type { TlsContext } from './tls-context';

const MAX_PROXY_HEADER = 536; // v2: 16-byte header + up to 520 bytes of addresses/TLVs we accept

export interface StreamListenerOptions {
  name: 'tcp' | 'tls';
  host: string;
  port: number;
  maxConnections: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  proxyProtocol: boolean;
  /** For TLS: the certificate (reloadable) and whether client certificates are required. */
  tls?: { context: TlsContext; requireClientCert: boolean };
}

export class StreamListener {
  private readonly server: net.Server;
  private readonly stats: InputStats;
  private readonly sockets = new Set<net.Socket>();
  /** Accepted sockets still in the PROXY header or TLS handshake. */
  private readonly handshaking = new Set<net.Socket>();
  private readonly conns = new Set<StreamConnection>();
  private readonly tls: TlsAcceptor | null;
  private closing = false;

  constructor(
    private readonly opts: StreamListenerOptions,
    private readonly intake: Intake,
    private readonly log: Logger,
  ) {
    this.stats = inputStats(opts.name);
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
    this.server.on('error', (err) => this.log.error({ err, input: opts.name }, 'syslog listener error'));
    this.tls = opts.tls ? new TlsAcceptor(opts.tls.context, opts.tls.requireClientCert, () => this.stats.rejected.tls++, log) : null;
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
    this.tls?.close();
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
      if (this.tls === null) {
        clearTimeout(timer);
        this.handshaking.delete(raw);
        this.serve(raw, address, first);
        return;
      }
      this.tls.start(raw, first, (s) => {
        clearTimeout(timer);
        this.handshaking.delete(raw);
        this.serve(s, address, null);
      });
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

  private serve(s: net.Socket, address: string | undefined, first: Buffer | null): void {
    const conn = new StreamConnection(s, this.intake, this.stats, address, this.opts.idleTimeoutMs, () => this.conns.delete(conn));
    this.conns.add(conn);
    if (first !== null) s.emit('data', first);
    s.resume();
  }
}
