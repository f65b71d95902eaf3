// syslog over UDP: one RFC 5424 message per datagram, no framing. UDP has no
// acknowledgement, so a message counts as delivered once the kernel took it.
import dgram from 'node:dgram';
import net from 'node:net';
import { Drain } from '../drain';
import { bufferOptions, type DrainContext, type DrainSpec } from '../url';
import type { SyslogDrainOptions } from './config';

const BATCH_BYTES = 256 * 1024;
const BATCH_MESSAGES = 1024;

export class SyslogUdpDrain extends Drain {
  private readonly opts: SyslogDrainOptions;
  private socket: dgram.Socket | null = null;
  private readonly ends = new Uint32Array(BATCH_MESSAGES);
  private sending = 0;

  constructor(spec: DrainSpec<SyslogDrainOptions>, ctx: DrainContext) {
    super({ url: spec.url, label: spec.label, kind: spec.kind, buffer: bufferOptions(spec, ctx), logger: ctx.logger });
    this.opts = spec.options;
  }

  protected recordLength(n: number): number {
    return n;
  }

  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    src.copy(dst, at, start, end);
  }

  start(): void {
    const type = net.isIPv6(this.opts.host) ? 'udp6' : 'udp4';
    const s = dgram.createSocket(type);
    this.socket = s;
    s.on('error', (err) => {
      this.stats.errors++;
      this.log.warn({ err: err.message }, 'syslog UDP drain send failed; the datagram is lost (UDP has no retry)');
    });
    s.connect(this.opts.port, this.opts.host, () => {
      this.connected = true;
      this.flush();
    });
  }

  flush(): void {
    const s = this.socket;
    if (s === null || !this.connected || this.sending > 8) return;
    while (this.ring.count > 0 && this.sending <= 8) {
      const buf = Buffer.allocUnsafe(Math.max(this.ring.peekLength(), Math.min(BATCH_BYTES, this.ring.bytes)));
      const n = this.takeInto(buf, BATCH_MESSAGES, this.ends);
      if (n === 0) break;
      let start = 0;
      this.inflight += n;
      this.sending++;
      const bytes = this.ring.lastShiftBytes;
      // One callback per batch (on its last datagram): sends complete in order.
      const done = (): void => {
        this.sending--;
        this.inflight -= n;
        this.countDelivered(n, bytes);
        if (this.ring.count > 0) this.flush();
      };
      for (let i = 0; i < n; i++) {
        const end = this.ends[i];
        if (i === n - 1) s.send(buf, start, end - start, done);
        else s.send(buf, start, end - start);
        start = end;
      }
    }
  }

  protected closeTransport(): void {
    const s = this.socket;
    this.socket = null;
    this.connected = false;
    if (s !== null) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
