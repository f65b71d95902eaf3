// The switchyard binary (dist/src/main.js) as a child process: --help lists
// every setting, an invalid setting exits non-zero with one line naming it,
// and with ROUTES_FILE it routes, then on SIGTERM flushes and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SETTINGS } from '../src/config';
import { startSyslogReceiver } from './helpers/syslog-receiver';
import { octet, sendTcp } from './inputs/stream-helpers';

const MAIN = path.join(__dirname, '..', 'src', 'main.js');

t.test('--help lists every setting and exits 0', async (t) => {
  const r = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', timeout: 15_000 });
  t.equal(r.status, 0);
  for (const s of SETTINGS) t.match(r.stdout, new RegExp(`^  ${s.env} `, 'm'), s.env);
});

t.test('an invalid setting exits non-zero with one line naming it', async (t) => {
  for (const [env, name] of [
    [{ HTTP_PORT: 'abc' }, 'HTTP_PORT'],
    [{ DRAIN_OVERFLOW_GRACE: 'forever' }, 'DRAIN_OVERFLOW_GRACE'],
  ] as const) {
    const r = spawnSync(process.execPath, [MAIN], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...env } });
    t.not(r.status, 0, `${name}: exit status ${r.status}`);
    t.ok(r.status !== null, 'exited by itself');
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], new RegExp(`^switchyard: ${name}=`));
    t.equal(r.stdout, '', 'nothing started');
  }
  const flag = spawnSync(process.execPath, [MAIN, '--no-such-flag'], { encoding: 'utf8', timeout: 15_000 });
  t.not(flag.status, 0);
  t.match(flag.stderr, /unknown flag --no-such-flag/);
});

t.test('ROUTES_FILE routing, then SIGTERM: flushes the queue and exits 0', async (t) => {
  const rx = await startSyslogReceiver();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-main-'));
  const routes = path.join(dir, 'routes.txt');
  fs.writeFileSync(routes, `# hostname drain\nbinary-app ${rx.url}?buffer_bytes=${64 << 20}\n`);
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ROUTES_FILE: routes,
      DATA_DIR: dir,
      BIND_ADDRESS: '127.0.0.1',
      HTTP_PORT: '0',
      SYSLOG_TCP_PORT: '0',
      SYSLOG_UDP_PORT: '0',
      ENVOY: 'false',
      SHUTDOWN_GRACE: '20s',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rx.unstall();
    await rx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  child.stderr.on('data', (b) => (out += b));
  const tcpPort = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b;
      const m = /syslog\/tcp :(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening: ${out}`)));
  });
  rx.stall();
  const N = 40_000;
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) frames.push(octet(`<14>1 2024-05-01T10:00:00Z binary-app app - - - ${i} ${'b'.repeat(150)}`));
  await sendTcp(tcpPort, frames);
  child.kill('SIGTERM');
  setTimeout(() => rx.unstall(), 300);
  const code = await exited;
  t.equal(code, 0, 'exit status 0');
  await rx.waitFor(N);
  t.equal(rx.messages.length, N, 'everything queued at SIGTERM was delivered');
  t.ok(rx.lines().every((l, i) => l.startsWith(`<14>1 2024-05-01T10:00:00Z binary-app app - - - ${i} `)), 'in order');
  t.match(out, /shutting down: no new input, flushing drains/);
  t.match(out, /stopped cleanly/);
});

t.test('a port already in use: exits 1 with a sentence, does not hang', async (t) => {
  const rx = await startSyslogReceiver(); // holds a TCP port on 127.0.0.1
  t.teardown(() => rx.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-main-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'routes.txt'), '');
  const r = spawnSync(process.execPath, [MAIN], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ROUTES_FILE: path.join(dir, 'routes.txt'), DATA_DIR: dir, BIND_ADDRESS: '127.0.0.1', HTTP_PORT: '0', SYSLOG_TCP_PORT: String(rx.port), SYSLOG_UDP_PORT: '0', ENVOY: 'false', LOG_LEVEL: 'silent' },
  });
  t.equal(r.signal, null, 'exited by itself');
  t.equal(r.status, 1);
  t.match(r.stderr, /^switchyard: failed to start: .*EADDRINUSE/);
});

t.test('a second signal exits at once with status 1', async (t) => {
  const rx = await startSyslogReceiver();
  rx.stall();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-main-'));
  fs.writeFileSync(path.join(dir, 'routes.txt'), `stuck ${rx.url}?buffer_bytes=${64 << 20}\n`);
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ROUTES_FILE: path.join(dir, 'routes.txt'), DATA_DIR: dir, BIND_ADDRESS: '127.0.0.1', HTTP_PORT: '0', SYSLOG_TCP_PORT: '0', SYSLOG_UDP_PORT: '0', ENVOY: 'false', SHUTDOWN_GRACE: '60s', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rx.unstall();
    await rx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  const tcpPort = await new Promise<number>((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b;
      const m = /syslog\/tcp :(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const frames: Buffer[] = [];
  for (let i = 0; i < 40_000; i++) frames.push(octet(`<14>1 2024-05-01T10:00:00Z stuck app - - - ${i} ${'q'.repeat(150)}`));
  await sendTcp(tcpPort, frames);
  child.kill('SIGTERM');
  await new Promise<void>((res) => {
    const check = (): void => (/shutting down/.test(out) ? res() : void setTimeout(check, 20));
    check();
  });
  child.kill('SIGTERM');
  t.equal(await exited, 1, 'the second signal ended the flush');
  t.match(out, /second signal: exiting now without flushing/);
});
