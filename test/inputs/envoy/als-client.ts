// Test-side Envoy stand-in: a grpc-js client built from Envoy's OFFICIAL
// protos (shipped in @grpc/grpc-js-xds), so every test also proves our
// hand-written proto/ subset is wire compatible with what Envoy sends.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

const def = protoLoader.loadSync('envoy/service/accesslog/v3/als.proto', {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
  ],
});
const pkg = grpc.loadPackageDefinition(def) as unknown as {
  envoy: { service: { accesslog: { v3: { AccessLogService: grpc.ServiceClientConstructor } } } };
};
const AccessLogService = pkg.envoy.service.accesslog.v3.AccessLogService;

export interface AlsStream {
  client: grpc.Client;
  call: grpc.ClientWritableStream<object>;
  /** Settles when the server answers: its status (OK = 0) and any error. */
  done: Promise<{ code: number; details: string }>;
  /** Writes one message and waits for it to be flushed to the transport. */
  send(msg: object): Promise<void>;
}

/** Opens a StreamAccessLogs call, as Envoy does. */
export function openAlsStream(
  port: number,
  opts: { creds?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
): AlsStream {
  const client = new AccessLogService(
    `127.0.0.1:${port}`,
    opts.creds ?? grpc.credentials.createInsecure(),
    opts.channelOptions ?? {},
  );
  let call!: grpc.ClientWritableStream<object>;
  const done = new Promise<{ code: number; details: string }>((resolve) => {
    call = (client as unknown as Record<string, (cb: (err: grpc.ServiceError | null) => void) => grpc.ClientWritableStream<object>>)
      .StreamAccessLogs((err) => {
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
      });
  });
  const send = (msg: object) =>
    new Promise<void>((resolve, reject) => {
      call.write(msg, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  return { client, call, done, send };
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA, which the server must refuse. */
  strangerCert: string;
  strangerKey: string;
  cleanup(): void;
}

export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-envoy-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.crt`);
  const leaf = (name: string, signer: string, ext: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial',
      '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  ca('test-ca');
  ca('other-ca');
  leaf('server', 'test-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    ca: read('test-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    strangerCert: read('stranger.crt'),
    strangerKey: read('stranger.key'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** An HTTP entry as Envoy would send it (official field names). */
export function httpEntry(o: {
  cluster?: string;
  path?: string;
  status?: number;
  startSeconds?: number;
  method?: string;
  extra?: Record<string, unknown>;
}): object {
  return {
    common_properties: {
      upstream_cluster: o.cluster,
      start_time: o.startSeconds === undefined ? undefined : { seconds: String(o.startSeconds), nanos: 250000000 },
      downstream_remote_address: { socket_address: { address: '192.0.2.10', port_value: 40001 } },
      upstream_remote_address: { socket_address: { address: '10.0.0.5', port_value: 8080 } },
      duration: { seconds: '0', nanos: 42000000 },
      ...(o.extra ?? {}),
    },
    protocol_version: 'HTTP11',
    request: {
      request_method: o.method ?? 'GET',
      authority: 'svc.example.com',
      path: o.path ?? '/',
      user_agent: 'envoy-test/1.0 (switchyard)',
      request_id: 'rid-' + (o.path ?? '/'),
      request_headers_bytes: '10',
      request_body_bytes: '5',
    },
    response: {
      response_code: o.status === undefined ? undefined : { value: o.status },
      response_headers_bytes: '20',
      response_body_bytes: '7',
    },
  };
}

/** A TCP entry as Envoy would send it. */
export function tcpEntry(o: { cluster?: string; startSeconds?: number; termination?: string; periodic?: boolean }): object {
  return {
    common_properties: {
      upstream_cluster: o.cluster,
      start_time: o.startSeconds === undefined ? undefined : { seconds: String(o.startSeconds) },
      downstream_remote_address: { socket_address: { address: '192.0.2.20', port_value: 50000 } },
      connection_termination_details: o.termination,
      access_log_type: o.periodic ? 'TcpPeriodic' : 'TcpConnectionEnd',
    },
    connection_properties: { received_bytes: '1000', sent_bytes: '2000' },
  };
}
