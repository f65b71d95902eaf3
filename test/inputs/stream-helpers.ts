// Small senders and waits shared by the input, router and drain tests: raw
// TCP/TLS/UDP writes, the real logger(1) binary, and polling for a condition
// the router exposes (counters, connection state) rather than sleeping.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import type { Drain } from '../../src/drains/drain';
import type { App } from '../../src/app';

/** Runs /usr/bin/logger with `args` (message last); resolves when it exits 0. */
export function logger(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/logger', args, { timeout: 10_000 }, (err, _out, stderr) => (err ? reject(new Error(`logger ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve()));
  });
}

/** Polls `cond` every 10 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Connects, writes every chunk, half-closes and waits until the server closes too. */
export function sendTcp(port: number, chunks: Array<Buffer | string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      for (const c of chunks) s.write(c);
      s.end();
    });
    s.on('error', reject);
    s.on('data', () => {});
    s.on('close', () => resolve());
  });
}

/** A connected socket plus a promise for its close (for tests that watch the server close it). */
export async function openTcp(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed };
}

export function sendTls(port: number, chunks: Array<Buffer | string>, opts: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ...opts }, () => {
      for (const c of chunks) s.write(c);
      s.end();
    });
    s.on('error', reject);
    s.on('data', () => {});
    s.on('close', () => resolve());
  });
}

export async function sendUdp(port: number, datagrams: Array<Buffer | string>): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((r, j) => s.send(d, port, '127.0.0.1', (err) => (err ? j(err) : r())));
  await new Promise<void>((r) => s.close(() => r()));
}

/** Octet-counting frame (RFC 6587 3.4.1). */
export function octet(msg: string | Buffer): Buffer {
  const b = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
  return Buffer.concat([Buffer.from(`${b.length} `), b]);
}

/** The drains a hostname routes to in the running app. */
export function drainsOf(app: App, host: string): Drain[] {
  const d = app.router.routes.lookupName(host);
  if (d === undefined) throw new Error(`no route for ${host}`);
  return d;
}

export function droppedTotal(d: Drain): number {
  return Object.values(d.stats.dropped).reduce((a, b) => a + b, 0);
}

/** delivered + queued + dropped: must equal the messages pushed plus the L10 notices. */
export function accounted(d: Drain): number {
  return d.stats.delivered + d.queued + droppedTotal(d);
}
