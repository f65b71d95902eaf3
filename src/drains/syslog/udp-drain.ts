// syslog over UDP: one RFC 5424 message per datagram, no framing. UDP has no
// acknowledgement, so a message counts as delivered once the kernel took it,
// and as dropped (with an error) when the kernel refused it.
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
    // Send errors go to the send callbacks; what is left here is the socket's own.
    s.on('error', (err) => {
      this.stats.errors++;
      this.log.warn({ err: err.message }, 'syslog UDP drain socket error');
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
      // Every datagram has its own outcome (the last one can fail as well as
      // any other), so each send gets a callback; the batch is settled once
      // all n have answered. A send error never reaches the socket's 'error'
      // event when there is a callback.
      let left = n;
      let delivered = 0;
      let deliveredBytes = 0;
      const settle = (err: Error | null, len: number): void => {
        if (err === null) {
          delivered++;
          deliveredBytes += len;
        } else this.sendFailed(err, len);
        if (--left > 0) return;
        this.sending--;
        this.inflight -= n;
        this.countDelivered(delivered, deliveredBytes);
        if (this.ring.count > 0) this.flush();
      };
      for (let i = 0; i < n; i++) {
        const end = this.ends[i];
        const len = end - start;
        s.send(buf, start, len, (err) => settle(err, len));
        start = end;
      }
    }
  }

  /**
   * A datagram the kernel would not take. EMSGSIZE (larger than a UDP
   * datagram can be, 65,507 bytes over IPv4, or than the path allows) is
   * counted as oversize; anything else (ECONNREFUSED from an ICMP port
   * unreachable, no route) as rejected. UDP has no retry: the datagram is lost.
   */
  private sendFailed(err: Error, len: number): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.stats.errors++;
    this.countDropped(code === 'EMSGSIZE' ? 'oversize' : 'rejected', 1);
    this.log.warn({ err: err.message, bytes: len }, 'syslog UDP drain send failed; the datagram is lost (UDP has no retry)');
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
