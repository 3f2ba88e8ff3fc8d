// npm run bench: measured figures for the README and the closing notes. Never run by the tests.
// Builds migration projects in a temp folder and times each stage on them:
//   - many small files: BENCH_FILES (10,000) short migrations;
//   - large files: BENCH_LARGE_FILES (200) migrations of 1 MiB of incompressible bytes each, to
//     show that large files are streamed (peak RSS stays far below the directory's size).
// The end-to-end rows run the bundled action (dist/index.js, or BENCH_DIST) in a dry run, as the
// runner starts it, and report its peak RSS. Then bench/memory-scale.ts (BENCH_SCALE_FILES, default
// 10,000 files of 20 KB) runs real pushes and deploys, and fails the bench when peak RSS or the
// time per MB passes its thresholds. bench/versus-buildah.ts publishes side by side with buildah
// and fails the bench when ours is not 3x faster in every case and 100x lighter in bytes when one
// migration changed (scripts/bench-setup.sh installs buildah; `npm run bench` runs it first).
import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchDeploy, deployTable } from './deploy';
import { memoryScaleReport } from './memory-scale';
import { benchPush, pushTable } from './push';
import { benchTwinPush, twinPushTable } from './twin-push';
import { benchVersusBuildah } from './versus-buildah';
import { readMigrationProject, readProjectFile } from '../src/files/read-project';
import { writeLayer, type LayerEntry } from '../src/image/layer';
import { FAMILY_MEDIA_TYPES } from '../src/image/types';
import { computeAtlasSum } from '../src/migrations/atlas-sum';
import type { ProjectFile } from '../src/project-file';
import { generateStandInBase } from '../scripts/make-stand-in-base';

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const LARGE_FILES = Number(process.env.BENCH_LARGE_FILES ?? 200);
const LARGE_FILE_SIZE = 1024 * 1024;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(__dirname, '..', 'dist', 'index.js'));

interface Row {
  stage: string;
  figure: string;
}

interface Migration {
  name: string;
  content: Buffer;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

function smallMigrations(): Migration[] {
  const files: Migration[] = [];
  for (let i = 0; i < FILES; i++) {
    files.push({
      name: `${String(20240101000000 + i).padStart(14, '0')}_change_${i}.sql`,
      content: Buffer.from(
        `-- migration ${i}\nCREATE TABLE "t_${i}" ("id" bigint NOT NULL, "name" text NULL, PRIMARY KEY ("id"));\n`,
      ),
    });
  }
  return files;
}

/** Bytes that look random (gzip cannot shrink them) but are the same on every run: AES-CTR. */
function incompressible(seed: number, size: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed);
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv).update(Buffer.alloc(size));
}

function largeMigrations(): Migration[] {
  const files: Migration[] = [];
  for (let i = 0; i < LARGE_FILES; i++) {
    files.push({
      name: `${String(20240101000000 + i).padStart(14, '0')}_seed_${i}.sql`,
      content: incompressible(i, LARGE_FILE_SIZE),
    });
  }
  return files;
}

function makeProject(root: string, files: readonly Migration[]): { count: number; bytes: number } {
  const dir = path.join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(path.join(dir, file.name), file.content);
  writeFileSync(path.join(dir, 'atlas.sum'), computeAtlasSum(files));
  writeFileSync(
    path.join(root, 'atlas.hcl'),
    'env "deploy" {\n  url = getenv("DATABASE_URL")\n  migration {\n    dir = "file://migrations"\n  }\n}\n',
  );
  writeFileSync(
    path.join(root, 'td.json'),
    JSON.stringify({
      family: 'bench',
      // ECS fetches the database URL secret with the execution role.
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      containerDefinitions: [{ name: 'app', image: 'nginx', essential: true }],
    }),
  );
  return { count: files.length, bytes: files.reduce((sum, file) => sum + file.content.length, 0) };
}

/** As build-image maps project files; `reuse: false` drops the bytes the checks kept. */
function layerEntries(files: readonly ProjectFile[], reuse: boolean): LayerEntry[] {
  return files.map((original) => {
    // Without the bytes read-project kept, every file is read from disk.
    const file = reuse ? original : { ...original, content: undefined };
    return {
      path: `workspace/${file.path}`,
      size: file.size,
      executable: file.executable,
      source: file.path,
      open: () => createReadStream(file.absolutePath),
      read: () => readProjectFile(file),
    };
  });
}

/**
 * Loaded into the action's process: records its peak RSS in KiB as it exits, however it exits.
 * On Linux from VmHWM, the peak of this process image: ru_maxrss (resourceUsage().maxRSS) is
 * carried across exec, so a child forked from this large bench process would report the bench's
 * RSS instead of its own. Elsewhere (no /proc), maxRSS.
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

interface Setup {
  /** Stand-in base image (OCI layout). */
  base: string;
  /** RSS_PROBE's file. */
  probe: string;
}

/** Runs the bundled action in a dry run; returns its peak RSS in bytes. */
function runDist(root: string, setup: Setup): number {
  const rssFile = path.join(root, 'max-rss');
  execFileSync(process.execPath, ['--require', setup.probe, DIST], {
    env: {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: root,
      RUNNER_TEMP: path.join(root, 'runner-temp'),
      'INPUT_DRY-RUN': 'true',
      'INPUT_TASK-DEFINITION': 'td.json',
      'INPUT_ATLAS-IMAGE': `oci-layout://${setup.base}`,
      // atlas.hcl reads getenv("DATABASE_URL"): the step refuses to run without its source.
      'INPUT_DATABASE-URL-SECRET':
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api/database-url-Ab12Cd',
      BENCH_RSS_FILE: rssFile,
    },
    stdio: 'pipe',
  });
  return Number(readFileSync(rssFile, 'utf8')) * 1024;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function scenario(
  label: string,
  scratch: string,
  setup: Setup,
  migrations: () => Migration[],
  rows: Row[],
): Promise<void> {
  const root = mkdtempSync(path.join(scratch, 'project-'));
  // Generated, written and let go: the bench holds no file content while it measures.
  const { count, bytes } = makeProject(root, migrations());
  rows.push({ stage: `**${label}** (${count} files, ${mib(bytes)})`, figure: '' });
  const options = {
    workspace: root,
    migrationsDir: 'migrations',
    atlasConfig: 'atlas.hcl',
    atlasEnv: 'deploy',
  };
  let project = await readMigrationProject(options);
  const readMs = await timed(async () => {
    project = await readMigrationProject(options);
  });
  rows.push({ stage: 'read + verify atlas.sum + atlas.hcl', figure: `${readMs.toFixed(0)} ms` });

  const layerPath = path.join(root, 'layer.tar.gz');
  let digest = '';
  let layerSize = 0;
  let uncompressed = 0;
  const buildLayer = async (reuse: boolean) => {
    const layer = await writeLayer(
      layerEntries(project.files, reuse),
      createWriteStream(layerPath),
      {
        mediaType: FAMILY_MEDIA_TYPES.oci.layerGzip,
      },
    );
    digest = layer.digest;
    layerSize = layer.size;
    uncompressed = layer.uncompressedSize;
  };
  const layerMs = await timed(() => buildLayer(true));
  rows.push({
    stage: `layer build (${project.files.length} files, tar + gzip to disk)`,
    figure: `${layerMs.toFixed(0)} ms`,
  });
  const fromDiskMs = await timed(() => buildLayer(false));
  rows.push({
    stage: 'layer build, every file read again from disk',
    figure: `${fromDiskMs.toFixed(0)} ms`,
  });
  rows.push({
    stage: 'layer size',
    figure: `${(layerSize / 1024).toFixed(0)} KiB gzip / ${(uncompressed / 1024).toFixed(0)} KiB tar`,
  });
  rows.push({ stage: 'layer digest', figure: `\`${digest}\`` });

  let peak = 0;
  const distMs = await timed(async () => {
    peak = Math.max(peak, runDist(root, setup));
  });
  rows.push({
    stage: `${path.basename(DIST)} dry run end to end`,
    figure: `${distMs.toFixed(0)} ms`,
  });
  rows.push({ stage: `${path.basename(DIST)} dry run peak RSS`, figure: mib(peak) });
  rmSync(root, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-bench-'));
  const rows: Row[] = [];
  try {
    const setup: Setup = {
      base: path.join(scratch, 'base'),
      probe: path.join(scratch, 'rss-probe.js'),
    };
    await generateStandInBase(setup.base, {});
    writeFileSync(setup.probe, RSS_PROBE);
    if (FILES > 0) await scenario('many small files', scratch, setup, smallMigrations, rows);
    if (LARGE_FILES > 0) await scenario('large files', scratch, setup, largeMigrations, rows);
    rows.push({
      stage: `bundle size (${path.basename(DIST)})`,
      figure: `${(statSync(DIST).size / 1024).toFixed(0)} KiB`,
    });
    rows.push({
      stage: 'bundle + HCL parser wasm (on disk, uncompressed)',
      figure: `${((statSync(DIST).size + statSync(path.join(path.dirname(DIST), 'hcl2json.wasm')).size) / 1024).toFixed(0)} KiB`,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const width = Math.max(...rows.map((r) => r.stage.length));
  const figureWidth = Math.max(6, ...rows.map((r) => r.figure.length));
  console.log(
    `Node ${process.version}, median of ${REPEAT} runs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(`| ${'stage'.padEnd(width)} | ${'figure'.padEnd(figureWidth)} |`);
  console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(figureWidth + 2)}|`);
  for (const row of rows) {
    console.log(`| ${row.stage.padEnd(width)} | ${row.figure.padEnd(figureWidth)} |`);
  }

  // Registry and ECS figures: a real registry on loopback, the loopback AWS endpoint of the tests.
  console.log(`\n${pushTable(await benchPush())}`);
  const versus = await benchVersusBuildah();
  if (versus.report) console.log(`\n${versus.report}`);
  if (versus.failures.length > 0) {
    console.error(`buildah comparison: ${versus.failures.join('; ')}`);
    process.exitCode = 1;
  }
  console.log(`\n${deployTable(await benchDeploy())}`);
  const twins = await benchTwinPush();
  console.log(`\n${twinPushTable(twins)}`);
  if (twins.failedPushes > 0) {
    console.error('Two identical pushes at once must both succeed.');
    process.exitCode = 1;
  }

  // Memory and scale: a 200 MB migration directory through a real run; fails the bench on regression.
  const failures = await memoryScaleReport();
  if (failures.length > 0) {
    console.error(`memory and scale: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
