// The TLS input's certificate, reloadable without a restart: new connections
// get the new certificate, open ones keep theirs. Certificates given as files
// are re-read on SIGHUP and when the files change (polled, so that the atomic
// symlink swaps of mounted secrets are seen too). A reload is checked (the key
// must match the certificate) before anyone is told of it.
import fs from 'node:fs';
import tls from 'node:tls';
import type { Logger } from 'pino';

export interface TlsMaterial {
  cert: string;
  key: string;
  ca: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

type Listener = (options: tls.SecureContextOptions) => void;

export class TlsContext {
  private current: tls.SecureContextOptions;
  private readonly watched: string[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(
    private material: TlsMaterial,
    private readonly log: Logger,
  ) {
    this.current = checked(material);
  }

  /** The current certificate, key and CA, as tls.createServer() and setSecureContext() take them. */
  options(): tls.SecureContextOptions {
    return this.current;
  }

  /** Calls `fn` with the new options after each successful reload; returns the unsubscribe function. */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Re-reads file-based material; keeps the old context if the new one is invalid. */
  reload(): boolean {
    const m = { ...this.material };
    try {
      if (m.certFile) m.cert = fs.readFileSync(m.certFile, 'utf8');
      if (m.keyFile) m.key = fs.readFileSync(m.keyFile, 'utf8');
      if (m.caFile) m.ca = fs.readFileSync(m.caFile, 'utf8');
      this.current = checked(m);
      this.material = m;
      for (const fn of this.listeners) fn(this.current);
      this.log.info('TLS certificate reloaded; new connections use it');
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'TLS certificate reload failed; keeping the previous certificate');
      return false;
    }
  }

  watch(intervalMs = 2000): void {
    for (const f of [this.material.certFile, this.material.keyFile, this.material.caFile]) {
      if (!f) continue;
      this.watched.push(f);
      fs.watchFile(f, { interval: intervalMs, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) this.reload();
      });
    }
  }

  close(): void {
    for (const f of this.watched) fs.unwatchFile(f);
    this.watched.length = 0;
  }
}

/** The options for `m`, once OpenSSL has accepted them (it throws on a key that does not match the certificate). */
function checked(m: TlsMaterial): tls.SecureContextOptions {
  const options: tls.SecureContextOptions = { cert: m.cert, key: m.key, ca: m.ca || undefined, minVersion: 'TLSv1.2' };
  tls.createSecureContext(options);
  return options;
}
