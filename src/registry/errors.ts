// What can go wrong talking to a registry, classified once: which failures are worth another
// attempt, and which fix to suggest for each step (ECR's IAM actions, a missing repository, the
// docker login, the host). Turned into a RemoteError at the client's API boundary.

import { RemoteError, errorMessage } from '../errors';
import { parseRetryAfter } from '../util/retry';

/** One entry of a distribution error body: `{"errors":[{"code":"…","message":"…"}]}`. */
export interface DistributionErrorEntry {
  code: string;
  message: string;
}

/** A registry answered with a status the step does not accept. */
export class RegistryHttpError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    readonly errors: readonly DistributionErrorEntry[],
    /** Milliseconds the server asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs: number | undefined,
    bodyText: string,
  ) {
    super(describeHttpFailure(method, status, errors, bodyText));
    this.name = 'RegistryHttpError';
  }

  hasCode(...codes: string[]): boolean {
    return this.errors.some((e) => codes.includes(e.code));
  }
}

/** No HTTP answer at all: a reset connection, a refused one, a TLS failure, a timeout. */
export class RegistryNetworkError extends Error {
  constructor(
    /** ECONNRESET, ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET, TIMEOUT, a TLS code… */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryNetworkError';
  }
}

/** The registry or its token server refused our credentials, or wants some we do not have. */
export class RegistryAuthError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistryAuthError';
  }
}

/** What was received is not what was asked for (a digest or size mismatch). */
export class RegistryIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryIntegrityError';
  }
}

/**
 * A 200 answer that is not what the distribution API gives at all (an HTML page): something
 * other than the registry answered, such as a captive portal, a login page or a misrouted proxy.
 */
export class RegistryImpostorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryImpostorError';
  }
}

/**
 * A RemoteError with the registry facts kept for callers and tests: the HTTP status and the
 * distribution error codes, when there were any.
 */
export class RegistryError extends RemoteError {
  constructor(
    operation: string,
    target: string,
    causeMessage: string,
    fix: string | undefined,
    readonly status: number | undefined,
    readonly codes: readonly string[],
  ) {
    super(operation, target, causeMessage, fix);
  }
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Throttling, server-side failures and dropped connections; never 4xx, auth or integrity. */
export function isRetryableRegistryError(error: unknown): boolean {
  if (error instanceof RegistryHttpError) {
    if (error.status === 429 || error.status === 408) return true;
    if (error.status >= 500 && error.status !== 501 && error.status !== 505) return true;
    return error.hasCode('TOOMANYREQUESTS');
  }
  if (error instanceof RegistryNetworkError) return RETRYABLE_NETWORK_CODES.has(error.code);
  return false;
}

export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof RegistryHttpError ? error.retryAfterMs : undefined;
}

/** Parses a distribution error body; tolerant of anything else a proxy or load balancer sends. */
export function parseDistributionErrors(bodyText: string): DistributionErrorEntry[] {
  try {
    const value = JSON.parse(bodyText) as unknown;
    if (typeof value !== 'object' || value === null) return [];
    const errors = (value as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [];
    return errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        message: typeof e.message === 'string' ? e.message : '',
      }));
  } catch {
    return [];
  }
}

export function httpErrorFromBody(
  method: string,
  status: number,
  bodyText: string,
  retryAfter: string | null,
  nowMs: number,
): RegistryHttpError {
  return new RegistryHttpError(
    method,
    status,
    parseDistributionErrors(bodyText),
    parseRetryAfter(retryAfter, nowMs),
    bodyText,
  );
}

function describeHttpFailure(
  method: string,
  status: number,
  errors: readonly DistributionErrorEntry[],
  bodyText: string,
): string {
  const detail =
    errors.length > 0
      ? errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ')
      : summariseBody(bodyText);
  return `${method} answered HTTP ${status}${detail ? ` (${detail})` : ''}`;
}

function summariseBody(bodyText: string): string {
  const text = bodyText.replace(/\s+/g, ' ').trim();
  if (!text || text.startsWith('<')) return '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The kind of step, which decides the IAM action ECR wants for it. */
export type StepKind = 'check' | 'pull' | 'upload' | 'mount' | 'manifest-put' | 'auth';

const ECR_ACTIONS: Record<StepKind, string> = {
  check: 'ecr:BatchCheckLayerAvailability (and ecr:BatchGetImage to check manifests)',
  pull: 'ecr:BatchGetImage and ecr:GetDownloadUrlForLayer',
  upload: 'ecr:InitiateLayerUpload, ecr:UploadLayerPart and ecr:CompleteLayerUpload',
  mount: 'ecr:InitiateLayerUpload, ecr:UploadLayerPart and ecr:CompleteLayerUpload',
  'manifest-put': 'ecr:PutImage',
  auth: 'ecr:GetAuthorizationToken',
};

export interface FailureContext {
  /** e.g. "upload blob sha256:…", "put manifest atlas-1", "get manifest latest". */
  operation: string;
  kind: StepKind;
  registry: string;
  repository: string;
  /** ECR account and region when the registry is ECR (or is treated as ECR). */
  ecr: { accountId: string; region: string } | undefined;
}

/** Turns any failure of a registry step into a RemoteError naming the target and a likely fix. */
export function registryFailure(context: FailureContext, error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  const target = `${context.registry}/${context.repository}`;
  const status =
    error instanceof RegistryHttpError || error instanceof RegistryAuthError
      ? error.status
      : undefined;
  const codes = error instanceof RegistryHttpError ? error.errors.map((e) => e.code) : [];
  return new RegistryError(
    context.operation,
    target,
    errorMessage(error),
    fixFor(context, error),
    status,
    codes,
  );
}

/** Codes of a connection that was made and then cut: "dropped" in messages and in fixes. */
export const DROPPED_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'EPIPE',
]);

function fixFor(context: FailureContext, error: unknown): string | undefined {
  const { registry, repository, ecr, kind } = context;
  if (error instanceof RegistryNetworkError) {
    if (error.code === 'TIMEOUT') {
      return `check that ${registry} is reachable from this runner and not overloaded, or raise the timeout`;
    }
    if (isTlsCode(error.code)) {
      return `check the TLS certificate of ${registry} (its host name and issuer); non-loopback registries are always spoken to over HTTPS`;
    }
    if (DROPPED_CONNECTION_CODES.has(error.code)) {
      // The host was reached: its name is right; something cut the transfer, every attempt.
      return `the connection to ${registry} kept dropping after it was made; retry later, and check for a proxy or firewall that cuts long transfers`;
    }
    return `check that the host ${registry} is spelled right and reachable from this runner (DNS, firewall, proxy)`;
  }
  if (error instanceof RegistryImpostorError) {
    return `check that ${registry} is the registry's host (not a web site) and that no proxy, captive portal or login page answers in its place on this runner`;
  }
  if (error instanceof RegistryIntegrityError) {
    return `the content from ${registry} does not match its digest; retry, and if it persists check for a proxy rewriting responses`;
  }
  const status =
    error instanceof RegistryHttpError || error instanceof RegistryAuthError
      ? error.status
      : undefined;
  const http = error instanceof RegistryHttpError ? error : undefined;
  if (http?.hasCode('NAME_UNKNOWN') || (status === 404 && ecr && kind !== 'pull')) {
    return ecr
      ? `the repository '${repository}' does not exist in ECR registry ${ecr.accountId} (${ecr.region}); create it with \`aws ecr create-repository --repository-name ${repository} --region ${ecr.region}\``
      : `the repository '${repository}' does not exist on ${registry}; check the name or create it`;
  }
  if (http?.hasCode('MANIFEST_UNKNOWN') || (status === 404 && kind === 'pull')) {
    return `check that the image exists in ${registry}/${repository} (tag or digest spelled right)`;
  }
  if (status === 403 || http?.hasCode('DENIED')) {
    return ecr
      ? `allow ${ECR_ACTIONS[kind]} on the repository for the role this workflow uses (and ecr:GetAuthorizationToken on *)`
      : `the login used for ${registry} (or no login, when the Docker config has none for it) may not ${verb(kind)} ${repository}; check its permissions, or log in with docker/login-action`;
  }
  if (status === 401 || http?.hasCode('UNAUTHORIZED')) {
    return ecr
      ? `check that the workflow's AWS credentials can call ecr:GetAuthorizationToken for account ${ecr.accountId} and ${ECR_ACTIONS[kind]}`
      : `check the docker login for ${registry}: the credentials in the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json), e.g. with docker/login-action`;
  }
  if (status === 429 || http?.hasCode('TOOMANYREQUESTS')) {
    return `${registry} is throttling requests; retry later or log in to raise the rate limit`;
  }
  if (status !== undefined && status >= 500) {
    return `${registry} failed on its side; retry later`;
  }
  // Checked before DIGEST_INVALID: distribution sends both for a blob whose link another
  // push's commit is rewriting, and nothing needs rebuilding then.
  if (kind === 'manifest-put' && http?.hasCode('MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN')) {
    return `${registry} does not see every blob the manifest references, though each was pushed and checked again; if another push of the same image to ${repository} is running, run this step again once it is done`;
  }
  if (http?.hasCode('DIGEST_INVALID', 'SIZE_INVALID', 'BLOB_UPLOAD_INVALID')) {
    return 'the uploaded bytes did not match their descriptor; rebuild the image and push again';
  }
  if (http?.hasCode('MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN', 'MANIFEST_INVALID')) {
    return `${registry} rejected the manifest; every blob it references must be pushed first`;
  }
  return undefined;
}

function verb(kind: StepKind): string {
  switch (kind) {
    case 'pull':
    case 'check':
      return 'read';
    case 'auth':
      return 'log in to';
    default:
      return 'push to';
  }
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  );
}
