// Wiring: database → route source → route manager → router → inputs, and the
// HTTP server beside them. Start order makes the router able to route before
// any input accepts a byte; shutdown runs the other way round: stop taking
// input, then flush every drain within the grace period, then close storage.
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import './drains';
import { startHousekeeping, stopHousekeeping } from './drains/housekeeping';
import { maskUrl, validateEndpoint } from './drains/url';
import { StreamLinkPool } from './drains/syslog/link-pool';
import { healthRoutes } from './http/health';
import drainsApi from './http/drains-api';
import { compilersFactory } from './http/schema-validator';
import logsApi from './http/logs-api';
import { Intake } from './inputs/intake';
import { StreamListener } from './inputs/stream-listener';
import { TlsContext } from './inputs/tls-context';
import { UdpInput } from './inputs/udp-input';
import type { EnvoyInput } from './inputs/envoy';
import { httpEvents } from './inputs/http-events';
import { httpSyslog } from './inputs/http-syslog';
import { Router } from './router/router';
import { FileRouteSource } from './routes/file-source';
import { DbRouteSource } from './routes/postgres-source';
import { RouteManager } from './routes/route-manager';
import type { RouteSource } from './routes/route-source';
import { openDb, type Db } from './store/db';
import { migrate } from './store/migrate';
import { backoffDelay } from './backoff';
import { LogStore } from './store/log-store';

export interface AppOptions {
  logger?: Logger;
  /** Routes from code instead of ROUTES_FILE or the database (tests, embedding). */
  routeSource?: RouteSource;
}

export class App {
  readonly log: Logger;
  readonly router = new Router();
  readonly http: FastifyInstance;
  db: Db | null = null;
  /** persistent:// drains and GET /logs; its database opens on first use. */
  logStore: LogStore | null = null;
  private persistentDb: Db | null = null;
  routes!: RouteManager;
  private source!: RouteSource;
  private tcp: StreamListener | null = null;
  private tls: StreamListener | null = null;
  private tlsContext: TlsContext | null = null;
  private udp: UdpInput | null = null;
  private envoy: EnvoyInput | null = null;
  private migrated = false;
  private migrateTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly config: Config,
    private readonly opts: AppOptions = {},
  ) {
    this.log = opts.logger ?? pino({ level: config.logLevel, base: { service: 'switchyard' } });
    this.http = Fastify({
      loggerInstance: this.log.child({ component: 'http' }) as FastifyBaseLogger, bodyLimit: config.http.bodyLimit,
      // No line per request: ingest runs at thousands of requests a second.
      logController: new LogController({ disableRequestLogging: true }),
      // Our own validator (a 400 lists every problem in a request); fastify
      // would load ajv and fast-json-stringify otherwise (schema-validator.ts).
      schemaController: { compilersFactory },
    });
  }

  /** Bound ports (useful when configured as 0). */
  get ports(): { http: number; tcp: number; udp: number; tls: number; envoy: number } {
    const a = this.http.server.address();
    return {
      http: a !== null && typeof a === 'object' ? a.port : 0,
      tcp: this.tcp?.port ?? 0,
      udp: this.udp?.port ?? 0,
      tls: this.tls?.port ?? 0,
      envoy: this.envoy?.port ?? 0,
    };
  }

  async start(): Promise<void> {
    const c = this.config;
    startHousekeeping();
    this.source = this.opts.routeSource ?? (await this.openRouteSource());
    const p = c.persistent;
    this.logStore = new LogStore({
      db: () => this.openPersistentDb(),
      ownsDb: false,
      logger: this.log.child({ component: 'store' }),
      retention: { maxLines: p.maxLines, maxBytes: p.maxBytes, maxAgeMs: p.maxAgeMs, intervalMs: p.retentionIntervalMs },
    });
    this.routes = new RouteManager({
      router: this.router,
      source: this.source,
      ctx: {
        logger: this.log.child({ component: 'drain' }),
        buffer: { policy: c.drain.policy, bytes: c.drain.bufferBytes, pauseBytes: c.drain.pauseBytes, messages: c.drain.bufferMessages, graceMs: c.drain.graceMs },
        connectTimeoutMs: c.drain.connectTimeoutMs,
        writeTimeoutMs: c.drain.writeTimeoutMs,
        lingerMs: c.drain.lingerMs,
        links: c.drain.shareConnections ? new StreamLinkPool() : undefined,
        services: { persistent: this.logStore },
      },
      logger: this.log.child({ component: 'routes' }),
      drainCloseGraceMs: c.shutdownGraceMs,
    });
    await this.routes.start();
    await this.startInputs();
    await this.startHttp();
  }

  private async openRouteSource(): Promise<RouteSource> {
    const c = this.config;
    if (c.routesFile) return new FileRouteSource({ path: c.routesFile, logger: this.log.child({ component: 'routes' }) });
    this.db = await openDb({ url: c.databaseUrl ?? undefined, dataDir: c.dataDir, logger: this.log.child({ component: 'db' }) });
    await this.migrateUntilDone();
    return new DbRouteSource({ db: this.db, dataDir: c.dataDir, logger: this.log.child({ component: 'routes' }), resyncIntervalMs: c.routesResyncMs });
  }

  /** A database that is down at start must not stop the inputs: migrations retry in the background. */
  private async migrateUntilDone(attempt = 0): Promise<void> {
    try {
      const { applied } = await migrate(this.db!);
      this.migrated = true;
      if (applied.length > 0) this.log.info({ applied }, 'database migrations applied');
    } catch (err) {
      const delay = backoffDelay(attempt, 500);
      this.log.error({ err: (err as Error).message, retryInMs: delay }, `cannot migrate ${this.db!.description}; routing with the last known-good routes meanwhile`);
      this.migrateTimer = setTimeout(() => void this.migrateUntilDone(attempt + 1), delay);
      this.migrateTimer.unref();
    }
  }

  private async startInputs(): Promise<void> {
    const c = this.config;
    const intake = (): Intake =>
      new Intake(this.router, { tzOffsetMinutes: c.tzOffsetMinutes, fallbackHostname: c.hostnameFallback, maxMessageBytes: c.maxMessageBytes });
    const log = this.log.child({ component: 'input' });
    const stream = { host: c.bindAddress, maxConnections: c.maxConnections, idleTimeoutMs: c.idleTimeoutMs, handshakeTimeoutMs: c.handshakeTimeoutMs };
    if (c.inputs.tcp) {
      this.tcp = new StreamListener({ ...stream, name: 'tcp', port: c.ports.tcp, proxyProtocol: c.tcpProxyProtocol }, intake(), log);
      await this.tcp.start();
    }
    if (c.inputs.tls && c.tls) {
      const ctx = new TlsContext(c.tls, log);
      ctx.watch();
      this.tlsContext = ctx;
      this.tls = new StreamListener(
        { ...stream, name: 'tls', port: c.ports.tls, proxyProtocol: c.tls.proxyProtocol, tls: { context: ctx, requireClientCert: c.tls.clientAuth } },
        intake(),
        log,
      );
      await this.tls.start();
    }
    if (c.inputs.udp) {
      this.udp = new UdpInput({ host: c.bindAddress, port: c.ports.udp, receiveBufferBytes: c.udpReceiveBufferBytes }, intake(), log);
      await this.udp.start();
    }
    if (c.inputs.envoy) {
      const e = c.envoy;
      // Loaded only when enabled: grpc-js and protobufjs are large modules.
      const { EnvoyInput } = await import('./inputs/envoy');
      this.envoy = new EnvoyInput(
        {
          host: c.bindAddress,
          port: c.ports.envoy,
          appName: e.appName,
          akkeris: e.akkeris,
          maxStreamAgeMs: e.maxStreamAgeMs,
          maxReceiveMessageBytes: e.maxMessageBytes,
          tls: e.tls ? { cert: e.tls.cert, key: e.tls.key, ca: e.tls.ca || undefined, requireClientCert: !!e.tls.ca } : undefined,
        },
        this.router,
        this.log.child({ component: 'envoy' }),
      );
      await this.envoy.start();
    }
  }

  private async startHttp(): Promise<void> {
    const c = this.config;
    await this.http.register(healthRoutes, { readiness: { notReady: () => this.notReady() } });
    const ingest = { router: this.router, token: c.ingestToken, intake: { tzOffsetMinutes: c.tzOffsetMinutes, fallbackHostname: c.hostnameFallback, maxMessageBytes: c.maxMessageBytes } };
    if (c.inputs.httpSyslog) await this.http.register(httpSyslog, { ...ingest, path: c.http.syslogPath });
    if (c.inputs.httpEvents) await this.http.register(httpEvents, { ...ingest, path: c.http.eventsPath });
    if (this.db) {
      await this.http.register(drainsApi, { db: this.db, token: c.apiToken ?? undefined, validateEndpoint, maskEndpoint: maskUrl });
    }
    if (this.logStore) await this.http.register(logsApi, { store: this.logStore, token: c.apiToken ?? undefined, path: c.persistent.path });
    await this.http.listen({ port: c.ports.http, host: c.bindAddress });
  }

  /** PERSISTENT_DATABASE_URL, else the routes database, else embedded PGlite in DATA_DIR. */
  private async openPersistentDb(): Promise<Db> {
    const c = this.config;
    if (!c.persistent.databaseUrl && this.db) return this.db;
    this.persistentDb ??= await openDb({ url: c.persistent.databaseUrl ?? undefined, dataDir: c.dataDir, logger: this.log.child({ component: 'store' }) });
    return this.persistentDb;
  }

  notReady(): string[] {
    const missing: string[] = [];
    if (this.stopped) missing.push('shutting down');
    if (!this.routes?.ready) missing.push('no routes loaded yet (database unreachable and no last known-good copy)');
    if (this.db && !this.migrated) missing.push(`database ${this.db.description} not migrated yet`);
    if (this.db && !this.source.ready) missing.push(`route source not connected to ${this.db.description}`);
    return missing;
  }

  /** SIGHUP: re-read certificates and the routes file. */
  reload(): void {
    this.tlsContext?.reload();
    if (this.source instanceof FileRouteSource) this.source.reload();
  }

  /**
   * Graceful: stop accepting and reading, then flush drains for up to
   * SHUTDOWN_GRACE, then close storage. Idempotent.
   */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.migrateTimer) clearTimeout(this.migrateTimer);
    this.tlsContext?.close();
    await Promise.all([this.tcp?.close(), this.tls?.close(), this.udp?.close(), this.envoy?.close()]);
    await this.http.close();
    await this.routes?.close(this.config.shutdownGraceMs);
    this.router.close();
    await this.logStore?.close();
    await this.persistentDb?.close();
    await this.db?.close();
    stopHousekeeping();
  }

  /** Now: drops queued messages and closes everything. */
  destroy(): void {
    this.stopped = true;
    this.tcp?.destroy();
    this.tls?.destroy();
    this.udp?.destroy();
    this.envoy?.destroy();
    this.routes?.destroy();
    void this.http.close();
    stopHousekeeping();
  }

  /** Where embedded data lives, for the start-up line. */
  get dataDir(): string {
    return path.resolve(this.config.dataDir);
  }
}
