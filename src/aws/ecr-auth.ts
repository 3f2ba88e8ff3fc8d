// Registry credentials for ECR hosts, from ecr:GetAuthorizationToken: a base64 `AWS:<password>`
// that works for every registry the caller may use in that region, for 12 hours. The token, its
// decoded password (and so the Basic header, which is the token itself) are masked before anyone
// sees them.
import { RemoteError } from '../errors';
import { parseEcrHost } from '../registry/reference';
import type { EcrAuthApi } from './api';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Where an ECR registry is, as `parseEcrHost` gives it. */
export interface EcrLocation {
  readonly accountId: string;
  readonly region: string;
}

/**
 * Credentials for one ECR registry host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
 * `ecr`, when given, says where the registry is instead of its host name (a loopback stand-in).
 */
export type EcrCredentialGetter = (
  registryHost: string,
  ecr?: EcrLocation,
) => Promise<RegistryCredentials>;

export interface EcrCredentialOptions {
  /** Milliseconds clock; Date.now by default. */
  readonly now?: () => number;
}

/** A token this close to its expiry is fetched again rather than reused. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

interface CachedToken {
  readonly credentials: RegistryCredentials;
  readonly expiresAt: number | undefined;
}

/**
 * `apiForRegion` gives an ECR client in a region: a token is only valid in the region it was issued
 * in, so a host of another region than the default one must be asked there. `mask` hides a value in
 * every later log line (ActionIO.setSecret).
 */
export function createEcrCredentialGetter(
  apiForRegion: (region: string) => EcrAuthApi,
  mask: (secret: string) => void,
  options: EcrCredentialOptions = {},
): EcrCredentialGetter {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Promise<CachedToken>>();

  const fresh = (token: CachedToken): boolean =>
    token.expiresAt === undefined || token.expiresAt - now() > TOKEN_REFRESH_MARGIN_MS;

  return async (registryHost, location) => {
    const ecr = location ?? parseEcrHost(registryHost);
    if (!ecr) {
      throw new RemoteError(
        'ecr:GetAuthorizationToken',
        `registry ${registryHost}`,
        'not an ECR registry host (ACCOUNT.dkr.ecr.REGION.amazonaws.com)',
        'use the Docker config for other registries',
      );
    }
    const cached = cache.get(ecr.region);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && fresh(token)) return token.credentials;
      if (cache.get(ecr.region) === cached) cache.delete(ecr.region);
    }
    let pending = cache.get(ecr.region);
    if (!pending) {
      const request = fetchToken(apiForRegion(ecr.region), ecr.region, mask);
      cache.set(ecr.region, request);
      // A failure is not remembered: the next caller asks again.
      request.catch(() => {
        if (cache.get(ecr.region) === request) cache.delete(ecr.region);
      });
      pending = request;
    }
    return (await pending).credentials;
  };
}

async function fetchToken(
  api: EcrAuthApi,
  region: string,
  mask: (secret: string) => void,
): Promise<CachedToken> {
  const answer = await api.getAuthorizationToken({});
  const data = answer.authorizationData?.[0];
  const token = data?.authorizationToken;
  if (!token) {
    throw new RemoteError(
      'ecr:GetAuthorizationToken',
      `ECR in ${region}`,
      'the answer holds no authorization token',
    );
  }
  mask(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon > 0 ? decoded.slice(colon + 1) : '';
  if (password !== '') mask(password);
  if (colon <= 0 || password === '') {
    throw new RemoteError(
      'ecr:GetAuthorizationToken',
      `ECR in ${region}`,
      'the authorization token is not base64 of user:password (value hidden)',
    );
  }
  return {
    credentials: { username: decoded.slice(0, colon), password },
    expiresAt: data.expiresAt ? data.expiresAt.getTime() : undefined,
  };
}
