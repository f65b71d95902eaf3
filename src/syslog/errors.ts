// Errors raised by the pure syslog library. Both carry the byte offset where
// the input stopped making sense, so a caller can log a useful excerpt
// without us formatting strings on the hot path.
import { SwitchyardError } from '../errors';

export const SY_ERR_FRAMING = 'SY_ERR_FRAMING';
export const SY_ERR_PARSE = 'SY_ERR_PARSE';
export const SY_ERR_ENCODE = 'SY_ERR_ENCODE';

// Bytes that cannot start or continue a frame (TLS sent to a plain port,
// binary noise, a zero-length or over-long octet count). The connection
// cannot be resynchronised: the caller closes it.
export class FramingError extends SwitchyardError {
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(SY_ERR_FRAMING, `syslog framing failed: ${reason} (at byte ${offset} of the chunk); closing the connection is the only way to resynchronise`);
    this.name = 'FramingError';
    this.offset = offset;
  }
}

// A message whose PRI or VERSION is unusable. `field` names the RFC 5424 /
// 3164 field that failed, `offset` is relative to the buffer passed in.
export class ParseError extends SwitchyardError {
  readonly offset: number;
  readonly field: string;
  constructor(field: string, reason: string, offset: number) {
    super(SY_ERR_PARSE, `syslog ${field} is invalid: ${reason} (at byte ${offset})`);
    this.name = 'ParseError';
    this.offset = offset;
    this.field = field;
  }
}

// The caller asked us to encode something impossible (PRI out of range,
// output buffer too small): a programming error, not bad input from the wire.
export class EncodeError extends SwitchyardError {
  constructor(reason: string) {
    super(SY_ERR_ENCODE, `syslog encoding failed: ${reason}`);
    this.name = 'EncodeError';
  }
}
