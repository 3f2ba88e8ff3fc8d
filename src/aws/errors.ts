// What an AWS call can fail with, classified once at the adapter boundary: the SDK error's code,
// whether it was worth (or still is worth) another attempt, and the fix to print for the common
// causes (IAM, a missing cluster/service/resource, credentials, region).
import { RemoteError, errorMessage } from '../errors';

/** A failed AWS call: a RemoteError that keeps the SDK's error code for callers that branch on it. */
export class AwsCallError extends RemoteError {
  constructor(
    operation: string,
    target: string,
    causeMessage: string,
    fix: string | undefined,
    /** The SDK error's name, e.g. `ServiceNotFoundException`, `CredentialsProviderError`. */
    readonly code: string,
    /** The HTTP status AWS answered with, when it answered. */
    readonly httpStatus: number | undefined,
    /** Throttling, a 5xx or a dropped connection: the SDK already retried it. */
    readonly transient: boolean,
  ) {
    super(operation, target, causeMessage, fix);
    this.name = 'AwsCallError';
  }
}

/** True when `error` came from an AWS call that failed with one of `codes`. */
export function isAwsError(error: unknown, ...codes: string[]): error is AwsCallError {
  return error instanceof AwsCallError && (codes.length === 0 || codes.includes(error.code));
}

/** What the adapter knows about the call, for the message and the fix. */
export interface CallContext {
  /** IAM-style name: `ecs:DescribeServices`, `logs:GetLogEvents`… */
  readonly operation: string;
  /** Human-readable target: `service web in cluster prod`. */
  readonly target: string;
  /** Extra IAM actions the call needs besides its own (e.g. iam:PassRole for RegisterTaskDefinition). */
  readonly alsoNeeds?: string;
  /** What a ResourceNotFoundException means for this call. */
  readonly notFoundFix?: string;
}

const CREDENTIAL_CODES = [
  'CredentialsProviderError',
  'ExpiredTokenException',
  'ExpiredToken',
  'RequestExpired',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidAccessKeyId',
  'TokenRefreshRequired',
];

const THROTTLING_CODES = [
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'LimitExceededException',
];

const NETWORK_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
];

interface SdkErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
}

function fields(error: unknown): SdkErrorFields {
  return typeof error === 'object' && error !== null ? (error as SdkErrorFields) : {};
}

/** The SDK error's code: its name, or a Node network code for a connection that failed. */
export function sdkErrorCode(error: unknown): string {
  const f = fields(error);
  if (typeof f.code === 'string' && NETWORK_CODES.includes(f.code)) return f.code;
  if (typeof f.name === 'string' && f.name !== 'Error') return f.name;
  if (typeof f.code === 'string') return f.code;
  return 'Error';
}

function httpStatus(error: unknown): number | undefined {
  const status = fields(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Throttling, a server fault or a broken connection: worth another poll later. */
export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof AwsCallError) return error.transient;
  const code = sdkErrorCode(error);
  const status = httpStatus(error);
  return (
    THROTTLING_CODES.includes(code) ||
    NETWORK_CODES.includes(code) ||
    code === 'TimeoutError' ||
    (status !== undefined && status >= 500) ||
    fields(error).$fault === 'server'
  );
}

/** The IAM action a denial names (`… is not authorized to perform: iam:PassRole on …`). */
function deniedAction(message: string): string | undefined {
  return /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(message)?.[1];
}

function isRegionMissing(message: string): boolean {
  return /region is missing|expected `region` to be configured/i.test(message);
}

/** The fix to print for a failure, or undefined when the cause says it all. */
export function fixFor(error: unknown, context: CallContext): string | undefined {
  const code = sdkErrorCode(error);
  const message = errorMessage(error);
  if (isRegionMissing(message)) {
    return 'set the AWS region for this step: AWS_REGION in env, or aws-region of aws-actions/configure-aws-credentials before this action';
  }
  if (CREDENTIAL_CODES.includes(code) || /could not load credentials/i.test(message)) {
    return /expired/i.test(`${code} ${message}`)
      ? 'the AWS credentials have expired: configure them closer to this step, or give aws-actions/configure-aws-credentials a longer role-duration-seconds'
      : 'configure AWS credentials before this step, e.g. aws-actions/configure-aws-credentials with role-to-assume (and `permissions: id-token: write` for OIDC)';
  }
  if (
    code === 'AccessDeniedException' ||
    code === 'AccessDenied' ||
    /not authorized to perform/i.test(message)
  ) {
    const action = deniedAction(message) ?? context.operation;
    const extra =
      context.alsoNeeds && action === context.operation ? ` (and ${context.alsoNeeds})` : '';
    return `allow ${action}${extra} for the role this workflow uses (its IAM policy, or a permissions boundary or SCP that denies it)`;
  }
  if (code === 'ClusterNotFoundException') {
    return "check the 'cluster' input: no such cluster in this account and region (the region comes from AWS_REGION)";
  }
  if (code === 'ServiceNotFoundException') {
    return "check the 'service' and 'cluster' inputs: the service must run in that cluster, in this account and region";
  }
  if (code === 'ServiceNotActiveException') {
    return "the service is being deleted or was deleted: recreate it, or point 'service' at an active one";
  }
  if (code === 'ResourceNotFoundException') {
    return context.notFoundFix ?? 'check the name or ARN, the account and the region';
  }
  if (THROTTLING_CODES.includes(code)) {
    return 'AWS kept throttling the calls after the SDK retries: run again, or spread out concurrent deployments in this account';
  }
  if (NETWORK_CODES.includes(code)) {
    return 'check the network path to AWS (a proxy, or AWS_ENDPOINT_URL when it is set)';
  }
  return undefined;
}

/** Wraps whatever an SDK call threw into an AwsCallError naming the operation and the target. */
export function wrapAwsError(error: unknown, context: CallContext): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const code = sdkErrorCode(error);
  const message = errorMessage(error) || code;
  const cause = message.startsWith(code) || code === 'Error' ? message : `${code}: ${message}`;
  const wrapped = new AwsCallError(
    context.operation,
    context.target,
    cause,
    fixFor(error, context),
    code,
    httpStatus(error),
    isTransientAwsError(error),
  );
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
