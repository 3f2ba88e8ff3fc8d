// One HTTP exchange with a registry (node:http, or an injected fetch): an idle timeout (no
// progress for `timeoutMs` aborts), byte and request counts, redirects followed by hand (dropping the
// Authorization header when the redirect leaves the registry's origin, as S3-backed blob
// storage needs), and every fetch failure turned into a RegistryNetworkError. No retries and no
// auth here: the client decides what may be repeated and the authenticator adds credentials.

import { finished, Readable, Transform } from 'node:stream';
import { errorMessage } from '../errors';
import {
  DROPPED_CONNECTION_CODES,
  RegistryNetworkError,
  httpErrorFromBody,
  type RegistryHttpError,
} from './errors';
import { nodeHttpExchange } from './node-http-exchange';
import { isLoopbackRegistry } from './reference';

/** A WHATWG fetch (tests script one); sent through `fetchExchange`. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Header values by name, case-insensitive, as fetch's `Headers.get` gives them. */
export interface HeaderLookup {
  get(name: string): string | null;
}

export interface HttpInit {
  method: string;
  headers: Record<string, string>;
  /** Bytes, or a stream sent with backpressure. */
  body?: Buffer | Readable;
  signal: AbortSignal;
}

/** One answer: its body is null for HEAD and for the statuses that have none. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: HeaderLookup;
  readonly body: Readable | null;
}

/** Sends one request, follows no redirect; node-http-exchange.ts by default. */
export type HttpExchange = (url: string, init: HttpInit) => Promise<HttpAnswer>;

/** What the bench and tests read: requests sent by method, and body bytes each way. */
export interface TransportStats {
  /** Requests sent, by HTTP method (redirect hops and token requests included). */
  requests: Record<string, number>;
  /** Of those, requests to token servers. */
  tokenRequests: number;
  /** Of those, requests the registry answered with 401 (auth challenges). */
  challenges: number;
  /** Request body bytes handed to fetch. */
  bytesUp: number;
  /** Response body bytes read. */
  bytesDown: number;
}

/** A request body that can be sent again: bytes, or an opener that gives a fresh stream. */
export type RequestBody = Buffer | (() => NodeJS.ReadableStream);

export interface TransportRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Follow 3xx answers (blob GET/HEAD); a hop to another origin loses the Authorization header. */
  followRedirects?: boolean;
  /** Counted as a token server request in the stats. */
  tokenRequest?: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: HeaderLookup;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** Reads the whole body; fails when it is longer than `limit` bytes. */
  readBytes(limit: number): Promise<Buffer>;
  /** The body as a stream, counted and guarded by the idle timeout. Use once. */
  stream(): Readable;
  /** Reads and drops a short body (so the connection can be reused), or cancels a long one. */
  discard(): Promise<void>;
  /** Reads the body into a RegistryHttpError for a status the caller does not accept. */
  toError(): Promise<RegistryHttpError>;
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  readonly stats: TransportStats;
  readonly timeoutMs: number;
}

export interface TransportOptions {
  /** Instead of node:http (tests): a fetch, which must not follow redirects. */
  fetch?: FetchLike;
  /** Abort an exchange when nothing moves (headers, a body chunk either way) for this long. */
  timeoutMs?: number;
  userAgent?: string;
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;
const ERROR_BODY_LIMIT = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function createTransport(options: TransportOptions = {}): Transport {
  return new HttpTransport(options);
}

/** `https://host/v2/` for every registry, except loopback ones which speak plain HTTP. */
export function registryBaseUrl(registry: string): string {
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`;
}

/** An HttpExchange through a WHATWG fetch, with manual redirects. */
export function fetchExchange(fetch: FetchLike): HttpExchange {
  return async (url, init) => {
    const request: RequestInit & { duplex?: 'half' } = {
      method: init.method,
      headers: init.headers,
      redirect: 'manual',
      signal: init.signal,
    };
    if (init.body !== undefined) {
      request.body = init.body as unknown as RequestInit['body'];
      if (!Buffer.isBuffer(init.body)) request.duplex = 'half';
    }
    const response = await fetch(url, request);
    return {
      status: response.status,
      headers: response.headers,
      body: response.body
        ? Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0])
        : null,
    };
  };
}

/** Appends query parameters to a URL that may already carry some (upload Locations do). */
export function withQuery(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [key, value] of Object.entries(params)) parsed.searchParams.append(key, value);
  return parsed.toString();
}

class HttpTransport implements Transport {
  readonly stats: TransportStats = {
    requests: {},
    tokenRequests: 0,
    challenges: 0,
    bytesUp: 0,
    bytesDown: 0,
  };
  readonly timeoutMs: number;
  private readonly exchange: HttpExchange;
  private readonly userAgent: string;
  private readonly now: () => number;

  constructor(options: TransportOptions) {
    // Every request through node:http, not the global fetch (undici): see node-http-exchange.ts.
    this.exchange = options.fetch ? fetchExchange(options.fetch) : nodeHttpExchange;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? 'atlas-ecs-deploy';
    this.now = options.now ?? Date.now;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    let url = request.url;
    let headers: Record<string, string> = { 'User-Agent': this.userAgent, ...request.headers };
    const origin = new URL(url).origin;
    for (let hop = 0; ; hop++) {
      const response = await this.sendOnce(request, url, headers);
      const location = response.headers.get('location');
      if (!request.followRedirects || !REDIRECT_STATUSES.has(response.status) || !location) {
        return response;
      }
      await response.discard();
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryNetworkError(
          'TOO_MANY_REDIRECTS',
          `${request.method} ${redact(request.url)} was redirected more than ${MAX_REDIRECTS} times`,
        );
      }
      const next = new URL(location, url);
      if (new URL(url).protocol === 'https:' && next.protocol !== 'https:') {
        throw new RegistryNetworkError(
          'INSECURE_REDIRECT',
          `${request.method} ${redact(url)} was redirected to plain HTTP (${next.host}); refused`,
        );
      }
      if (next.origin !== origin) headers = withoutAuthorization(headers);
      url = next.toString();
    }
  }

  private async sendOnce(
    request: TransportRequest,
    url: string,
    headers: Record<string, string>,
  ): Promise<TransportResponse> {
    const method = request.method;
    this.stats.requests[method] = (this.stats.requests[method] ?? 0) + 1;
    if (request.tokenRequest) this.stats.tokenRequests++;
    const guard = new IdleGuard(
      this.timeoutMs,
      () =>
        new RegistryNetworkError(
          'TIMEOUT',
          `${method} ${redact(url)}: no progress for ${formatMs(this.timeoutMs)}`,
        ),
    );
    const init: HttpInit = { method, headers, signal: guard.signal };
    let sourceError: unknown;
    let source: NodeJS.ReadableStream | undefined;
    if (Buffer.isBuffer(request.body)) {
      init.body = request.body;
      this.stats.bytesUp += request.body.length;
    } else if (request.body) {
      source = request.body();
      const stats = this.stats;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          guard.progress();
          stats.bytesUp += chunk.length;
          done(null, chunk);
        },
      });
      const stream = source;
      // The source's own failure is the request's (a cancelled staging, bytes that do not verify).
      stream.on('error', (error: unknown) => (sourceError = error));
      // A source closed before its end (released once the answer came, say) fails the request
      // rather than leaving it unfinished, its socket holding the process open.
      finished(stream, (error) => {
        if (error) counted.destroy(error);
      });
      // The request done or failed: nothing more is read from the source.
      counted.on('close', () => destroyStream(stream));
      init.body = stream.pipe(counted);
    }
    let response: HttpAnswer;
    try {
      response = await this.exchange(url, init);
    } catch (error) {
      guard.done();
      destroyStream(source);
      if (sourceError !== undefined) throw sourceError;
      throw guard.timedOut ?? toNetworkError(error, method, url);
    }
    guard.progress();
    if (response.status === 401) this.stats.challenges++;
    return new HttpResponse(response, method, url, guard, this.stats, this.now, () =>
      destroyStream(source),
    );
  }
}

class HttpResponse implements TransportResponse {
  readonly status: number;
  readonly headers: HeaderLookup;
  private used = false;

  constructor(
    private readonly response: HttpAnswer,
    private readonly method: string,
    readonly url: string,
    private readonly guard: IdleGuard,
    private readonly stats: TransportStats,
    private readonly now: () => number,
    private readonly release: () => void,
  ) {
    this.status = response.status;
    this.headers = response.headers;
    if (!response.body) this.finish();
  }

  async readBytes(limit: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.stream()) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        throw new RegistryNetworkError(
          'BODY_TOO_LARGE',
          `${this.method} ${redact(this.url)}: the answer is longer than ${limit} bytes`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  stream(): Readable {
    if (this.used) throw new Error('response body already used');
    this.used = true;
    const body = this.response.body;
    if (!body) return Readable.from([]);
    const { guard, stats, method, url } = this;
    const finish = () => this.finish();
    // One synchronous hop per chunk: counted, and the idle timer re-armed.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        guard.progress();
        stats.bytesDown += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        finish();
        done();
      },
    });
    body.on('error', (error) => {
      finish();
      counted.destroy(guard.timedOut ?? toNetworkError(error, method, url));
    });
    // Ended, failed, or dropped by its reader: an unfinished body is not read on.
    counted.on('close', () => {
      finish();
      if (!body.readableEnded) body.destroy();
    });
    return body.pipe(counted);
  }

  async discard(): Promise<void> {
    if (this.used || !this.response.body) {
      this.finish();
      return;
    }
    const length = Number(this.headers.get('content-length') ?? 'NaN');
    if (Number.isFinite(length) && length <= ERROR_BODY_LIMIT) {
      await this.readBytes(ERROR_BODY_LIMIT).catch(() => undefined);
      return;
    }
    this.used = true;
    this.response.body.destroy();
    this.finish();
  }

  async toError(): Promise<RegistryHttpError> {
    let text = '';
    if (this.method !== 'HEAD') {
      try {
        text = (await this.readBytes(ERROR_BODY_LIMIT)).toString('utf8');
      } catch {
        await this.discard();
      }
    } else {
      await this.discard();
    }
    return httpErrorFromBody(
      this.method,
      this.status,
      text,
      this.headers.get('retry-after'),
      this.now(),
    );
  }

  private finish(): void {
    this.guard.done();
    this.release();
  }
}

/** Aborts the exchange when `progress()` has not been called for `timeoutMs`. */
class IdleGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut: RegistryNetworkError | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly makeError: () => RegistryNetworkError,
  ) {
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  progress(): void {
    // Called for every body chunk: re-arming the same timer is cheaper than a new one.
    this.timer?.refresh();
  }

  done(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timedOut = this.makeError();
      this.controller.abort(this.timedOut);
    }, this.timeoutMs);
    this.timer.unref();
  }
}

/** Digs the system error code out of undici's `TypeError: fetch failed` (cause chain). */
export function toNetworkError(error: unknown, method: string, url: string): RegistryNetworkError {
  if (error instanceof RegistryNetworkError) return error;
  let code: string | undefined;
  let detail = errorMessage(error);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const candidate = (current as { code?: unknown }).code;
    if (typeof candidate === 'string') {
      code = candidate;
      const message = (current as { message?: unknown }).message;
      detail = typeof message === 'string' ? message : errorMessage(current);
      break;
    }
    current = (current as { cause?: unknown }).cause;
  }
  if (!code && error instanceof Error && error.name === 'AbortError') code = 'ABORTED';
  const host = safeHost(url);
  return new RegistryNetworkError(
    code ?? 'NETWORK',
    `${method} ${redact(url)}: ${describeCode(code, host)}${detail ? ` (${detail})` : ''}`,
  );
}

function describeCode(code: string | undefined, host: string): string {
  if (code && DROPPED_CONNECTION_CODES.has(code)) return `the connection to ${host} was dropped`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${host} refused the connection`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${host} could not be resolved`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${host} timed out`;
    default:
      if (code && (code.includes('CERT') || code.startsWith('ERR_TLS') || code === 'EPROTO')) {
        return `the TLS connection to ${host} failed`;
      }
      return `the request to ${host} failed`;
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A URL for messages: upload session state and presigned query strings are left out. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return url;
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
}

function destroyStream(stream: NodeJS.ReadableStream | undefined): void {
  const destroyable = stream as { destroy?: () => void } | undefined;
  destroyable?.destroy?.();
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}
