// Shared pieces of the fake AWS endpoint: faults as AWS JSON 1.1 reports them, a logical clock,
// and the constants ARNs are made of.

export const ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

/** A JSON 1.1 error answer: status 400 (or 500) and `{__type, message}`. */
export class AwsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type JsonBody = Record<string, unknown>;

/**
 * The fake's time, in epoch seconds as JSON 1.1 timestamps go: a fixed start that moves one second
 * per request, so answers are deterministic and later things carry later times.
 */
export class LogicalClock {
  private seconds = Date.UTC(2024, 2, 10, 17, 0, 0) / 1000;

  tick(): void {
    this.seconds += 1;
  }

  /** Epoch seconds (with a fraction, as ECS gives). */
  now(): number {
    return this.seconds + 0.5;
  }
}

export function str(body: JsonBody, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
}

export function num(body: JsonBody, key: string): number | undefined {
  const value = body[key];
  return typeof value === 'number' ? value : undefined;
}

/** A 32-hex-digit ID from a counter, shaped like an ECS task ID. */
export function hexId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/**
 * A fault the fake injects into calls of one operation, before (or, for reset-after-processing,
 * after) the operation itself runs:
 * - `status`: answer this HTTP status with `{__type, message}` (a 5xx is ServerException-like);
 * - `throttle`: answer 400 ThrottlingException, as AWS does under rate limiting;
 * - `reset`: drop the connection without answering; nothing was done;
 * - `slow`: wait `ms`, then answer normally;
 * - `hold`: wait until `until` settles, then answer normally (a test orders events by it);
 * - `reset-after-processing`: do the operation, then drop the connection, so the client cannot
 *   tell it happened (what a retried write does then is the point).
 */
export type InjectedFault =
  | { readonly kind: 'status'; readonly status: number; readonly type?: string }
  | { readonly kind: 'throttle' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'hold'; readonly until: Promise<unknown> }
  | { readonly kind: 'reset-after-processing' };

/** The `error` recorded for a call whose connection the fake dropped. */
export const CONNECTION_RESET = 'ConnectionReset';
/** The `error` recorded for a call the fake carried out and then dropped the connection of. */
export const RESET_AFTER_PROCESSING = 'ConnectionResetAfterProcessing';
