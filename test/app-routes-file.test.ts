// The App with ROUTES_FILE: routes are read at start, follow edits made in
// place and by atomic replacement (write + rename, as editors and config
// management do) more than once, survive an invalid edit, and reload().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { App } from '../src/app';
import { loadConfig } from '../src/config';
import { startSyslogReceiver, type SyslogReceiver } from './helpers/syslog-receiver';
import { octet, sendTcp, until } from './inputs/stream-helpers';

t.test('ROUTES_FILE edits are followed, including repeated atomic replacements', async (t) => {
  const rx = await startSyslogReceiver();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-routes-'));
  const file = path.join(dir, 'routes.txt');
  fs.writeFileSync(file, `one ${rx.url}\n`);
  const config = loadConfig({
    ROUTES_FILE: file,
    DATA_DIR: dir,
    BIND_ADDRESS: '127.0.0.1',
    HTTP_PORT: '0',
    SYSLOG_TCP_PORT: '0',
    SYSLOG_UDP_PORT: '0',
    ENVOY: 'false',
    SHUTDOWN_GRACE: '1s',
  });
  const app = new App(config, { logger: pino({ level: 'silent' }) });
  await app.start();
  t.teardown(async () => {
    await app.close();
    await rx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const port = app.ports.tcp;
  const msg = (host: string): Buffer => octet(`<14>1 2024-05-01T10:00:00Z ${host} app - - - hello ${host}`);
  // Sends for `host` until the receiver has a message for it (the file watch is asynchronous).
  const reaches = async (r: SyslogReceiver, host: string): Promise<void> => {
    const has = (): boolean => r.lines().some((l) => l.endsWith(`hello ${host}`));
    const deadline = Date.now() + 5000;
    while (!has() && Date.now() < deadline) {
      await sendTcp(port, [msg(host)]);
      await new Promise((res) => setTimeout(res, 50));
    }
    if (!has()) throw new Error(`no route for ${host} took effect`);
  };
  const replace = (text: string): void => {
    const tmp = path.join(dir, `.routes.${Math.random()}`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  };

  await reaches(rx, 'one');
  t.pass('route from the file at start');
  fs.writeFileSync(file, `one ${rx.url}\ntwo ${rx.url}\n`);
  await reaches(rx, 'two');
  t.pass('in-place edit followed');
  replace(`one ${rx.url}\nthree ${rx.url}\n`);
  await reaches(rx, 'three');
  t.pass('first atomic replacement followed');
  replace(`one ${rx.url}\nfour ${rx.url}\n`);
  await reaches(rx, 'four');
  t.pass('second atomic replacement followed too');
  await until(() => app.router.routes.lookupName('three') === undefined, 'removed route gone');

  replace(`this line is not a route\n`);
  await new Promise((res) => setTimeout(res, 300));
  t.ok(app.router.routes.lookupName('four'), 'an invalid file keeps the current routes');
  replace(`five ${rx.url}\n`);
  app.reload();
  await reaches(rx, 'five');
  t.equal(app.router.routes.lookupName('four'), undefined);
});
