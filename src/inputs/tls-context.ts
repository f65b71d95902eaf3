// The TLS input's certificate, reloadable without a restart: new connections
// get the new context, open ones keep theirs. Certificates given as files are
// re-read on SIGHUP and when the files change (polled, so that the atomic
// symlink swaps of mounted secrets are seen too).
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

export class TlsContext {
  private current: tls.SecureContext;
  private readonly watched: string[] = [];

  constructor(
    private material: TlsMaterial,
    private readonly log: Logger,
  ) {
    this.current = build(material);
  }

  get(): tls.SecureContext {
    return this.current;
  }

  /** Re-reads file-based material; keeps the old context if the new one is invalid. */
  reload(): boolean {
    const m = { ...this.material };
    try {
      if (m.certFile) m.cert = fs.readFileSync(m.certFile, 'utf8');
      if (m.keyFile) m.key = fs.readFileSync(m.keyFile, 'utf8');
      if (m.caFile) m.ca = fs.readFileSync(m.caFile, 'utf8');
      this.current = build(m);
      this.material = m;
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

function build(m: TlsMaterial): tls.SecureContext {
  return tls.createSecureContext({ cert: m.cert, key: m.key, ca: m.ca || undefined, minVersion: 'TLSv1.2' });
}
