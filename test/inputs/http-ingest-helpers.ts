// Shared by the HTTP ingest tests: posting, logplex bodies, metric reads.
import { metricValue } from '../helpers/metrics';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function post(port: number, path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** An application/logplex-1 body: octet-counted frames, no separator. */
export function logplex(msgs: string[]): Buffer {
  return Buffer.concat(msgs.map((m) => Buffer.from(`${Buffer.byteLength(m)} ${m}`)));
}

/** Headers as Heroku's HTTPS drains send them. */
export function logplexHeaders(count: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/logplex-1', 'logplex-msg-count': String(count), 'logplex-frame-id': 'frame-' + count, ...extra };
}

/** The current value of a counter with these labels (0 if never counted). */
export async function counterValue(name: string, labels: Record<string, string>): Promise<number> {
  return metricValue(name, labels);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
