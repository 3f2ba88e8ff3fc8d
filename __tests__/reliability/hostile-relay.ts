// A small relay for the hostile-registry suite, for what the shared fault proxy does not do: it
// binds any loopback address (127.0.0.2 plays another host, as S3 does behind a registry),
// forwards to a registry with a credential of its own (the storage's, not the client's), records
// whether a client sent an Authorization header, and can answer with lying headers (a
// Docker-Content-Digest that names another digest) and another status.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HeaderRule {
  method: string;
  path: RegExp;
  /** Replaces the upstream's status. */
  status?: number;
  /** Set on the answer (over the upstream's). */
  headers: Record<string, string>;
  /** How many matching requests it applies to. Default: all. */
  times?: number;
}

export interface RelayRecord {
  method: string;
  url: string;
  status: number;
  /** An Authorization header came from the client (its value is never kept). */
  authorization: boolean;
  /** A header rule changed the answer. */
  lied: boolean;
}

export interface Relay {
  /** `127.0.0.x:<port>` */
  readonly host: string;
  readonly url: string;
  readonly records: RelayRecord[];
  addRule(rule: HeaderRule): void;
  reset(): void;
  stop(): Promise<void>;
}

export interface RelayOptions {
  /** `http://127.0.0.1:<port>` of the registry. */
  upstream: string;
  /** The loopback address to listen on. Default 127.0.0.1. */
  bindAddress?: string;
  /** Sent upstream in place of whatever the client sent. */
  upstreamAuthorization?: string;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const upstream = new URL(options.upstream);
  const records: RelayRecord[] = [];
  let rules: Array<HeaderRule & { remaining: number }> = [];
  const sockets = new Set<Socket>();

  const takeRule = (req: IncomingMessage) => {
    const rule = rules.find(
      (r) => r.remaining > 0 && r.method === req.method && r.path.test(req.url ?? ''),
    );
    if (rule) rule.remaining--;
    return rule;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const record: RelayRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      status: 0,
      authorization: req.headers.authorization !== undefined,
      lied: false,
    };
    records.push(record);
    const rule = takeRule(req);
    // The client's Host header goes on: the registry builds upload Locations from it, so the
    // PATCH and PUT of an upload come back through the relay too.
    const headers = { ...req.headers };
    if (options.upstreamAuthorization) headers.authorization = options.upstreamAuthorization;
    const forward = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
    });
    forward.on('error', () => {
      if (!res.headersSent) {
        record.status = 502;
        res.writeHead(502).end('upstream failed');
      } else res.destroy();
    });
    req.pipe(forward);
    forward.on('response', (answer) => {
      const out: OutgoingHttpHeaders = { ...answer.headers };
      let status = answer.statusCode ?? 502;
      if (rule) {
        record.lied = true;
        status = rule.status ?? status;
        for (const [name, value] of Object.entries(rule.headers)) out[name.toLowerCase()] = value;
        if (rule.status !== undefined && rule.status !== answer.statusCode) {
          // The upstream's body belongs to its own status: answer the new one without it.
          answer.resume();
          if (req.method !== 'HEAD') out['content-length'] = '0';
          record.status = status;
          res.writeHead(status, out).end();
          return;
        }
      }
      record.status = status;
      res.writeHead(status, out);
      answer.pipe(res);
    });
  };

  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const address = options.bindAddress ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `${address}:${port}`,
    url: `http://${address}:${port}`,
    records,
    addRule(rule) {
      rules.push({ ...rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },
    reset() {
      records.length = 0;
      rules = [];
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
