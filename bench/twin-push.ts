// npm run bench (part 4): two identical pushes at once, as a re-run next to the original or a
// matrix makes them, against a real registry: how often the registry's race shows (a manifest PUT
// that does not see a blob the other push is committing), what converging costs, and that no
// push fails. Each round is a fresh repository and a fresh image.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFaultProxy } from '../__tests__/helpers/fault-proxy';
import { makeImage, pushable, randomLayer } from '../__tests__/helpers/images';
import { startRegistry } from '../__tests__/helpers/registry-server';
import { testClient } from '../__tests__/helpers/test-client';
import { pushImage } from '../src/registry/push';

const ROUNDS = Number(process.env.BENCH_TWIN_ROUNDS ?? 100);

export interface TwinPushFigures {
  rounds: number;
  failedPushes: number;
  /** Rounds where a push met the race and converged (a manifest PUT answered 400, then put). */
  convergedRounds: number;
  requestsPerRound: number;
  /** Median wall time of a round (both pushes). */
  medianRoundMs: number;
  maxRoundMs: number;
}

export async function benchTwinPush(): Promise<TwinPushFigures> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy({ upstream: registry.url });
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-twin-'));
  let failedPushes = 0;
  let convergedRounds = 0;
  const times: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const image = makeImage({
        architecture: 'amd64',
        layers: [randomLayer(1_500_000), randomLayer(300_000)],
        label: randomBytes(4).toString('hex'),
      });
      const target = { registry: proxy.host, repository: `bench/twin-${round}` };
      const logs: string[] = [];
      const push = () =>
        pushImage(
          testClient(scratch, { timeoutMs: 30_000 }).client,
          target,
          pushable(image),
          ['v1'],
          (m) => logs.push(m),
          { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
        );
      const started = performance.now();
      const results = await Promise.allSettled([push(), push()]);
      times.push(performance.now() - started);
      failedPushes += results.filter((r) => r.status === 'rejected').length;
      if (logs.some((l) => l.includes('checking each blob again'))) convergedRounds++;
    }
    const sorted = [...times].sort((a, b) => a - b);
    return {
      rounds: ROUNDS,
      failedPushes,
      convergedRounds,
      requestsPerRound: Math.round(proxy.records.length / ROUNDS),
      medianRoundMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
      maxRoundMs: Math.round(sorted.at(-1)!),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await proxy.stop();
    await registry.stop();
  }
}

export function twinPushTable(figures: TwinPushFigures): string {
  return [
    `Two identical pushes at once (1.8 MB image, fresh repository each round), ${figures.rounds} rounds against a real registry`,
    '',
    '| figure | value |',
    '|---|---|',
    `| pushes failed | ${figures.failedPushes} of ${figures.rounds * 2} |`,
    `| rounds where a push met the race and converged | ${figures.convergedRounds} |`,
    `| registry requests per round (both pushes) | ${figures.requestsPerRound} |`,
    `| wall time per round, median / max | ${figures.medianRoundMs} ms / ${figures.maxRoundMs} ms |`,
  ].join('\n');
}
