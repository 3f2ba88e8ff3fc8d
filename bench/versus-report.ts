// npm run bench: the figures of the buildah comparison, from measured runs to the printed table,
// the ratios and the thresholds the bench holds ours to. Data in, data out: no I/O here.

export const CASES = ['first publish', 'one migration changed', 'nothing changed'] as const;
export type CaseName = (typeof CASES)[number];
/**
 * `buildah` is the peer the thresholds hold ours to: buildah as shared/design/testing.md runs it
 * on a machine without a Docker engine (vfs storage). `buildah-overlay`, measured on request, is
 * buildah on its default overlay storage, where the kernel allows it: reported, not thresholded.
 */
export const TOOLS = ['ours', 'buildah', 'buildah-overlay'] as const;
export type Tool = (typeof TOOLS)[number];
export type Peer = Exclude<Tool, 'ours'>;

export interface Measurement {
  case: CaseName;
  tool: Tool;
  /** Ours: spawn to the end of the push. buildah: `bud` start to `push` end. */
  ms: number;
  /** Ours only: spawn to exit (the push, then the ECS writes of the deploy). */
  stepMs?: number;
  /** Response body bytes through the counting proxies (base registry + target registry). */
  bytesDown: number;
  /** Request body bytes through them. */
  bytesUp: number;
  requests: number;
}

/** The median of each figure over a case's runs (each figure on its own). */
export interface Summary extends Measurement {
  runs: number;
}

export interface Ratios {
  case: CaseName;
  peer: Peer;
  /** buildah's wall time over ours. */
  wall: number;
  /** buildah's bytes (down + up) over ours; Infinity when ours moved none. */
  bytes: number;
}

export interface Thresholds {
  /** buildah/ours wall time, in every case. */
  minWallRatio: number;
  /** buildah/ours bytes moved, in the cases listed. */
  minBytesRatio: number;
  bytesCases: readonly CaseName[];
}

export const THRESHOLDS: Thresholds = {
  minWallRatio: 3,
  minBytesRatio: 100,
  bytesCases: ['one migration changed'],
};

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(measurements: readonly Measurement[]): Summary[] {
  const summaries: Summary[] = [];
  for (const name of CASES) {
    for (const tool of TOOLS) {
      const runs = measurements.filter((m) => m.case === name && m.tool === tool);
      if (runs.length === 0) continue;
      const steps = runs.flatMap((r) => (r.stepMs === undefined ? [] : [r.stepMs]));
      summaries.push({
        case: name,
        tool,
        ms: median(runs.map((r) => r.ms)),
        ...(steps.length > 0 ? { stepMs: median(steps) } : {}),
        bytesDown: median(runs.map((r) => r.bytesDown)),
        bytesUp: median(runs.map((r) => r.bytesUp)),
        requests: median(runs.map((r) => r.requests)),
        runs: runs.length,
      });
    }
  }
  return summaries;
}

export function ratios(summaries: readonly Summary[], peerTool: Peer = 'buildah'): Ratios[] {
  const result: Ratios[] = [];
  for (const name of CASES) {
    const ours = summaries.find((s) => s.case === name && s.tool === 'ours');
    const peer = summaries.find((s) => s.case === name && s.tool === peerTool);
    if (!ours || !peer) continue;
    const ourBytes = ours.bytesDown + ours.bytesUp;
    const peerBytes = peer.bytesDown + peer.bytesUp;
    result.push({
      case: name,
      peer: peerTool,
      wall: peer.ms / ours.ms,
      bytes: ourBytes === 0 ? Infinity : peerBytes / ourBytes,
    });
  }
  return result;
}

/** One sentence per ratio below its threshold, naming the case, the figures and the limit. */
export function thresholdFailures(
  summaries: readonly Summary[],
  thresholds: Thresholds = THRESHOLDS,
): string[] {
  const failures: string[] = [];
  const found = ratios(summaries);
  for (const name of CASES) {
    const ratio = found.find((r) => r.case === name);
    if (!ratio) {
      failures.push(`${name}: no measurement of both tools`);
      continue;
    }
    if (ratio.wall < thresholds.minWallRatio) {
      failures.push(
        `${name}: buildah/ours wall time is ${formatRatio(ratio.wall)}, below the ${thresholds.minWallRatio}x required`,
      );
    }
    if (thresholds.bytesCases.includes(name) && ratio.bytes < thresholds.minBytesRatio) {
      failures.push(
        `${name}: buildah/ours bytes moved is ${formatRatio(ratio.bytes)}, below the ${thresholds.minBytesRatio}x required`,
      );
    }
  }
  return failures;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞ (ours moved 0 bytes)';
  return ratio >= 100 ? `${Math.round(ratio)}x` : `${ratio.toFixed(1)}x`;
}

/** The side-by-side table (GitHub-flavoured markdown), the ratios under it, ours' whole step. */
export function renderComparison(summaries: readonly Summary[]): string {
  const rows = summaries.map((s) => [
    s.case,
    s.tool,
    formatMs(s.ms),
    formatBytes(s.bytesDown),
    formatBytes(s.bytesUp),
    String(Math.round(s.requests)),
  ]);
  const peers = TOOLS.filter((t): t is Peer => t !== 'ours' && summaries.some((s) => s.tool === t));
  const ratioRows = peers.flatMap((peer) =>
    ratios(summaries, peer).map((r) => [
      r.case,
      peer,
      formatRatio(r.wall),
      formatRatio(r.bytes),
      peer === 'buildah' ? 'yes' : 'no',
    ]),
  );
  const steps = summaries.filter((s) => s.tool === 'ours' && s.stepMs !== undefined);
  const lines = [
    table(['case', 'tool', 'wall', 'down', 'up', 'requests'], rows),
    '',
    table(['case', 'peer', 'wall peer/ours', 'bytes peer/ours', 'thresholded'], ratioRows),
  ];
  if (steps.length > 0) {
    lines.push(
      '',
      `Ours' whole step (the publish, then RegisterTaskDefinition and UpdateService): ${steps
        .map((s) => `${s.case} ${formatMs(s.stepMs!)}`)
        .join(', ')}.`,
    );
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
