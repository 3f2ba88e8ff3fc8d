// Bounded retries with exponential backoff and full jitter. Callers decide what is worth another
// attempt (a predicate, never "every error"), and inject the clock, sleep and randomness so tests
// run without waiting.

import { errorMessage } from '../errors';

export interface RetryOptions {
  /** Names the operation in log lines, e.g. "upload blob sha256:ab12… to host/repo". */
  label: string;
  /** Most attempts, the first one included (1 = no retry). */
  attempts: number;
  /** No new attempt starts once this much time has passed since the first one (or would have). */
  maxElapsedMs: number;
  /** Whether an error is worth another attempt (throttling, 5xx, a reset connection, a timeout). */
  isRetryable(error: unknown): boolean;
  /** A server's own hint (Retry-After), in milliseconds; it replaces the computed backoff. */
  retryAfterMs?(error: unknown): number | undefined;
  /** Backoff before the second attempt, before jitter; doubles each time. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff, before jitter. Default 20 s. */
  maxDelayMs?: number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), as Math.random gives. */
  random(): number;
  log(message: string): void;
  /** Milliseconds clock; Date.now by default. */
  now?(): number;
}

export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 20_000;

/** A real sleep for production wiring; tests pass their own. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `operation` until it succeeds, fails with an error the predicate rejects, or the attempts
 * or the time budget run out; the last error is then thrown unchanged. `operation` receives the
 * attempt number, starting at 1.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const attempts = Math.max(1, Math.floor(options.attempts));
  const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const cap = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !options.isRetryable(error)) throw error;
      const hinted = options.retryAfterMs?.(error);
      const delay =
        hinted !== undefined && Number.isFinite(hinted) && hinted >= 0
          ? hinted
          : backoffDelay(attempt, base, cap, options.random);
      if (now() - started + delay > options.maxElapsedMs) throw error;
      options.log(
        `${options.label}: attempt ${attempt}/${attempts} failed (${errorMessage(error)}), ` +
          `retrying in ${formatSeconds(delay)}`,
      );
      await options.sleep(delay);
    }
  }
}

/** Full jitter: a uniform pick between 0 and the capped exponential step. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * Math.min(Math.max(random(), 0), 1));
}

/**
 * Parses an HTTP Retry-After value (delta seconds or an HTTP date) into milliseconds from `nowMs`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
