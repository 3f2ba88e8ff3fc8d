// An ECR registry for the bundled action, on loopback. The action knows an ECR registry by its host
// name (`<account>.dkr.ecr.<region>.amazonaws.com`), which only a non-loopback host can have, and it
// speaks HTTPS to every non-loopback registry. So this helper:
//   1. makes a throwaway CA and a server certificate for the ECR host name with openssl;
//   2. serves HTTPS on 127.0.0.1:<free port> with it, forwarding each request to a real
//      docker-registry behind htpasswd (user `AWS`, the password of FakeEcr's tokens), with
//      `X-Forwarded-Proto: https` so the registry's upload Locations say https (a plain byte pipe
//      would make them http:// URLs of the ECR host, which the action would then call);
//   3. writes a preload script for the child (`NODE_OPTIONS=--require <preload>`) that sends
//      `tls.connect` calls for the ECR host to that port, keeping the server name for SNI and
//      certificate checks, and refuses plain connections to it; `NODE_EXTRA_CA_CERTS` makes the
//      child trust the CA. Node's fetch looks `tls.connect` up on the module at call time, so
//      replacing the export reroutes it. Nothing ever leaves the machine.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startRegistry, type RegistryServer } from './registry-server';

export const ECR_ACCOUNT = '123456789012';

export interface EcrRequestRecord {
  method: string;
  url: string;
  status: number;
  /** The scheme of the Authorization header that came (its value is never kept). */
  authorization: string | undefined;
}

export interface EcrEndpoint {
  /** `123456789012.dkr.ecr.<region>.amazonaws.com` */
  readonly host: string;
  /** The loopback port the HTTPS front listens on. */
  readonly port: number;
  /** The registry behind the front (plain HTTP on loopback), for checks with Basic `AWS:<pw>`. */
  readonly registry: RegistryServer;
  /** NODE_OPTIONS and NODE_EXTRA_CA_CERTS for the child that should reach `host`. */
  readonly env: Record<string, string>;
  readonly records: EcrRequestRecord[];
  stop(): Promise<void>;
}

export interface EcrEndpointOptions {
  /** The password of `AWS` (what FakeEcr's GetAuthorizationToken hands out). */
  password: string;
  region?: string;
}

export async function startEcrEndpoint(options: EcrEndpointOptions): Promise<EcrEndpoint> {
  const host = `${ECR_ACCOUNT}.dkr.ecr.${options.region ?? 'us-east-1'}.amazonaws.com`;
  const dir = await mkdtemp(path.join(tmpdir(), 'ecr-endpoint-'));
  let registry: RegistryServer | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  try {
    const files = await makeCertificate(dir, host);
    registry = await startRegistry({ htpasswd: { username: 'AWS', password: options.password } });
    const records: EcrRequestRecord[] = [];
    server = createServer(
      { key: await readFile(files.key), cert: await readFile(files.cert) },
      forwardTo(registry.port, records),
    );
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const address = listening.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const preload = path.join(dir, 'reroute-ecr.js');
    await writeFile(preload, preloadScript(host, port));
    const started = registry;
    return {
      host,
      port,
      registry: started,
      env: { NODE_OPTIONS: `--require ${preload}`, NODE_EXTRA_CA_CERTS: files.ca },
      records,
      async stop() {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const socket of sockets) socket.destroy();
    server?.close();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A CA and a certificate for `host` signed by it (SAN DNS:host), valid for two days. */
async function makeCertificate(
  dir: string,
  host: string,
): Promise<{ ca: string; key: string; cert: string }> {
  const file = (name: string) => path.join(dir, name);
  await writeFile(file('san.cnf'), `subjectAltName=DNS:${host}\n`);
  await openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/CN=atlas-ecs-deploy test CA',
  ]); // prettier-ignore
  await openssl([
    'req', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${host}`,
  ]); // prettier-ignore
  await openssl([
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', file('san.cnf'), '-out', file('server.pem'),
  ]); // prettier-ignore
  return { ca: file('ca.pem'), key: file('server.key'), cert: file('server.pem') };
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

/** Forwards a request to the registry on loopback, telling it the client came over HTTPS. */
function forwardTo(
  registryPort: number,
  records: EcrRequestRecord[],
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const record: EcrRequestRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      status: 0,
      authorization: req.headers.authorization?.split(' ')[0],
    };
    records.push(record);
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: registryPort,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, 'x-forwarded-proto': 'https' },
    });
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502);
        res.end('registry unreachable');
      } else {
        res.destroy();
      }
    });
    upstream.on('response', (answer) => {
      record.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  };
}

/**
 * The child's preload: TLS connections to `host` go to 127.0.0.1:`port` (SNI and the certificate
 * check still use `host`); plain TCP connections to it are refused, so nothing reaches the
 * internet even by mistake.
 */
function preloadScript(host: string, port: number): string {
  return `'use strict';
// Written by __tests__/helpers/ecr-endpoint.ts: reroutes ${host} to 127.0.0.1:${port}.
const tls = require('node:tls');
const net = require('node:net');
const HOST = ${JSON.stringify(host)};
const PORT = ${port};
const connectTls = tls.connect;
tls.connect = function (...args) {
  if (typeof args[0] === 'object' && args[0] !== null && args[0].host === HOST) {
    args[0] = { ...args[0], host: '127.0.0.1', port: PORT, servername: args[0].servername || HOST };
  } else if (typeof args[0] === 'number' && args[1] === HOST) {
    const options = typeof args[2] === 'object' && args[2] !== null ? args[2] : {};
    return connectTls.call(this, { ...options, host: '127.0.0.1', port: PORT, servername: HOST },
      ...args.slice(typeof args[2] === 'object' ? 3 : 2));
  }
  return connectTls.apply(this, args);
};
for (const name of ['connect', 'createConnection']) {
  const original = net[name];
  net[name] = function (...args) {
    const target = typeof args[0] === 'object' && args[0] !== null ? args[0].host : args[1];
    if (target === HOST) throw new Error('test preload: plain TCP to ' + HOST + ' is refused');
    return original.apply(this, args);
  };
}
`;
}
