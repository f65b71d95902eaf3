// Reads a process's memory and CPU use from /proc, the same figures `ps` and
// `top` show, so the numbers in the results table can be checked by hand.
import { readFileSync } from 'node:fs';

export interface MemStats {
  /** Current resident set (VmRSS), bytes. */
  rss: number;
  /** Peak resident set since start (VmHWM), bytes. */
  peak: number;
}

export function memStats(pid: number): MemStats | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // exited
  }
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CLK_TCK on Linux x86-64; `getconf CLK_TCK` says 100 on every distro we run. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds consumed so far (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; fields after it are plain.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (14) is rest[11], stime (15) rest[12].
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
}

export const MB = 1024 * 1024;
