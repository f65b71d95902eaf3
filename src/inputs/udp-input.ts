// syslog over UDP: one message per datagram (up to 64 KiB). UDP cannot push
// back, so when a drain is full the message is dropped there and counted.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { closeKernelDrops, inputStats, type InputStats } from '../telemetry/input-metrics';
import type { Intake } from './intake';
import { UdpKernelDrops } from './udp-kernel-drops';

export interface UdpInputOptions {
  host: string;
  port: number;
  /** Kernel receive buffer to ask for, so bursts are absorbed while the loop is busy. */
  receiveBufferBytes: number;
}

export class UdpInput {
  private socket: dgram.Socket | null = null;
  private readonly stats: InputStats;
  // This socket's kernel drop count, as handed to the input's stats.
  private readDrops: (() => number | null) | null = null;
  // Datagrams come from many senders: cache their fallback hostnames a little.
  private readonly fallbacks = new Map<string, Buffer>();

  constructor(
    private readonly opts: UdpInputOptions,
    private readonly intake: Intake,
    private readonly log: Logger,
  ) {
    this.stats = inputStats('udp');
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  start(): Promise<void> {
    const type = net.isIPv6(this.opts.host) ? 'udp6' : 'udp4';
    const s = dgram.createSocket({ type, reuseAddr: false });
    this.socket = s;
    s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address));
    s.on('error', (err) => this.log.error({ err }, 'syslog UDP input error'));
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.opts.port, this.opts.host, () => {
        s.off('error', reject);
        this.sizeReceiveBuffer(s);
        const drops = new UdpKernelDrops(s.address().port);
        this.readDrops = () => drops.read();
        this.stats.readKernelDrops = this.readDrops;
        resolve();
      });
    });
  }

  /**
   * Asks for UDP_RECEIVE_BUFFER. Linux caps the request at net.core.rmem_max
   * (often 208 KiB) without an error, and a small buffer loses bursts the
   * router would have kept up with: say so at start, once.
   */
  private sizeReceiveBuffer(s: dgram.Socket): void {
    const asked = this.opts.receiveBufferBytes;
    try {
      s.setRecvBufferSize(asked);
    } catch (err) {
      this.log.warn({ err, asked }, 'syslog UDP input: could not set the receive buffer; the kernel default applies');
    }
    let granted: number | null = null;
    try {
      granted = s.getRecvBufferSize();
    } catch {
      // not reported on this platform
    }
    this.stats.receiveBufferBytes = granted;
    // Linux reports twice the value it set (half of it covers bookkeeping),
    // so this warns only when the cap bites below what was asked.
    if (granted !== null && granted < asked) {
      this.log.warn(
        { asked, granted },
        'syslog UDP input: the kernel granted a smaller receive buffer than UDP_RECEIVE_BUFFER (raise net.core.rmem_max); bursts beyond it are dropped by the kernel and counted in switchyard_input_kernel_drops_total',
      );
    }
  }

  private onMessage(msg: Buffer, address: string): void {
    this.stats.bytes += msg.length;
    let end = msg.length;
    // Some senders terminate datagrams with LF (or NUL); it is not part of the message.
    while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 0 || msg[end - 1] === 13)) end--;
    if (end === 0) return;
    if (end > this.intake.opts.maxMessageBytes) {
      // Same rule as an LF-framed stream: truncate, count, still deliver.
      this.stats.oversize++;
      end = this.intake.opts.maxMessageBytes;
    }
    let fb = this.fallbacks.get(address);
    if (fb === undefined) {
      if (this.fallbacks.size > 4096) this.fallbacks.clear();
      fb = this.intake.fallbackFor(address);
      this.fallbacks.set(address, fb);
    }
    this.intake.tick(new Date());
    this.intake.take(msg, 0, end, fb, null, this.stats);
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    this.foldKernelDrops();
    if (s !== null) await new Promise<void>((r) => s.close(() => r()));
  }

  /** The closing socket's count joins the input's closed ones (if the stats still read this socket). */
  private foldKernelDrops(): void {
    if (this.readDrops !== null && this.stats.readKernelDrops === this.readDrops) closeKernelDrops(this.stats);
    this.readDrops = null;
  }

  destroy(): void {
    this.foldKernelDrops();
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = null;
  }
}
