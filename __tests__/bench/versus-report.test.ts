// The figures of the buildah comparison (bench/versus-report.ts): medians, ratios, the thresholds
// the bench fails on, and the table it prints.
import {
  THRESHOLDS,
  formatBytes,
  formatRatio,
  median,
  ratios,
  renderComparison,
  summarize,
  thresholdFailures,
  type CaseName,
  type Measurement,
  type Tool,
} from '../../bench/versus-report';

const MB = 1_000_000;

function run(
  name: CaseName,
  tool: Tool,
  ms: number,
  bytes: { down: number; up: number } = { down: 42 * MB, up: 42 * MB },
  requests = 19,
): Measurement {
  return { case: name, tool, ms, bytesDown: bytes.down, bytesUp: bytes.up, requests };
}

/** Ours 4x faster everywhere, 1000x lighter when one migration changed. */
function passing(): Measurement[] {
  return [
    run('first publish', 'ours', 1000),
    run('first publish', 'buildah', 4000),
    run('one migration changed', 'ours', 500, { down: 1500, up: 40_500 }, 15),
    run('one migration changed', 'buildah', 2000),
    run('nothing changed', 'ours', 400, { down: 1500, up: 0 }, 5),
    run('nothing changed', 'buildah', 1600),
  ];
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('summarize', () => {
  it('takes the median of each figure over a case’s runs, ours’ whole step included', () => {
    const summaries = summarize([
      { ...run('first publish', 'ours', 900), stepMs: 1000 },
      { ...run('first publish', 'ours', 1200, { down: 10, up: 20 }, 7), stepMs: 1300 },
      { ...run('first publish', 'ours', 1000, { down: 30, up: 40 }, 9), stepMs: 1100 },
      run('first publish', 'buildah', 4000),
    ]);
    expect(summaries).toEqual([
      {
        case: 'first publish',
        tool: 'ours',
        ms: 1000,
        stepMs: 1100,
        bytesDown: 30,
        bytesUp: 40,
        requests: 9,
        runs: 3,
      },
      {
        case: 'first publish',
        tool: 'buildah',
        ms: 4000,
        bytesDown: 42 * MB,
        bytesUp: 42 * MB,
        requests: 19,
        runs: 1,
      },
    ]);
  });
});

describe('thresholdFailures', () => {
  it('passes when ours is 3x faster everywhere and 100x lighter when one migration changed', () => {
    expect(thresholdFailures(summarize(passing()))).toEqual([]);
  });

  it('names each case whose wall-time ratio is below 3x', () => {
    const measurements = passing().map((m) =>
      m.tool === 'ours' && m.case !== 'one migration changed' ? { ...m, ms: m.ms * 2 } : m,
    );
    expect(thresholdFailures(summarize(measurements))).toEqual([
      'first publish: buildah/ours wall time is 2.0x, below the 3x required',
      'nothing changed: buildah/ours wall time is 2.0x, below the 3x required',
    ]);
  });

  it('holds bytes to 100x only when one migration changed', () => {
    const measurements = passing().map((m) =>
      m.tool === 'ours' ? { ...m, bytesDown: 42 * MB, bytesUp: 0 } : m,
    );
    expect(thresholdFailures(summarize(measurements))).toEqual([
      'one migration changed: buildah/ours bytes moved is 2.0x, below the 100x required',
    ]);
  });

  it('fails a case that has no measurement of one tool', () => {
    const measurements = passing().filter(
      (m) => !(m.case === 'nothing changed' && m.tool === 'buildah'),
    );
    expect(thresholdFailures(summarize(measurements))).toEqual([
      'nothing changed: no measurement of both tools',
    ]);
  });

  it('ignores buildah-overlay: a reference, not the thresholded peer', () => {
    const measurements = [...passing(), run('first publish', 'buildah-overlay', 1200)];
    expect(thresholdFailures(summarize(measurements), THRESHOLDS)).toEqual([]);
    expect(ratios(summarize(measurements), 'buildah-overlay')).toEqual([
      { case: 'first publish', peer: 'buildah-overlay', wall: 1.2, bytes: 1 },
    ]);
  });

  it('counts zero bytes moved by ours as an infinite ratio, never a division by zero', () => {
    const measurements = passing().map((m) =>
      m.tool === 'ours' && m.case === 'one migration changed'
        ? { ...m, bytesDown: 0, bytesUp: 0 }
        : m,
    );
    const changed = ratios(summarize(measurements)).find((r) => r.case === 'one migration changed');
    expect(changed?.bytes).toBe(Infinity);
    expect(thresholdFailures(summarize(measurements))).toEqual([]);
  });
});

describe('renderComparison', () => {
  it('prints the side-by-side table, the ratios and ours’ whole step', () => {
    const measurements = passing().map((m) =>
      m.tool === 'ours' ? { ...m, stepMs: m.ms + 100 } : m,
    );
    expect(renderComparison(summarize(measurements))).toBe(
      [
        '| case                  | tool    | wall   | down    | up      | requests |',
        '|-----------------------|---------|--------|---------|---------|----------|',
        '| first publish         | ours    | 1.00 s | 42.0 MB | 42.0 MB | 19       |',
        '| first publish         | buildah | 4.00 s | 42.0 MB | 42.0 MB | 19       |',
        '| one migration changed | ours    | 500 ms | 1.5 kB  | 40.5 kB | 15       |',
        '| one migration changed | buildah | 2.00 s | 42.0 MB | 42.0 MB | 19       |',
        '| nothing changed       | ours    | 400 ms | 1.5 kB  | 0 B     | 5        |',
        '| nothing changed       | buildah | 1.60 s | 42.0 MB | 42.0 MB | 19       |',
        '',
        '| case                  | peer    | wall peer/ours | bytes peer/ours | thresholded |',
        '|-----------------------|---------|----------------|-----------------|-------------|',
        '| first publish         | buildah | 4.0x           | 1.0x            | yes         |',
        '| one migration changed | buildah | 4.0x           | 2000x           | yes         |',
        '| nothing changed       | buildah | 4.0x           | 56000x          | yes         |',
        '',
        "Ours' whole step (the publish, then RegisterTaskDefinition and UpdateService): first publish 1.10 s, one migration changed 600 ms, nothing changed 500 ms.",
      ].join('\n'),
    );
  });
});

describe('formatting', () => {
  it('writes bytes in B, kB and MB, and ratios to one decimal below 100x', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(41_956_321)).toBe('42.0 MB');
    expect(formatRatio(2.96)).toBe('3.0x');
    expect(formatRatio(7542.4)).toBe('7542x');
    expect(formatRatio(Infinity)).toBe('∞ (ours moved 0 bytes)');
  });
});
