// Registry authentication: where credentials come from (an injected ECR token getter for ECR
// hosts, else the Docker config) and the challenge flow of the distribution spec. A 401 names a
// scheme: `Basic realm=…` → send the Basic header; `Bearer realm=…,service=…` → fetch a token
// from the realm for `repository:<name>:pull[,push]` (with Basic credentials when known,
// anonymously otherwise) and cache it per scope. Every secret and every derived form (password,
// identity token, Basic header, bearer token) goes through `mask` before anything is logged.

import { RegistryAuthError, RegistryNetworkError } from './errors';
import { readDockerCredentials, type Credentials, type DockerConfigOptions } from './docker-config';
import { isLoopbackRegistry, parseEcrHost } from './reference';
import type { Transport } from './transport';

export type { Credentials } from './docker-config';

/** An ECR location, as `parseEcrHost` gives it. */
export interface EcrRegistry {
  accountId: string;
  region: string;
}

/**
 * Gets a login for an ECR registry (from `ecr:GetAuthorizationToken`: user `AWS` and the
 * token as password). Called once per registry and run; the values are masked here.
 */
export type EcrCredentialsGetter = (
  registry: string,
  ecr: EcrRegistry,
) => Promise<{ username: string; password: string }>;

export interface CredentialProviderOptions {
  ecrCredentials?: EcrCredentialsGetter;
  /** Which registries are ECR; `parseEcrHost` by default (tests map a loopback host here). */
  identifyEcrRegistry?: (registry: string) => EcrRegistry | undefined;
  dockerConfig?: DockerConfigOptions;
  mask: (value: string) => void;
  log: (message: string) => void;
}

export interface CredentialProvider {
  /** The login for a registry, or undefined for anonymous access. Cached per registry. */
  get(registry: string): Promise<Credentials | undefined>;
  /** Where the login came from (or where we looked), for error messages. */
  describe(registry: string): string;
  ecr(registry: string): EcrRegistry | undefined;
}

export function createCredentialProvider(options: CredentialProviderOptions): CredentialProvider {
  const identify = options.identifyEcrRegistry ?? parseEcrHost;
  const cache = new Map<string, Promise<Credentials | undefined>>();
  const sources = new Map<string, string>();
  const mask = maskOnce(options.mask);

  async function lookUp(registry: string): Promise<Credentials | undefined> {
    const ecr = identify(registry);
    // Without a getter, an ECR host falls back to the Docker config (e.g. amazon-ecr-login).
    if (ecr && options.ecrCredentials) {
      let login: { username: string; password: string };
      try {
        login = await options.ecrCredentials(registry, ecr);
      } catch (error) {
        throw new RegistryAuthError(
          `getting an ECR authorization token for ${registry} failed: ${(error as Error).message}`,
          401,
        );
      }
      mask(login.password);
      maskBasic(mask, login);
      sources.set(registry, `ecr:GetAuthorizationToken for account ${ecr.accountId}`);
      return { username: login.username, password: login.password };
    }
    const found = await readDockerCredentials(registry, options.dockerConfig);
    sources.set(registry, found.source);
    if (found.warning) options.log(`Warning: ${found.warning}`);
    const credentials = found.credentials;
    if (credentials) {
      if (credentials.password) mask(credentials.password);
      if (credentials.identityToken) mask(credentials.identityToken);
      if (credentials.password !== undefined) maskBasic(mask, credentials);
      options.log(`${registry}: using credentials from ${found.source}`);
    }
    return credentials;
  }

  return {
    get(registry) {
      let pending = cache.get(registry);
      if (!pending) {
        pending = lookUp(registry);
        cache.set(registry, pending);
        pending.catch(() => cache.delete(registry));
      }
      return pending;
    },
    describe(registry) {
      return sources.get(registry) ?? 'no credentials looked up yet';
    },
    ecr(registry) {
      return identify(registry);
    },
  };
}

export type Action = 'pull' | 'push';

/** Access to one repository; a push that mounts also needs pull on the source repository. */
export interface AuthScope {
  repository: string;
  actions: readonly Action[];
}

export interface Authenticator {
  /** The Authorization header to send up front, when the registry's scheme is already known. */
  authorization(registry: string, scopes: readonly AuthScope[]): Promise<string | undefined>;
  /**
   * Answers a 401: learns the challenge and returns the header to repeat the request with.
   * `sent` is the header the refused request carried (a stale token is dropped and refetched).
   * Throws RegistryAuthError when there is no way to satisfy the challenge.
   */
  challenge(
    registry: string,
    scopes: readonly AuthScope[],
    wwwAuthenticate: string | null,
    sent: string | undefined,
  ): Promise<string>;
  /** The error for a request refused again with the header `challenge` gave. */
  rejected(registry: string, header: string, detail: string): RegistryAuthError;
}

export interface AuthenticatorOptions {
  transport: Transport;
  credentials: CredentialProvider;
  mask: (value: string) => void;
  now?: () => number;
}

/** One challenge from a WWW-Authenticate header: the scheme (lower-cased) and its parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_BODY_LIMIT = 1024 * 1024;
/** Tokens without `expires_in` last 60 s per the token spec; renew a little early. */
const DEFAULT_TOKEN_SECONDS = 60;
const RENEW_MARGIN_MS = 10_000;

interface RegistryAuthState {
  scheme?: 'basic' | 'bearer';
  realm?: string;
  service?: string;
  tokens: Map<string, { header: string; expiresAt: number }>;
  pending: Map<string, Promise<string>>;
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const mask = maskOnce(options.mask);
  const states = new Map<string, RegistryAuthState>();

  const stateOf = (registry: string): RegistryAuthState => {
    let state = states.get(registry);
    if (!state) {
      state = { tokens: new Map(), pending: new Map() };
      states.set(registry, state);
    }
    return state;
  };

  async function basicHeader(registry: string): Promise<string | undefined> {
    const credentials = await options.credentials.get(registry);
    if (!credentials || credentials.password === undefined) return undefined;
    return maskBasic(mask, credentials);
  }

  async function bearerHeader(
    registry: string,
    state: RegistryAuthState,
    scopes: readonly string[],
  ): Promise<string> {
    const key = scopes.join(' ');
    const cached = state.tokens.get(key);
    if (cached && cached.expiresAt > now()) return cached.header;
    let pending = state.pending.get(key);
    if (!pending) {
      pending = fetchToken(registry, state, scopes).finally(() => state.pending.delete(key));
      state.pending.set(key, pending);
    }
    return pending;
  }

  async function fetchToken(
    registry: string,
    state: RegistryAuthState,
    scopes: readonly string[],
  ): Promise<string> {
    const realm = state.realm!;
    const credentials = await options.credentials.get(registry);
    const url = new URL(realm);
    if (url.protocol !== 'https:' && !isLoopbackUrl(url)) {
      throw new RegistryAuthError(
        `${registry} sends clients to a token server over plain HTTP (${url.origin}); refused`,
        401,
      );
    }
    let response;
    if (credentials?.identityToken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken,
        client_id: 'atlas-ecs-deploy',
        ...(state.service ? { service: state.service } : {}),
      });
      for (const scope of scopes) form.append('scope', scope);
      response = await options.transport.send({
        method: 'POST',
        url: url.toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        tokenRequest: true,
      });
    } else {
      if (state.service) url.searchParams.set('service', state.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const basic = credentials?.password !== undefined ? maskBasic(mask, credentials) : undefined;
      response = await options.transport.send({
        method: 'GET',
        url: url.toString(),
        headers: basic ? { Authorization: basic } : {},
        tokenRequest: true,
      });
    }
    if (response.status === 401 || response.status === 403) {
      await response.discard();
      throw new RegistryAuthError(
        credentials
          ? `the token server ${url.origin} refused the credentials for ${registry} (HTTP ${response.status}; from ${options.credentials.describe(registry)})`
          : `the token server ${url.origin} refused anonymous access to ${scopes.join(' ')} (HTTP ${response.status}; ${options.credentials.describe(registry)})`,
        response.status,
      );
    }
    if (response.status !== 200) throw await response.toError();
    const body = (await response.readBytes(TOKEN_BODY_LIMIT)).toString('utf8');
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new RegistryNetworkError(
        'BAD_TOKEN_RESPONSE',
        `the token server ${url.origin} answered with something that is not JSON`,
      );
    }
    const token =
      typeof parsed.token === 'string' && parsed.token
        ? parsed.token
        : typeof parsed.access_token === 'string'
          ? parsed.access_token
          : '';
    if (!token) {
      throw new RegistryNetworkError(
        'BAD_TOKEN_RESPONSE',
        `the token server ${url.origin} answered without a token`,
      );
    }
    mask(token);
    const seconds =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_TOKEN_SECONDS;
    const header = `Bearer ${token}`;
    state.tokens.set(scopes.join(' '), {
      header,
      expiresAt: now() + Math.max(seconds * 1000 - RENEW_MARGIN_MS, 1000),
    });
    return header;
  }

  return {
    async authorization(registry, scopes) {
      const state = stateOf(registry);
      if (state.scheme === 'basic') return basicHeader(registry);
      if (state.scheme === 'bearer') return bearerHeader(registry, state, scopeStrings(scopes));
      // ECR answers every anonymous request with a Basic challenge: skip that round trip.
      if (options.credentials.ecr(registry)) {
        const header = await basicHeader(registry);
        if (header) state.scheme = 'basic';
        return header;
      }
      return undefined;
    },

    async challenge(registry, scopes, wwwAuthenticate, sent) {
      const state = stateOf(registry);
      const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (bearer) {
        state.scheme = 'bearer';
        state.realm = bearer.params.realm;
        state.service = bearer.params.service;
        const wanted = mergeScopes(scopeStrings(scopes), bearer.params.scope);
        const key = wanted.join(' ');
        if (sent?.startsWith('Bearer ')) {
          const cached = state.tokens.get(key);
          if (cached?.header === sent) state.tokens.delete(key);
        }
        return bearerHeader(registry, state, wanted);
      }
      if (basic) {
        state.scheme = 'basic';
        const header = await basicHeader(registry);
        if (!header) {
          throw new RegistryAuthError(
            `${registry} requires a login and none was found (${options.credentials.describe(registry)})`,
            401,
          );
        }
        if (sent === header) {
          throw new RegistryAuthError(
            `${registry} refused the credentials from ${options.credentials.describe(registry)}`,
            401,
          );
        }
        return header;
      }
      throw new RegistryAuthError(
        `${registry} answered 401 without a usable challenge${wwwAuthenticate ? ` (${challenges.map((c) => c.scheme).join(', ') || 'unparsable'})` : ''}`,
        401,
      );
    },

    rejected(registry, header, detail) {
      if (header.startsWith('Basic ')) {
        return new RegistryAuthError(
          `${registry} refused the credentials from ${options.credentials.describe(registry)} (${detail})`,
          401,
        );
      }
      return new RegistryAuthError(
        `${registry} refused the request even after authenticating: the token from ${stateOf(registry).realm ?? 'its token server'} does not grant this access with the credentials from ${options.credentials.describe(registry)} (${detail})`,
        401,
      );
    },
  };
}

/** `repository:<name>:pull,push` strings, sorted, so equal needs share one cached token. */
export function scopeStrings(scopes: readonly AuthScope[]): string[] {
  const merged = new Map<string, Set<Action>>();
  for (const scope of scopes) {
    const actions = merged.get(scope.repository) ?? new Set<Action>();
    for (const action of scope.actions) actions.add(action);
    merged.set(scope.repository, actions);
  }
  return [...merged.entries()]
    .map(([repository, actions]) => {
      const ordered = (['pull', 'push'] as const).filter((a) => actions.has(a));
      return `repository:${repository}:${ordered.join(',')}`;
    })
    .sort();
}

function mergeScopes(ours: string[], theirs: string | undefined): string[] {
  if (!theirs) return ours;
  const extra = theirs.split(' ').filter((s) => s && !ours.includes(s) && !covered(ours, s));
  return [...ours, ...extra].sort();
}

/** Whether `scope` (repository:x:pull) is already granted by one of ours (repository:x:pull,push). */
function covered(ours: string[], scope: string): boolean {
  const cut = scope.lastIndexOf(':');
  const resource = scope.slice(0, cut);
  const actions = scope.slice(cut + 1).split(',');
  return ours.some((o) => {
    const oCut = o.lastIndexOf(':');
    if (o.slice(0, oCut) !== resource) return false;
    const have = o.slice(oCut + 1).split(',');
    return actions.every((a) => have.includes(a));
  });
}

/**
 * Parses `WWW-Authenticate`: one or more challenges, each a scheme then comma-separated
 * `key=value` or `key="quoted, value"` parameters (RFC 9110 §11.6.1).
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const tokenStart = i;
    while (i < n && !/[\s,=]/.test(header[i]!)) i++;
    const token = header.slice(tokenStart, i);
    if (!token) {
      i++;
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(start, i).trim();
      }
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The Basic header for a login; the base64 and the whole header are masked. */
function maskBasic(
  mask: (value: string) => void,
  credentials: { username?: string; password?: string },
): string {
  const encoded = Buffer.from(
    `${credentials.username ?? ''}:${credentials.password ?? ''}`,
    'utf8',
  ).toString('base64');
  mask(encoded);
  return `Basic ${encoded}`;
}

function maskOnce(mask: (value: string) => void): (value: string) => void {
  const seen = new Set<string>();
  return (value) => {
    if (!value || seen.has(value)) return;
    seen.add(value);
    mask(value);
  };
}

function isLoopbackUrl(url: URL): boolean {
  return isLoopbackRegistry(url.host);
}
