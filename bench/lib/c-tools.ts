// Builds the C load generator and sink into bench/bin/ when missing or older
// than their source. gcc is the only requirement; TLS support is compiled in
// only when the OpenSSL headers are present, otherwise TLS scenarios say so.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** bench/ in the source tree, whether we run from src or dist. */
export const BENCH_DIR = resolve(__dirname, __dirname.includes(`${join('dist', 'bench')}`) ? '../../../bench' : '..');
export const BIN_DIR = join(BENCH_DIR, 'bin');
const TOOLS_DIR = join(BENCH_DIR, 'tools');

export interface CTools {
  loadgen: string;
  sink: string;
  /** Whether loadgen can speak TLS (built against libssl). */
  tls: boolean;
  /** Why TLS is missing, with the command that fixes it. */
  tlsMissing?: string;
}

const OPENSSL_HEADER = '/usr/include/openssl/ssl.h';

function stale(bin: string, src: string): boolean {
  return !existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs;
}

function gcc(args: string[]): void {
  execFileSync('gcc', ['-O2', '-Wall', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function buildTools(): CTools {
  mkdirSync(BIN_DIR, { recursive: true });
  const sink = join(BIN_DIR, 'sink');
  const loadgen = join(BIN_DIR, 'loadgen');
  const tls = existsSync(OPENSSL_HEADER);
  // Remember which flavour was built, so installing libssl-dev later rebuilds.
  const flavour = join(BIN_DIR, tls ? '.loadgen-tls' : '.loadgen-plain');
  if (stale(sink, join(TOOLS_DIR, 'sink.c'))) gcc(['-o', sink, join(TOOLS_DIR, 'sink.c')]);
  const lgSrc = join(TOOLS_DIR, 'loadgen.c');
  if (stale(loadgen, lgSrc) || !existsSync(flavour)) {
    if (tls) gcc(['-DHAVE_TLS', '-o', loadgen, lgSrc, '-lpthread', '-lssl', '-lcrypto']);
    else gcc(['-o', loadgen, lgSrc, '-lpthread']);
    execFileSync('sh', ['-c', `rm -f ${join(BIN_DIR, '.loadgen-')}*; touch ${flavour}`]);
  }
  return {
    loadgen,
    sink,
    tls,
    tlsMissing: tls ? undefined : `OpenSSL headers not found (${OPENSSL_HEADER}); install them with: sudo apt-get install -y libssl-dev`,
  };
}
