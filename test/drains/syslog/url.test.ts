// Drain URL parsing for the syslog kinds: every scheme, common and kind
// parameters, the errors (coded, naming the bad part) and password masking.
import t from 'tap';
import '../../../src/drains';
import { maskUrl, parseDrainUrl, validateEndpoint } from '../../../src/drains/url';
import { SwitchyardError } from '../../../src/errors';
import type { SyslogDrainOptions } from '../../../src/drains/syslog/config';

const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

t.test('every syslog scheme', async (t) => {
  const cases: Array<[string, Partial<SyslogDrainOptions>]> = [
    ['syslog://logs.example.com:514', { transport: 'udp', host: 'logs.example.com', port: 514, framing: 'octet', tls: null }],
    ['syslog+udp://10.0.0.1:5514', { transport: 'udp', host: '10.0.0.1', port: 5514 }],
    ['syslog+tcp://127.0.0.1:601', { transport: 'tcp', port: 601, framing: 'octet' }],
    ['syslog+tcp://127.0.0.1:601?framing=lf', { transport: 'tcp', framing: 'lf' }],
    ['SYSLOG+TCP://[::1]:601', { transport: 'tcp', host: '::1' }],
    ['syslog+tls://logs.example.com:6514', { transport: 'tls', tls: { ca: undefined, cert: undefined, key: undefined, insecure: false, servername: 'logs.example.com' } }],
    ['syslog+tls://127.0.0.1:6514?insecure=true&framing=lf', { transport: 'tls', framing: 'lf', tls: { ca: undefined, cert: undefined, key: undefined, insecure: true, servername: undefined } }],
  ];
  for (const [url, want] of cases) {
    const spec = parseDrainUrl(url);
    t.equal(spec.kind, 'syslog', url);
    t.match(spec.options, want, url);
  }
  const withPem = parseDrainUrl(`syslog+tls://h:1?ca=${pem}&cert=${pem}&key=${pem}`).options as SyslogDrainOptions;
  t.match(withPem.tls?.ca, /BEGIN CERTIFICATE/);
  t.match(withPem.tls?.key, /BEGIN CERTIFICATE/);
});

t.test('common parameters: name, policy, buffer sizes, grace', async (t) => {
  const s = parseDrainUrl('syslog+tcp://h:1?name=audit&policy=block&buffer_bytes=2048&buffer_messages=10&grace=250');
  t.equal(s.label, 'audit');
  t.same(s.buffer, { policy: 'block', bytes: 2048, messages: 10, graceMs: 250 });
  const d = parseDrainUrl('syslog+tcp://user:secret@h:1');
  t.same(d.buffer, {}, 'nothing overridden');
  t.equal(d.label, 'syslog+tcp://h:1', 'label drops credentials and query');
  t.notMatch(d.label, /secret/);
});

t.test('bad URLs are rejected with SY_ERR_DRAIN_URL naming the bad part', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['not a url', /not a URL/],
    ['gopher://h:1', /unknown scheme "gopher"/],
    ['syslog+tcp://h', /port is required/],
    ['syslog+tcp://:1', /./],
    ['syslog+tcp://h:1?framing=xml', /framing must be octet or lf/],
    ['syslog+udp://h:1?framing=lf', /framing applies to tcp and tls only/],
    ['syslog+tcp://h:1?insecure=true', /insecure applies to syslog\+tls only/],
    ['syslog+tcp://h:1?ca=abc', /ca applies to syslog\+tls only/],
    ['syslog+tls://h:1?ca=bm90IGEgcGVt', /ca must be a base64-encoded PEM/],
    [`syslog+tls://h:1?cert=${pem}`, /cert and key go together/],
    ['syslog+tls://h:1?insecure=maybe', /insecure must be true or false/],
    ['syslog+tcp://h:1?colour=red', /unknown parameter "colour"/],
    ['syslog+tcp://h:1?policy=panic', /policy must be backpressure, block or drop/],
    ['syslog+tcp://h:1?buffer_bytes=10', /buffer_bytes must be an integer ≥ 1024/],
    ['syslog+tcp://h:1?buffer_messages=0', /buffer_messages must be an integer ≥ 1/],
    ['syslog+tcp://h:1?grace=-5', /grace must be an integer ≥ 0/],
    ['syslog+tcp://h:1?buffer_messages=1.5', /buffer_messages/],
  ];
  for (const [url, why] of bad) {
    try {
      parseDrainUrl(url);
      t.fail(`${url} was accepted`);
    } catch (err) {
      t.ok(err instanceof SwitchyardError, url);
      t.equal((err as SwitchyardError).code, 'SY_ERR_DRAIN_URL', url);
      t.match((err as Error).message, why, url);
    }
  }
  t.equal(validateEndpoint('syslog+tcp://h:1'), null);
  t.match(validateEndpoint('syslog+tcp://h:1?x=1'), /unknown parameter/);
});

t.test('passwords never appear in errors, labels or masked URLs', async (t) => {
  t.equal(maskUrl('syslog+tls://bob:hunter2@h:6514?framing=lf'), 'syslog+tls://bob:***@h:6514?framing=lf');
  t.equal(maskUrl('syslog+tcp://h:1'), 'syslog+tcp://h:1');
  // Not parseable as a URL (bad port): still masked.
  t.equal(maskUrl('syslog+tcp://bob:hunter2@h:port'), 'syslog+tcp://***@h:port');
  t.notMatch(validateEndpoint('syslog+tcp://bob:hunter2@h:port'), /hunter2/);
  const msg = validateEndpoint('syslog+tcp://bob:hunter2@h:1?nope=1');
  t.match(msg, /bob:\*\*\*@h/);
  t.notMatch(msg, /hunter2/);
  t.equal(parseDrainUrl('syslog+tcp://bob:hunter2@h:1').masked, 'syslog+tcp://bob:***@h:1');
});
