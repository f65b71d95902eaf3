// The last route set that came from the database, kept on disk so a router
// restarted during a database outage keeps routing. Written atomically
// (temp file, fsync, rename) so a crash mid-write leaves the previous copy.
// The file holds drain endpoints, which may carry credentials: mode 0600.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RouteRow } from './route-source';

const FORMAT_VERSION = 1;

/** Parses the file's content; null when it is not a route file we wrote (the caller logs and ignores it). */
export function parseLastKnownGood(text: string): RouteRow[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const { version, rows } = doc as { version?: unknown; rows?: unknown };
  if (version !== FORMAT_VERSION || !Array.isArray(rows)) return null;
  const out: RouteRow[] = [];
  for (const r of rows) {
    if (typeof r !== 'object' || r === null) return null;
    const { id, hostname, endpoint } = r as Record<string, unknown>;
    if (typeof id !== 'string' || typeof hostname !== 'string' || typeof endpoint !== 'string') return null;
    out.push({ id, hostname, endpoint });
  }
  return out;
}

const CHUNK_ROWS = 2_000;

/**
 * The file's content in chunks of rows, so writing 100,000 routes never
 * blocks the event loop for one long JSON.stringify (routing continues
 * between chunks). Joined, the chunks are one JSON document.
 */
export function* serializeLastKnownGood(rows: ReadonlyArray<RouteRow>, savedAt: Date): Generator<string> {
  yield `{"version":${FORMAT_VERSION},"savedAt":${JSON.stringify(savedAt.toISOString())},"rows":[`;
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const end = Math.min(rows.length, start + CHUNK_ROWS);
    const parts: string[] = [];
    // Only the three fields: rows may be driver objects with more on them.
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      parts.push(JSON.stringify({ id: r.id, hostname: r.hostname, endpoint: r.endpoint }));
    }
    yield (start === 0 ? '' : ',') + parts.join(',');
  }
  yield ']}';
}

/**
 * Coalescing writer: save() records the newest snapshot and (re)arms a timer;
 * at most one write runs at a time and the newest snapshot always wins.
 */
export class LastKnownGoodFile {
  readonly path: string;
  private latest: ReadonlyArray<RouteRow> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(dataDir: string, private readonly logger: Logger) {
    this.path = path.join(dataDir, 'routes.json');
  }

  async read(): Promise<RouteRow[] | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ file: this.path, err: (err as Error).message }, 'cannot read the last-known-good routes; starting without them');
      }
      return null;
    }
    const rows = parseLastKnownGood(text);
    if (rows === null) this.logger.warn({ file: this.path }, 'the last-known-good routes file is not valid; ignoring it');
    return rows;
  }

  /** Schedules a write of rows after delayMs (0 = as soon as the current write ends). */
  save(rows: ReadonlyArray<RouteRow>, delayMs: number): void {
    this.latest = rows;
    if (this.timer !== undefined) {
      if (delayMs > 0) return; // already armed; the newer snapshot rides along
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
  }

  /** Writes anything pending now and waits for it. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.drain();
  }

  private async drain(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    const latest = this.latest;
    if (latest === undefined) return;
    this.latest = undefined;
    // The caller's array may change in place while the chunks are written;
    // the rows themselves are never mutated, so a pointer copy is a snapshot.
    const rows = latest.slice();
    this.writing = this.write(rows).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async write(rows: ReadonlyArray<RouteRow>): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(this.path), { recursive: true });
      const fh = await open(tmp, 'w', 0o600);
      try {
        for (const chunk of serializeLastKnownGood(rows, new Date())) await fh.write(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      this.logger.warn({ file: this.path, err: (err as Error).message }, 'cannot save the last-known-good routes; the previous copy stays, routing is unaffected');
      await unlink(tmp).catch(() => {});
    }
  }
}
