// Starts a real router in-process for tests: every listener on an ephemeral
// port of 127.0.0.1, routes from code, no database unless asked for.
import pino from 'pino';
import { App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { StaticRouteSource } from '../../src/routes/file-source';

export interface TestRouter {
  app: App;
  router: App['router'];
  ports: App['ports'];
  /** Replaces the whole route set. */
  setRoutes(routes: Array<[hostname: string, drainUrl: string]>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Environment for tests that move megabytes through a receiver in the test
 * process itself. Under load it can fall behind for longer than the default
 * 1 s grace, and the drain would be cut loose and drop: these tests check
 * order and exact counts, and the grace period has tests of its own
 * (overflow.test.ts).
 */
export const PATIENT = { DRAIN_OVERFLOW_GRACE: '60s' };

export async function startTestRouter(
  opts: { routes?: Array<[hostname: string, drainUrl: string]>; env?: Record<string, string>; logger?: pino.Logger } = {},
): Promise<TestRouter> {
  const config = loadConfig({
    HTTP_PORT: '0',
    SYSLOG_TCP_PORT: '0',
    SYSLOG_UDP_PORT: '0',
    SYSLOG_TLS_PORT: '0',
    ENVOY_PORT: '0',
    BIND_ADDRESS: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_GRACE: '2s',
    ...opts.env,
  });
  const source = new StaticRouteSource(opts.routes ?? []);
  const app = new App(config, { logger: opts.logger ?? pino({ level: config.logLevel }), routeSource: source });
  await app.start();
  return {
    app,
    router: app.router,
    ports: app.ports,
    async setRoutes(routes) {
      source.set(routes);
    },
    close: () => app.close(),
  };
}
