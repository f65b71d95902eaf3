// `node pglite-initdb.js <dir>`: creates an embedded database (initdb) in
// <dir> and exits. openPgliteDb() runs it as a child process on a fresh data
// dir: initdb grows PGlite's WebAssembly memory to ~570 MB, and WebAssembly
// memory never shrinks, so a router that ran initdb itself kept ~730 MB
// resident for its whole life (~230 MB when it opens an existing dir).
import { PGlite } from '@electric-sql/pglite';
import { EMBEDDED_CONF } from './db-pglite';

async function initdb(dir: string): Promise<void> {
  const pg = await PGlite.create(dir, { postgresqlconf: EMBEDDED_CONF });
  await pg.close();
}

// PGlite's file system throws Emscripten's ErrnoError: no message, only a
// WASI errno. The ones a data dir meets, by their POSIX names.
const WASI_ERRNO: Record<number, string> = {
  2: 'EACCES: permission denied',
  20: 'EEXIST: file exists',
  29: 'EIO: i/o error',
  31: 'EISDIR: is a directory',
  44: 'ENOENT: no such file or directory',
  51: 'ENOSPC: no space left on device',
  54: 'ENOTDIR: not a directory',
  63: 'EPERM: operation not permitted',
  69: 'EROFS: read-only file system',
};

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (typeof errno === 'number') return WASI_ERRNO[errno] ?? `errno ${errno} (WASI)`;
  return String(err);
}

initdb(process.argv[2]).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${describe(err)}\n`);
    process.exit(1);
  },
);
