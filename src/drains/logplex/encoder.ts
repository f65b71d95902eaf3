// syslog+http(s):// body and headers, as a Heroku logplex HTTPS drain sends
// them, so any receiver built for Heroku drains accepts ours:
//   POST, Content-Type: application/logplex-1
//   body: RFC 6587 octet-counted frames "LEN SP <RFC 5424 bytes as received>"
//   Logplex-Msg-Count: number of frames
//   Logplex-Frame-Id:  one id per batch, the same on every retry of it (so a
//                      receiver can drop a duplicate); each half of a 413
//                      split is a new batch with a new id
//   Logplex-Drain-Token: the drain's token
import { octetFrameHeaderLength, writeOctetFrameHeader } from '../../syslog';
import type { EncodedRequest } from '../batch/batch-drain';
import { recordStart, type RecordBatch } from '../batch/record-batch';

export const LOGPLEX_CONTENT_TYPE = 'application/logplex-1';

/** Pure: octet-counted frames of every record, back to back. */
export function encodeLogplexBody(b: RecordBatch): Buffer {
  let size = b.bytes;
  for (let i = 0; i < b.count; i++) size += octetFrameHeaderLength(b.ends[i] - recordStart(b, i));
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < b.count; i++) {
    const s = recordStart(b, i);
    o = writeOctetFrameHeader(out, o, b.ends[i] - s);
    o += b.buf.copy(out, o, s, b.ends[i]);
  }
  return out;
}

export function encodeLogplex(b: RecordBatch, drainToken: string): EncodedRequest {
  return {
    body: encodeLogplexBody(b),
    headers: {
      'content-type': LOGPLEX_CONTENT_TYPE,
      'logplex-msg-count': String(b.count),
      'logplex-frame-id': b.id,
      'logplex-drain-token': drainToken,
    },
  };
}
