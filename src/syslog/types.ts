// The parsed form of one syslog message, shared by the RFC 5424 and RFC 3164
// parsers and the encoder. Used off the hot path (HTTP/JSON/ES/store drains).

export interface StructuredElement {
  id: string;
  params: Array<[string, string]>; // values unescaped (\" \\ \])
}

export interface SyslogMessage {
  facility: number;
  severity: number;
  timestamp: Date | null; // null for nil '-', absent or unparsable
  timestampText: string | null; // as sent; null for nil '-' or absent
  hostname: string | null; // null for '-' / missing
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: StructuredElement[]; // [] for '-' or absent
  structuredDataText: string | null; // raw SD text, or null for '-' / absent / unparsable
  message: Buffer; // MSG bytes as sent (a copy), BOM removed, invalid UTF-8 untouched
  format: 5424 | 3164;
  bom?: boolean; // true when MSG started with a UTF-8 BOM (RFC 5424 6.4), kept out of `message`
}
