#!/usr/bin/env node
// Entry point: read configuration, start, handle signals, stop in order.
//   switchyard [--flags]     run the router
//   switchyard migrate       apply database migrations and exit
//   switchyard --help        every setting, with its default
import pino from 'pino';
import { App } from './app';
import { ConfigError, helpText, loadConfig } from './config';
import { openDb } from './store/db';
import { migrate } from './store/migrate';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  const command = argv[0] === 'migrate' || argv[0] === 'start' ? argv.shift() : 'start';
  let config;
  try {
    config = loadConfig(process.env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchyard: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { service: 'switchyard' } });

  if (command === 'migrate') {
    const db = await openDb({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir, logger: log });
    const { applied } = await migrate(db);
    log.info({ applied, database: db.description }, applied.length ? 'migrations applied' : 'database already up to date');
    await db.close();
    return 0;
  }

  const app = new App(config, { logger: log });
  let signals = 0;
  const stop = (signal: string): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now without flushing');
      process.exit(1);
    }
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new input, flushing drains');
    app.close().then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => app.reload());

  await app.start();
  const p = app.ports;
  const inputs = [
    config.inputs.tcp && `syslog/tcp :${p.tcp}`,
    config.inputs.udp && `syslog/udp :${p.udp}`,
    config.inputs.tls && `syslog/tls :${p.tls}`,
    `http :${p.http}`,
    config.inputs.envoy && `envoy grpc :${p.envoy}`,
  ].filter(Boolean);
  log.info({ inputs, routes: app.router.routes.size }, `switchyard listening: ${inputs.join(', ')}`);
  if (config.routesFile) log.info(`routes come from ${config.routesFile} (one "<hostname> <drain-url>" per line)`);
  else if (app.db?.kind === 'pglite') {
    log.info(
      `routes live in the embedded database in ${app.dataDir}; add one with: curl -X POST localhost:${p.http}/drains -H 'content-type: application/json' -d '{"hostname":"my-app","endpoint":"syslog+tcp://127.0.0.1:514"}'`,
    );
  } else if (app.db) log.info(`routes come from the drains table in ${app.db.description}`);
  if (!config.apiToken) log.info('API_TOKEN is not set: /drains and /logs answer loopback clients only');
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`switchyard: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
