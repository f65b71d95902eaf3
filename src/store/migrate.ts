// Forward-only schema migrations: migrations/NNN_name.sql, applied in name
// order, each recorded in switchyard_migrations. Runs at every start-up and
// from `switchyard migrate`.
//
// Several routers may start at once against one database. Each migration is
// applied in its own transaction that first takes a transaction-scoped
// advisory lock, then re-reads what is applied: the second router waits for
// the first, sees its work, and applies nothing. (PGlite has one backend, so
// the lock is uncontended there, but it runs the same SQL.)
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SwitchyardError } from '../errors';
import type { Db } from './db';

/** Arbitrary constant shared by every switchyard process: "SYMG". */
const MIGRATION_LOCK_KEY = 0x53594d47;
const MIGRATION_NAME = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

export interface Migration {
  name: string;
  sql: string;
}

/** dist/src/store → <repo>/migrations; src/store (ts runners) → <repo>/migrations. */
export function defaultMigrationsDir(): string {
  const candidates = [path.resolve(__dirname, '../../../migrations'), path.resolve(__dirname, '../../migrations')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

/** Reads NNN_name.sql files sorted by number; rejects anything else ending in .sql so a typo is not silently skipped. */
export async function loadMigrations(dir: string = defaultMigrationsDir()): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new SwitchyardError('SY_ERR_MIGRATIONS_DIR', `cannot read the migrations directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const files = names.filter((n) => n.endsWith('.sql'));
  const numbers = new Map<number, string>();
  for (const n of files) {
    const m = MIGRATION_NAME.exec(n);
    if (m === null) throw new SwitchyardError('SY_ERR_MIGRATION_NAME', `migration file ${n} in ${dir} is not named NNN_description.sql`);
    const num = Number(m[1]);
    const other = numbers.get(num);
    if (other !== undefined) throw new SwitchyardError('SY_ERR_MIGRATION_NAME', `migrations ${other} and ${n} share the number ${num}`);
    numbers.set(num, n);
  }
  const sorted = [...numbers.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  return Promise.all(sorted.map(async (name) => ({ name, sql: await readFile(path.join(dir, name), 'utf8') })));
}

export async function migrate(db: Db, opts: { dir?: string; migrations?: Migration[] } = {}): Promise<{ applied: string[] }> {
  const migrations = opts.migrations ?? (await loadMigrations(opts.dir));
  const applied: string[] = [];
  for (const m of migrations) {
    const checksum = createHash('sha256').update(m.sql).digest('hex');
    const did = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.query(
        'CREATE TABLE IF NOT EXISTS switchyard_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await tx.query('SELECT 1 FROM switchyard_migrations WHERE name = $1', [m.name]);
      if (done.rowCount > 0) return false;
      try {
        await tx.query(m.sql);
      } catch (err) {
        throw new SwitchyardError('SY_ERR_MIGRATION_FAILED', `migration ${m.name} failed and was rolled back: ${(err as Error).message}`, { cause: err });
      }
      await tx.query('INSERT INTO switchyard_migrations (name, checksum) VALUES ($1, $2)', [m.name, checksum]);
      return true;
    });
    if (did) applied.push(m.name);
  }
  return { applied };
}
