// The pure syslog library: framing, header scan, parsers, encoder, PROXY protocol.
export * from './errors';
export * from './types';
export * from './framer';
export * from './header';
export { parse5424, parseStructuredData } from './rfc5424';
export { parse3164, parseSyslog, YEAR_SLACK_MS, type Parse3164Options } from './rfc3164';
export * from './encode';
export * from './proxy-protocol';
