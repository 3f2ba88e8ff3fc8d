// The bounded, jittered retry the registry client uses (src/util/retry.ts): a fake clock and a
// recording sleep, so nothing here waits.

import { backoffDelay, parseRetryAfter, retry, type RetryOptions } from '../../src/util/retry';

class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

function harness(overrides: Partial<RetryOptions> = {}) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const logs: string[] = [];
  const options: RetryOptions = {
    label: 'upload blob sha256:ab',
    attempts: 4,
    maxElapsedMs: 60_000,
    isRetryable: (e) => e instanceof Transient,
    retryAfterMs: (e) => (e instanceof Transient ? e.retryAfter : undefined),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    log: (m) => logs.push(m),
    now: () => clock,
    ...overrides,
  };
  return { options, sleeps, logs, tick: (ms: number) => (clock += ms) };
}

describe('retry', () => {
  it('retries transient failures with jittered exponential backoff and logs each attempt', async () => {
    const { options, sleeps, logs } = harness();
    let calls = 0;
    const result = await retry(async (attempt) => {
      calls++;
      if (attempt < 3) throw new Transient(`reset ${attempt}`);
      return 'done';
    }, options);
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([250, 500]);
    expect(logs).toEqual([
      'upload blob sha256:ab: attempt 1/4 failed (reset 1), retrying in 0.3s',
      'upload blob sha256:ab: attempt 2/4 failed (reset 2), retrying in 0.5s',
    ]);
  });

  it('does not retry what the predicate rejects', async () => {
    const { options, sleeps } = harness();
    const error = new Error('HTTP 403 DENIED');
    await expect(retry(async () => Promise.reject(error), options)).rejects.toBe(error);
    expect(sleeps).toEqual([]);
  });

  it('stops after the attempts and throws the last error', async () => {
    const { options, sleeps, logs } = harness({ attempts: 3 });
    let n = 0;
    await expect(
      retry(async () => Promise.reject(new Transient(`fail ${++n}`)), options),
    ).rejects.toThrow('fail 3');
    expect(sleeps).toHaveLength(2);
    expect(logs).toHaveLength(2);
  });

  it('stops when the next wait would exceed the time budget', async () => {
    const { options, sleeps, tick } = harness({ maxElapsedMs: 1000, attempts: 10 });
    await expect(
      retry(async () => {
        tick(400); // each attempt takes 400 ms
        throw new Transient('slow');
      }, options),
    ).rejects.toThrow('slow');
    // 400 + 250 + 400 = 1050 > 1000 after the second attempt
    expect(sleeps).toEqual([250]);
  });

  it("uses the server's Retry-After instead of the backoff", async () => {
    const { options, sleeps, logs } = harness();
    let n = 0;
    await retry(async () => {
      if (n++ === 0) throw new Transient('HTTP 429', 7000);
      return undefined;
    }, options);
    expect(sleeps).toEqual([7000]);
    expect(logs[0]).toBe('upload blob sha256:ab: attempt 1/4 failed (HTTP 429), retrying in 7.0s');
  });

  it('gives up at once when Retry-After exceeds the budget', async () => {
    const { options, sleeps } = harness({ maxElapsedMs: 5000 });
    await expect(
      retry(async () => Promise.reject(new Transient('HTTP 429', 60_000)), options),
    ).rejects.toThrow('HTTP 429');
    expect(sleeps).toEqual([]);
  });

  it('jitters between zero and the capped exponential step', () => {
    expect(backoffDelay(1, 500, 20_000, () => 0)).toBe(0);
    expect(backoffDelay(1, 500, 20_000, () => 0.999)).toBe(500);
    expect(backoffDelay(4, 500, 20_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(30, 500, 20_000, () => 0.5)).toBe(10_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
