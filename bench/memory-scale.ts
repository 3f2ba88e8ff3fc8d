// npm run bench (part 4): memory and scale. A migration directory of BENCH_SCALE_FILES (10,000)
// files of 20 KB each (200 MB of INSERT statements over random hex, which gzip only brings down
// to about 37%), with a valid atlas.sum, goes through the bundled action (dist/index.js, started as the
// runner starts it) in a real run: the layer is built, pushed to a real registry on loopback and
// deployed against the loopback AWS endpoint of the tests. The same at a quarter and a half of the
// size shows how wall time and peak RSS grow. Fails (exit 1) when the peak RSS reaches
// RSS_LIMIT or the time per MB at full size exceeds GROWTH_LIMIT times that at a quarter.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CLUSTER,
  SERVICE,
  awsEnv,
  deployInputs,
  startSeededAws,
} from '../__tests__/e2e/deploy-env';
import { scenarios } from '../__tests__/helpers/fake-aws';
import { startRegistry, type RegistryServer } from '../__tests__/helpers/registry-server';
import { markdownTable, writeReport } from '../__tests__/helpers/report';
import { parseOutputFile } from '../__tests__/helpers/run-action';
import { EXAMPLES } from '../__tests__/helpers/workspace';
import { generateStandInBase } from '../scripts/make-stand-in-base';
import { hashEntries, totalHash, type MigrationSource } from '../src/migrations/sum-hash';

const FULL_FILES = Number(process.env.BENCH_SCALE_FILES ?? 10_000);
/** Bytes per migration file: 10,000 of them make 200 MB. */
const FILE_BYTES = Number(process.env.BENCH_SCALE_FILE_BYTES ?? 20_000);
const REPEAT = Number(process.env.BENCH_SCALE_REPEAT ?? 3);
const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(__dirname, '..', 'dist', 'index.js'));
/** Peak RSS of the action must stay below this: the 200 MB, read strictly (190.7 MiB). */
export const RSS_LIMIT = 200 * 1_000_000;
/** Time per MB at full size over time per MB at a quarter of it: above this is not linear. */
export const GROWTH_LIMIT = 1.5;
const MB = 1_000_000;
const MIB = 1024 * 1024;

export interface ScaleRow {
  files: number;
  bytes: number;
  /** Median wall time of the action, start to exit. */
  ms: number;
  /** Median and highest peak RSS over the repeats. */
  peakRss: number;
  maxPeakRss: number;
  /** Blob bytes the push sent (config and layers), from the manifest it put. */
  bytesUploaded: number;
  layerBytes: number;
}

/**
 * Loaded into the action's process through NODE_OPTIONS: records its peak RSS in KiB as it exits.
 * VmHWM is the peak of this process image (ru_maxrss would carry the bench's across exec).
 */
const RSS_PROBE = `process.on('exit', () => {
  const fs = require('fs');
  let kib = process.resourceUsage().maxRSS;
  try {
    const hwm = /^VmHWM:\\s+(\\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) kib = Number(hwm[1]);
  } catch {}
  fs.writeFileSync(process.env.BENCH_RSS_FILE, String(kib));
});
`;

/** Deterministic bytes that look random: AES-CTR keyed by the file's number. */
function randomBytesFor(seed: number, size: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed);
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), iv).update(Buffer.alloc(size));
}

/**
 * A migration of exactly `size` bytes: INSERTs of random hex payloads, the kind of seed-data
 * migration that makes directories big. Hex is half as dense as bytes, so gzip halves it at best.
 */
export function seedMigration(seed: number, size: number): Buffer {
  const head = `-- seed data, part ${seed}\n`;
  const hex = randomBytesFor(seed, Math.ceil(size / 2)).toString('hex');
  const lines: string[] = [head];
  let length = head.length;
  let row = 0;
  let offset = 0;
  while (length < size) {
    const prefix = `INSERT INTO "events" ("id", "payload") VALUES (${seed * 1000 + row++}, '`;
    const payload = hex.slice(offset, offset + 96);
    offset = (offset + 96) % (hex.length - 96);
    const line = `${prefix}${payload}');\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

function migrationName(i: number): string {
  // Fixed width: the generated order is Atlas's order.
  return `${20240101000000 + i}_seed_${String(i).padStart(5, '0')}.sql`;
}

/** Writes `files` migrations and their atlas.sum into `dir`, never holding more than one. */
export function writeMigrationDir(dir: string, files: number, fileBytes: number): number {
  mkdirSync(dir, { recursive: true });
  const sources: MigrationSource[] = [];
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const name = migrationName(i);
    const file = path.join(dir, name);
    const content = seedMigration(i, fileBytes);
    writeFileSync(file, content);
    bytes += content.length;
    // Hashed from disk afterwards, as the action will read it.
    sources.push({
      name,
      content: { ignored: false, forEachChunk: (consume) => consume(readFileSync(file)) },
    });
  }
  const entries = hashEntries(sources);
  const lines = [`h1:${totalHash(entries)}`, ...entries.map((e) => `${e.name} h1:${e.hash}`)];
  writeFileSync(path.join(dir, 'atlas.sum'), `${lines.join('\n')}\n`);
  return bytes;
}

interface Workspace {
  dir: string;
  bytes: number;
}

async function makeWorkspace(scratch: string, files: number): Promise<Workspace> {
  const dir = mkdtempSync(path.join(scratch, `ws-${files}-`));
  cpSync(path.join(EXAMPLES, 'atlas.hcl'), path.join(dir, 'atlas.hcl'));
  await generateStandInBase(path.join(dir, 'base-image'), {});
  const bytes = writeMigrationDir(path.join(dir, 'migrations'), files, FILE_BYTES);
  return { dir, bytes };
}

interface RunFigures {
  ms: number;
  peakRss: number;
  bytesUploaded: number;
  layerBytes: number;
}

interface ActionExit {
  code: number | null;
  output: string;
  outputs: Record<string, string>;
  peakRss: number;
}

/**
 * Starts the bundle as the runner does (inputs as INPUT_ variables, a fresh process, outputs
 * through GITHUB_OUTPUT), with the RSS probe loaded first.
 */
async function startAction(
  workspace: string,
  inputs: Record<string, string>,
  env: Record<string, string>,
  probe: string,
): Promise<ActionExit> {
  const scratch = mkdtempSync(path.join(workspace, 'runner-'));
  const files = {
    output: path.join(scratch, 'output'),
    summary: path.join(scratch, 'summary.md'),
    rss: path.join(scratch, 'max-rss'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: path.join(scratch, 'temp'),
    BENCH_RSS_FILE: files.rss,
    ...env,
  };
  for (const [name, value] of Object.entries(inputs))
    childEnv[`INPUT_${name.toUpperCase()}`] = value;
  try {
    const child = spawn(process.execPath, ['--require', probe, DIST], {
      cwd: workspace,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return {
      code,
      output,
      outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
      peakRss: Number(readFileSync(files.rss, 'utf8')) * 1024,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One real run of the bundle: build, push into a fresh repository, deploy. */
async function runOnce(
  workspace: Workspace,
  registry: RegistryServer,
  probe: string,
  repository: string,
): Promise<RunFigures> {
  const seeded = await startSeededAws();
  try {
    seeded.aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
    const start = performance.now();
    const run = await startAction(
      workspace.dir,
      deployInputs(`${registry.host}/${repository}`),
      awsEnv(seeded.aws),
      probe,
    );
    const ms = performance.now() - start;
    if (run.code !== 0) {
      throw new Error(`the run pushing to ${repository} failed (exit ${run.code}):\n${run.output}`);
    }
    return { ms, peakRss: run.peakRss, ...(await uploaded(registry, repository, run.outputs)) };
  } finally {
    await seeded.aws.close();
  }
}

/**
 * Everything a first push into an empty repository sends: the config and every layer the
 * manifest names (the registry holds nothing else for it), read back from the registry.
 */
async function uploaded(
  registry: RegistryServer,
  repository: string,
  outputs: Record<string, string>,
): Promise<{ bytesUploaded: number; layerBytes: number }> {
  const digest = outputs['image-digest'];
  if (!digest) throw new Error(`the run at ${repository} set no image-digest output`);
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${digest}`, {
    headers: {
      Accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  if (response.status !== 200) throw new Error(`${repository}@${digest}: ${response.status}`);
  const manifest = (await response.json()) as {
    config: { size: number };
    layers: { size: number }[];
  };
  const layers = manifest.layers.map((l) => l.size);
  return {
    bytesUploaded: manifest.config.size + layers.reduce((a, b) => a + b, 0),
    layerBytes: layers[layers.length - 1]!,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchMemoryScale(): Promise<ScaleRow[]> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-bench-scale-'));
  const registry = await startRegistry();
  const rows: ScaleRow[] = [];
  try {
    const probe = path.join(scratch, 'rss-probe.js');
    writeFileSync(probe, RSS_PROBE);
    const sizes = [...new Set([FULL_FILES / 4, FULL_FILES / 2, FULL_FILES].map(Math.round))];
    for (const files of sizes) {
      const workspace = await makeWorkspace(scratch, files);
      try {
        const runs: RunFigures[] = [];
        for (let i = 0; i < REPEAT; i++) {
          runs.push(await runOnce(workspace, registry, probe, `bench/scale-${files}-${i}`));
        }
        rows.push({
          files,
          bytes: workspace.bytes,
          ms: median(runs.map((r) => r.ms)),
          peakRss: median(runs.map((r) => r.peakRss)),
          maxPeakRss: Math.max(...runs.map((r) => r.peakRss)),
          bytesUploaded: median(runs.map((r) => r.bytesUploaded)),
          layerBytes: median(runs.map((r) => r.layerBytes)),
        });
      } finally {
        rmSync(workspace.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await registry.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

export interface ScaleVerdict {
  failures: string[];
  table: string;
  thresholds: string;
}

export function judgeMemoryScale(rows: readonly ScaleRow[]): ScaleVerdict {
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const perMb = (row: ScaleRow) => row.ms / (row.bytes / MB);
  // Wall time includes fixed costs (start-up, the deploy); the added time per added MB shows the
  // growth without them.
  const marginal = (smaller: ScaleRow, larger: ScaleRow) =>
    (larger.ms - smaller.ms) / ((larger.bytes - smaller.bytes) / MB);
  const table = markdownTable(
    [
      'files',
      'migration dir',
      'wall time (median)',
      'time per MB',
      `vs ${first.files} files`,
      'marginal time per MB',
      'peak RSS (median)',
      'peak RSS (max)',
      'layer (gzip)',
      'bytes uploaded',
    ],
    rows.map((row, i) => [
      row.files.toLocaleString('en-US'),
      `${(row.bytes / MB).toFixed(0)} MB`,
      `${(row.ms / 1000).toFixed(1)} s`,
      `${perMb(row).toFixed(1)} ms`,
      `${(perMb(row) / perMb(first)).toFixed(2)}×`,
      i === 0 ? '' : `${marginal(rows[i - 1]!, row).toFixed(1)} ms`,
      `${(row.peakRss / MB).toFixed(0)} MB (${(row.peakRss / MIB).toFixed(0)} MiB)`,
      `${(row.maxPeakRss / MB).toFixed(0)} MB`,
      `${(row.layerBytes / MB).toFixed(1)} MB`,
      row.bytesUploaded.toLocaleString('en-US'),
    ]),
  );
  const failures: string[] = [];
  for (const row of rows) {
    if (row.peakRss >= RSS_LIMIT) {
      failures.push(
        `median peak RSS ${(row.peakRss / MB).toFixed(0)} MB at ${row.files} files reaches the limit of ${RSS_LIMIT / MB} MB`,
      );
    }
  }
  const growth = perMb(last) / perMb(first);
  if (rows.length > 1 && growth > GROWTH_LIMIT) {
    failures.push(
      `time per MB at ${last.files} files is ${growth.toFixed(2)}× that at ${first.files} files (limit ${GROWTH_LIMIT}×)`,
    );
  }
  const thresholds =
    `Thresholds: median peak RSS < ${RSS_LIMIT / MB} MB (${(RSS_LIMIT / MIB).toFixed(1)} MiB) at every size; time per MB at ${last.files} ` +
    `files ≤ ${GROWTH_LIMIT}× that at ${first.files} files.`;
  return { failures, table, thresholds };
}

/** Runs the scenario, writes reports/memory-scale.md, and returns the failures (empty: passed). */
export async function memoryScaleReport(): Promise<string[]> {
  if (FULL_FILES <= 0) {
    console.log('\nMemory and scale: skipped (BENCH_SCALE_FILES=0)');
    return [];
  }
  const rows = await benchMemoryScale();
  const verdict = judgeMemoryScale(rows);
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  writeReport(
    'memory-scale',
    'Memory and scale: the bundled action on a large migration directory',
    `dist/index.js in a real run (layer built, pushed to docker-registry on loopback, deployed ` +
      `against the loopback AWS endpoint), ${FILE_BYTES.toLocaleString('en-US')}-byte migrations, ` +
      `median of ${REPEAT} runs, Node ${process.version}, load average ${load}.`,
    `${verdict.table}\n\n${verdict.thresholds} ` +
      (verdict.failures.length === 0 ? 'Passed.' : `**Failed**: ${verdict.failures.join('; ')}.`),
  );
  return verdict.failures;
}

if (require.main === module) {
  memoryScaleReport()
    .then((failures) => {
      if (failures.length > 0) process.exit(1);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
