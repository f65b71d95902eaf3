// Routes from a text file (ROUTES_FILE), for first runs, tests and benchmarks
// without a database: one route per line, `<hostname> <drain-url>`; blank
// lines and `#` comments are ignored. The file is read again when it changes
// and on reload().
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RouteRow, RouteSource } from './route-source';

export function parseRoutesText(text: string): RouteRow[] {
  const rows: RouteRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const [hostname, endpoint, extra] = l.split(/\s+/);
    if (!endpoint || extra !== undefined) throw new Error(`line ${i + 1}: expected "<hostname> <drain-url>"`);
    rows.push({ id: `line-${i + 1}`, hostname, endpoint });
  });
  return rows;
}

export class FileRouteSource extends EventEmitter implements RouteSource {
  ready = false;
  private watcher: fs.FSWatcher | null = null;
  private last = '';

  constructor(private readonly opts: { path: string; logger: Logger }) {
    super();
  }

  async start(): Promise<void> {
    this.reload();
    try {
      // Watch the directory, not the file: editors and config management
      // replace a file by renaming a new one over it, and a watch on the file
      // follows the old inode, so every change after the first was missed.
      const name = path.basename(this.opts.path);
      this.watcher = fs.watch(path.dirname(this.opts.path), (_event, file) => {
        if (file === null || file === name) this.reload();
      });
      this.watcher.unref();
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'cannot watch the routes file; send SIGHUP to reload it');
    }
  }

  reload(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.opts.path, 'utf8');
    } catch (err) {
      this.opts.logger.error({ path: this.opts.path, err: (err as Error).message }, 'cannot read the routes file; keeping the current routes');
      return;
    }
    if (text === this.last && this.ready) return;
    try {
      const rows = parseRoutesText(text);
      this.last = text;
      this.ready = true;
      this.emit('routes', rows);
    } catch (err) {
      this.opts.logger.error({ path: this.opts.path, err: (err as Error).message }, 'routes file is invalid; keeping the current routes');
    }
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
  }
}

/** Routes given in code (tests, embedding): set() replaces the whole set. */
export class StaticRouteSource extends EventEmitter implements RouteSource {
  ready = false;
  private rows: RouteRow[];

  constructor(rows: Array<[hostname: string, endpoint: string]> = []) {
    super();
    this.rows = rows.map(([hostname, endpoint], i) => ({ id: `static-${i}`, hostname, endpoint }));
  }

  async start(): Promise<void> {
    this.ready = true;
    this.emit('routes', this.rows);
  }

  set(rows: Array<[hostname: string, endpoint: string]>): void {
    this.rows = rows.map(([hostname, endpoint], i) => ({ id: `static-${i}`, hostname, endpoint }));
    if (this.ready) this.emit('routes', this.rows);
  }

  add(hostname: string, endpoint: string): void {
    this.set([...this.rows.map((r) => [r.hostname, r.endpoint] as [string, string]), [hostname, endpoint]]);
  }

  async close(): Promise<void> {}
}
