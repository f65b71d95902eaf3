// Every drain kind the router knows, registered by scheme. Importing this
// module is what makes parseDrainUrl() understand them.
import { registerDrainKind } from './url';
import { parseSyslogUrl, syslogParams, type SyslogDrainOptions } from './syslog/config';
import { SyslogStreamDrain } from './syslog/stream-drain';
import { SyslogUdpDrain } from './syslog/udp-drain';
import { httpDrainKind } from './http/kind';
import { logplexDrainKind } from './logplex/kind';
import { esDrainKind } from './elasticsearch/kind';

registerDrainKind({
  kind: 'syslog',
  schemes: ['syslog', 'syslog+udp', 'syslog+tcp', 'syslog+tls'],
  params: syslogParams,
  parse: parseSyslogUrl,
  create: (spec, ctx) =>
    (spec.options as SyslogDrainOptions).transport === 'udp' ? new SyslogUdpDrain(spec, ctx) : new SyslogStreamDrain(spec, ctx),
});

// persistent://<key>: the Postgres-backed log store (ctx.services.persistent).
import { parsePersistentUrl, persistentParams } from './persistent/config';
import { PersistentDrain } from './persistent/persistent-drain';
registerDrainKind({
  kind: 'persistent',
  schemes: ['persistent'],
  params: persistentParams,
  parse: parsePersistentUrl,
  create: (spec, ctx) => new PersistentDrain(spec, ctx),
});
registerDrainKind(httpDrainKind);
registerDrainKind(logplexDrainKind);
registerDrainKind(esDrainKind);

export { parseDrainUrl, validateEndpoint, maskUrl, createDrain } from './url';
