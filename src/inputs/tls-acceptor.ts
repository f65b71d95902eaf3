// The TLS handshake for sockets the stream listener accepted. TLS starts only
// after an optional PROXY protocol header, so the listener is a net.Server and
// hands each socket, once the header is read, to a tls.Server that never
// listens itself. That server does what a listening one does: it requests and
// verifies client certificates (rejecting any its CA did not sign, which a
// hand-made TLSSocket does not do), and it serves the reloaded certificate to
// new connections.
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { TlsContext } from './tls-context';

/** Waits for TLS on one accepted socket: gets the TLS socket once the client is accepted. */
type OnSecure = (s: tls.TLSSocket) => void;

/** setTimeout's ceiling: the listener's own timer bounds the handshake, or nothing does (HANDSHAKE_TIMEOUT=0). */
const NO_HANDSHAKE_TIMEOUT = 2 ** 31 - 1;

export class TlsAcceptor {
  private readonly server: tls.Server;
  /** Sockets in the handshake, by TCP 4-tuple: the tls.Server reports the TLS socket, not the one we gave it. */
  private readonly pending = new Map<string, OnSecure>();
  private readonly unsubscribe: () => void;

  constructor(
    context: TlsContext,
    requireClientCert: boolean,
    private readonly onFailed: () => void,
    private readonly log: Logger,
  ) {
    this.server = tls.createServer({
      ...context.options(),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
      handshakeTimeout: NO_HANDSHAKE_TIMEOUT,
    });
    this.server.on('secureConnection', (s) => this.secure(s));
    this.server.on('tlsClientError', (err, s) => this.failed(err, s));
    this.unsubscribe = context.onChange((o) => this.server.setSecureContext(o));
  }

  /**
   * Starts the handshake on `raw` (paused), after `first`, bytes read past a
   * PROXY header. `onSecure` runs only for a client that completed the
   * handshake and, with client auth, showed a certificate our CA signed.
   */
  start(raw: net.Socket, first: Buffer | null, onSecure: OnSecure): void {
    const key = tuple(raw);
    if (key === null) {
      raw.destroy(); // reset before we got here: nothing to shake hands with
      return;
    }
    this.pending.set(key, onSecure);
    raw.once('close', () => this.pending.delete(key));
    if (first !== null) raw.unshift(first); // the TLS socket reads what is buffered first
    this.server.emit('connection', raw);
  }

  close(): void {
    this.unsubscribe();
  }

  private secure(s: tls.TLSSocket): void {
    const key = tuple(s);
    const onSecure = key === null ? undefined : this.pending.get(key);
    if (onSecure === undefined) {
      s.destroy(); // gone already (its address with it), or not ours
      return;
    }
    this.pending.delete(key!);
    onSecure(s);
  }

  private failed(err: Error & { code?: string }, s: tls.TLSSocket): void {
    // A connection closed during the handshake, by the client or by our
    // handshake timer, reports ECONNRESET: not a TLS failure. A certificate
    // our CA did not sign also ends that way, with the reason on the socket.
    const reason = s.authorizationError ?? (err.code === 'ECONNRESET' ? null : (err.code ?? err.message));
    if (reason === null) return;
    this.onFailed();
    this.log.debug({ input: 'tls', reason }, 'connection closed: TLS handshake failed');
  }
}

/** The connection's TCP 4-tuple, the same on the accepted socket and the TLS socket over it; null once it is reset. */
function tuple(s: net.Socket): string | null {
  if (s.remotePort === undefined || s.localPort === undefined) return null;
  return `${s.localAddress} ${s.localPort} ${s.remoteAddress} ${s.remotePort}`;
}
