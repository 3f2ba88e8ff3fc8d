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
