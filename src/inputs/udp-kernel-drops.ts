// Datagrams the kernel dropped on the UDP input's socket. When the router's
// event loop falls behind a burst, the socket's receive buffer
// (UDP_RECEIVE_BUFFER, capped by net.core.rmem_max) fills and Linux drops
// what arrives next, before the router sees a byte. The router cannot count
// those itself; the kernel does, per socket, in /proc/net/udp and udp6 (the
// last column, "drops"). Elsewhere (not Linux) there is nothing to read.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface UdpSocketRow {
  port: number;
  inode: number;
  drops: number;
}

/** The rows of /proc/net/udp or udp6 (header line skipped, malformed lines ignored). */
export function parseProcNetUdp(text: string): UdpSocketRow[] {
  const out: UdpSocketRow[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    const f = lines[i].trim().split(/\s+/);
    if (f.length < 13) continue;
    const colon = f[1].lastIndexOf(':');
    const port = parseInt(f[1].slice(colon + 1), 16);
    const inode = Number(f[9]);
    const drops = Number(f[f.length - 1]);
    if (colon < 0 || !Number.isInteger(port) || !Number.isInteger(inode) || !Number.isInteger(drops)) continue;
    out.push({ port, inode, drops });
  }
  return out;
}

/** Inodes of this process's sockets, from /proc/self/fd. */
function ownSocketInodes(): Set<number> {
  const out = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m !== null) out.add(Number(m[1]));
  }
  return out;
}

function readRows(): UdpSocketRow[] | null {
  const rows: UdpSocketRow[] = [];
  let read = false;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue; // no such file: not Linux, or no IPv6
    }
    read = true;
    rows.push(...parseProcNetUdp(text));
  }
  return read ? rows : null;
}

/**
 * Reads the kernel's drop count of this process's UDP socket bound to `port`.
 * The socket's inode is looked up once (among the process's own sockets, so
 * another process's socket on the same port in another address never
 * counts) and kept.
 */
export class UdpKernelDrops {
  private inode: number | null = null;

  constructor(private readonly port: number) {}

  /** Drops so far, or null when the kernel does not say (not Linux, socket not found). */
  read(): number | null {
    const rows = readRows();
    if (rows === null) return null;
    if (this.inode === null) {
      const mine = ownSocketInodes();
      const row = rows.find((r) => r.port === this.port && mine.has(r.inode));
      if (row === undefined) return null;
      this.inode = row.inode;
      return row.drops;
    }
    const row = rows.find((r) => r.inode === this.inode);
    return row === undefined ? null : row.drops;
  }
}
