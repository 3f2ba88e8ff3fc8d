// A loopback HTTP proxy for the registry tests: forwards every request to an upstream registry,
// records what it saw (method, path, status, whether an Authorization header came in), and
// injects faults by rule — a status (500, 429 + Retry-After, 403 DENIED…), a connection dropped
// before any answer or in the middle of a request or response body, a stalled body, a slow answer,
// a rewritten body, a redirect.
// It can also play a token server (Bearer challenge flow) in front of a registry without auth.

import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

export type FaultAction =
  /** Answer without forwarding. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Drop the connection without forwarding or answering anything. */
  | { kind: 'reset' }
  /** Wait `ms` before forwarding (the request body waits too), then forward normally. */
  | { kind: 'delay'; ms: number }
  /** Forward, but drop the connection once this many request body bytes came in. */
  | { kind: 'reset-request'; afterBytes: number }
  /** Forward, but drop the connection after this many response body bytes. */
  | { kind: 'reset-response'; afterBytes: number }
  /** Forward headers and `afterBytes` of the body, then send nothing more for `ms`. */
  | { kind: 'stall-response'; afterBytes: number; ms: number }
  /** Forward with the response body replaced (Content-Length adjusted). */
  | { kind: 'rewrite-response'; rewrite: (body: Buffer) => Buffer }
  /** Answer 307 with Location `${to}${path}`. */
  | { kind: 'redirect'; to: string }
  /**
   * Hold the request (its body waits too) until `until` settles, run `before`, then forward it:
   * how a test forces one interleaving of concurrent requests instead of hoping for it.
   */
  | {
      kind: 'hold';
      until: Promise<unknown>;
      /** Called when the request arrives and is held. */
      onHold?: () => void;
      before?: () => void | Promise<void>;
    };

export interface FaultRule {
  method?: string;
  path: RegExp;
  /** How many matching requests it applies to. Default 1. */
  times?: number;
  /** A further condition on the request (e.g. its Content-Length). */
  when?: (req: IncomingMessage) => boolean;
  action: FaultAction;
}

export interface ProxyRecord {
  method: string;
  /** Path and query as received. */
  url: string;
  status: number;
  /** An Authorization header came with the request (its value is never kept). */
  authorization: boolean;
  /** When the request arrived and when its answer was done (ms since the epoch). */
  at: number;
  doneAt?: number;
  /** The Range header, when one came. */
  range?: string;
  /** A fault rule answered or altered this request. */
  fault?: FaultAction['kind'];
}

export interface BearerOptions {
  /** Logins the token server accepts; anonymous requests get pull-only tokens if allowed. */
  username: string;
  password: string;
  anonymousPull?: boolean;
  /** Answer with `access_token` instead of `token`. */
  accessTokenField?: boolean;
  /** An OAuth2 refresh token (Docker's `identitytoken`) accepted by POST /token. */
  refreshToken?: string;
}

export interface FaultProxyOptions {
  /** `http://127.0.0.1:<port>` of the registry. */
  upstream: string;
  /** Sent upstream instead of whatever the client sent (a storage back end's own credential). */
  upstreamAuthorization?: string;
  /** Play a token server: clients must present Bearer tokens it issued. */
  bearer?: BearerOptions;
}

export interface FaultProxy {
  readonly host: string;
  readonly url: string;
  readonly records: ProxyRecord[];
  addRule(rule: FaultRule): void;
  /** Forget records and rules. */
  reset(): void;
  /** Resolves once a request matching `filter` has been answered (at once if one already was). */
  answered(filter: (record: ProxyRecord) => boolean): Promise<ProxyRecord>;
  /** Requests by method, optionally only those matching a filter. */
  counts(filter?: (record: ProxyRecord) => boolean): Record<string, number>;
  /** Token requests seen by the built-in token server. */
  tokenRequests(): number;
  /** Invalidate every issued token (the next use gets 401). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

interface Grant {
  repositories: Map<string, Set<string>>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const records: ProxyRecord[] = [];
  let rules: Array<FaultRule & { remaining: number }> = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const tokens = new Map<string, Grant>();
  let tokenRequests = 0;
  let selfUrl = '';
  let waiters: Array<{
    filter: (record: ProxyRecord) => boolean;
    resolve: (r: ProxyRecord) => void;
  }> = [];

  const takeRule = (req: IncomingMessage): FaultAction | undefined => {
    const rule = rules.find(
      (r) =>
        r.remaining > 0 &&
        (!r.method || r.method === req.method) &&
        r.path.test(req.url ?? '') &&
        (!r.when || r.when(req)),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return rule.action;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const record: ProxyRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      status: 0,
      at: Date.now(),
      authorization: req.headers.authorization !== undefined,
      ...(req.headers.range ? { range: req.headers.range } : {}),
    };
    records.push(record);
    res.on('close', () => {
      record.doneAt = Date.now();
      const ready = waiters.filter((w) => w.filter(record));
      waiters = waiters.filter((w) => !ready.includes(w));
      for (const waiter of ready) waiter.resolve(record);
    });
    const answer = (status: number, headers: Record<string, string>, body = '') => {
      record.status = status;
      req.resume();
      res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };

    if (options.bearer && (req.url ?? '').startsWith('/token')) {
      tokenRequests++;
      const bearer = options.bearer;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        handleToken(req, Buffer.concat(chunks).toString('utf8'), bearer, tokens, answer);
      });
      return;
    }
    if (options.bearer) {
      const denied = checkBearer(req, tokens, selfUrl);
      if (denied) {
        answer(
          401,
          { 'WWW-Authenticate': denied, 'Content-Type': 'application/json' },
          '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
        );
        return;
      }
    }

    const action = takeRule(req);
    if (action) record.fault = action.kind;
    if (action?.kind === 'status') {
      answer(
        action.status,
        { 'Content-Type': 'application/json', ...action.headers },
        action.body ?? '',
      );
      return;
    }
    if (action?.kind === 'redirect') {
      answer(307, { Location: `${action.to}${req.url ?? '/'}` });
      return;
    }
    if (action?.kind === 'reset') {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'hold') {
      action.onHold?.();
      const release = async () => {
        await action.until.catch(() => undefined);
        await action.before?.();
      };
      release().then(
        () => forward(req, res, record, action),
        () => res.destroy(),
      );
      return;
    }
    if (action?.kind === 'delay') {
      // No 'data' listener until then, so the request body stays in the socket's buffers.
      const timer = setTimeout(() => {
        timers.delete(timer);
        forward(req, res, record, action);
      }, action.ms);
      timers.add(timer);
      return;
    }
    forward(req, res, record, action);
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxyRecord,
    action: FaultAction | undefined,
  ) => {
    const answer = (status: number, headers: Record<string, string>, body = '') => {
      record.status = status;
      req.resume();
      res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };

    const headers: IncomingHttpHeaders = { ...req.headers };
    if (options.bearer) delete headers.authorization;
    if (options.upstreamAuthorization) headers.authorization = options.upstreamAuthorization;
    const upstreamReq = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
    });
    upstreamReq.on('error', () => {
      if (!res.headersSent) answer(502, {}, 'upstream failed');
      else res.destroy();
    });
    let requestBytes = 0;
    req.on('data', (chunk: Buffer) => {
      if (action?.kind === 'reset-request') {
        const room = action.afterBytes - requestBytes;
        requestBytes += chunk.length;
        if (requestBytes >= action.afterBytes) {
          if (room > 0) upstreamReq.write(chunk.subarray(0, room));
          record.status = -1;
          upstreamReq.destroy();
          req.socket.destroy();
          return;
        }
      }
      if (!upstreamReq.write(chunk)) {
        req.pause();
        upstreamReq.once('drain', () => req.resume());
      }
    });
    req.on('end', () => upstreamReq.end());
    req.on('aborted', () => upstreamReq.destroy());

    upstreamReq.on('response', (up) => {
      record.status = up.statusCode ?? 0;
      const upHeaders = { ...up.headers };
      if (action?.kind === 'rewrite-response') {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = action.rewrite(Buffer.concat(chunks));
          upHeaders['content-length'] = String(body.length);
          res.writeHead(up.statusCode ?? 502, upHeaders);
          res.end(body);
        });
        return;
      }
      res.writeHead(up.statusCode ?? 502, upHeaders);
      if (action?.kind === 'reset-response' || action?.kind === 'stall-response') {
        let sent = 0;
        let held = false;
        up.on('data', (chunk: Buffer) => {
          if (held) return;
          const room = action.afterBytes - sent;
          if (chunk.length < room) {
            sent += chunk.length;
            res.write(chunk);
            return;
          }
          if (room > 0) res.write(chunk.subarray(0, room));
          sent = action.afterBytes;
          held = true;
          if (action.kind === 'reset-response') {
            up.destroy();
            res.socket?.destroy();
            return;
          }
          // Stall: nothing more until the client gives up (or the stall ends).
          up.pause();
          const rest = chunk.subarray(Math.max(room, 0));
          const timer = setTimeout(() => {
            timers.delete(timer);
            res.write(rest);
            up.pipe(res);
            up.resume();
          }, action.ms);
          timers.add(timer);
          res.on('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
            up.destroy();
          });
        });
        up.on('end', () => {
          if (!held) res.end();
        });
        return;
      }
      up.pipe(res);
    });
  };

  const server: Server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  selfUrl = `http://127.0.0.1:${port}`;

  return {
    host: `127.0.0.1:${port}`,
    url: selfUrl,
    records,
    addRule(rule) {
      rules.push({ ...rule, remaining: rule.times ?? 1 });
    },
    reset() {
      records.length = 0;
      rules = [];
      waiters = [];
      tokenRequests = 0;
    },
    answered(filter) {
      const done = records.find((r) => r.doneAt !== undefined && filter(r));
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => waiters.push({ filter, resolve }));
    },
    counts(filter) {
      const counts: Record<string, number> = {};
      for (const r of records) {
        if (filter && !filter(r)) continue;
        counts[r.method] = (counts[r.method] ?? 0) + 1;
      }
      return counts;
    },
    tokenRequests: () => tokenRequests,
    revokeTokens() {
      tokens.clear();
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The registry name in a /v2/<name>/(manifests|blobs|tags)/… path. */
function repositoryOf(path: string): string | undefined {
  const match = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path);
  return match?.[1];
}

function checkBearer(
  req: IncomingMessage,
  tokens: Map<string, Grant>,
  selfUrl: string,
): string | undefined {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const repository = repositoryOf(url.pathname);
  const needed: Array<[string, string]> = [];
  if (repository) {
    needed.push([repository, req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push']);
    const from = url.searchParams.get('from');
    if (from && url.searchParams.get('mount')) needed.push([from, 'pull']);
  }
  const header = req.headers.authorization ?? '';
  const grant = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
  if (grant && needed.every(([repo, action]) => grant.repositories.get(repo)?.has(action))) {
    return undefined;
  }
  const scope = needed.map(([repo, action]) => `repository:${repo}:${action}`).join(' ');
  return `Bearer realm="${selfUrl}/token",service="fault-proxy"${scope ? `,scope="${scope}"` : ''}`;
}

function handleToken(
  req: IncomingMessage,
  body: string,
  bearer: BearerOptions,
  tokens: Map<string, Grant>,
  answer: (status: number, headers: Record<string, string>, body?: string) => void,
): void {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const header = req.headers.authorization ?? '';
  let authenticated = false;
  let params = url.searchParams;
  if (req.method === 'POST') {
    // OAuth2 refresh-token grant, as Docker sends it for an identity token.
    params = new URLSearchParams(body);
    if (
      params.get('grant_type') !== 'refresh_token' ||
      !bearer.refreshToken ||
      params.get('refresh_token') !== bearer.refreshToken
    ) {
      answer(401, { 'Content-Type': 'application/json' }, '{"details":"invalid refresh token"}');
      return;
    }
    authenticated = true;
  } else if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    if (decoded !== `${bearer.username}:${bearer.password}`) {
      answer(
        401,
        { 'Content-Type': 'application/json' },
        '{"details":"incorrect username or password"}',
      );
      return;
    }
    authenticated = true;
  } else if (!bearer.anonymousPull) {
    answer(401, { 'Content-Type': 'application/json' }, '{"details":"login required"}');
    return;
  }
  const grant: Grant = { repositories: new Map() };
  for (const scope of params.getAll('scope')) {
    for (const part of scope.split(' ')) {
      const [kind, name, actions] = part.split(':');
      if (kind !== 'repository' || !name || !actions) continue;
      const allowed = actions.split(',').filter((a) => authenticated || a === 'pull');
      const set = grant.repositories.get(name) ?? new Set<string>();
      for (const a of allowed) set.add(a);
      grant.repositories.set(name, set);
    }
  }
  const token = randomBytes(16).toString('hex');
  tokens.set(token, grant);
  const field = bearer.accessTokenField || req.method === 'POST' ? 'access_token' : 'token';
  answer(
    200,
    { 'Content-Type': 'application/json' },
    JSON.stringify({ [field]: token, expires_in: 300 }),
  );
}
