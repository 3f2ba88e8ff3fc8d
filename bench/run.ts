// npm run bench: measured figures for the README and the closing notes. Never run by the tests.
// Builds a 10,000-file migration project in a temp folder and times each stage on it.
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readMigrationProject } from '../src/files/read-project';
import { writeLayer } from '../src/image/layer';
import { FAMILY_MEDIA_TYPES } from '../src/image/types';
import { computeAtlasSum } from '../src/migrations/atlas-sum';
import { generateStandInBase } from '../scripts/make-stand-in-base';
import { createReadStream } from 'node:fs';

const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

interface Row {
  stage: string;
  figure: string;
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

function makeProject(root: string): void {
  const dir = path.join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < FILES; i++) {
    const name = `${String(20240101000000 + i).padStart(14, '0')}_change_${i}.sql`;
    const content = Buffer.from(
      `-- migration ${i}\nCREATE TABLE "t_${i}" ("id" bigint NOT NULL, "name" text NULL, PRIMARY KEY ("id"));\n`,
    );
    writeFileSync(path.join(dir, name), content);
    files.push({ name, content });
  }
  writeFileSync(path.join(dir, 'atlas.sum'), computeAtlasSum(files));
  writeFileSync(
    path.join(root, 'atlas.hcl'),
    'env "deploy" {\n  url = getenv("DATABASE_URL")\n  migration {\n    dir = "file://migrations"\n  }\n}\n',
  );
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-bench-'));
  const rows: Row[] = [];
  try {
    makeProject(root);
    const options = {
      workspace: root,
      migrationsDir: 'migrations',
      atlasConfig: 'atlas.hcl',
      atlasEnv: 'deploy',
    };
    const project = await readMigrationProject(options);
    const readMs = await timed(() => readMigrationProject(options));
    rows.push({
      stage: `read + verify atlas.sum + atlas.hcl (${FILES} files)`,
      figure: `${readMs.toFixed(0)} ms`,
    });

    const layerPath = path.join(root, 'layer.tar.gz');
    let layerSize = 0;
    let uncompressed = 0;
    const layerMs = await timed(async () => {
      const layer = await writeLayer(
        project.files.map((file) => ({
          path: `workspace/${file.path}`,
          size: file.size,
          executable: file.executable,
          open: () => createReadStream(file.absolutePath),
        })),
        createWriteStream(layerPath),
        { mediaType: FAMILY_MEDIA_TYPES.oci.layerGzip },
      );
      layerSize = layer.size;
      uncompressed = layer.uncompressedSize;
    });
    rows.push({
      stage: `layer build (${project.files.length} files, tar + gzip to disk)`,
      figure: `${layerMs.toFixed(0)} ms`,
    });
    rows.push({
      stage: 'layer size',
      figure: `${(layerSize / 1024).toFixed(0)} KiB gzip / ${(uncompressed / 1024).toFixed(0)} KiB tar`,
    });

    // The whole bundled action, as the runner starts it, in a dry run on the same project.
    await generateStandInBase(path.join(root, 'base'), {});
    writeFileSync(
      path.join(root, 'td.json'),
      JSON.stringify({
        family: 'bench',
        containerDefinitions: [{ name: 'app', image: 'nginx', essential: true }],
      }),
    );
    const dist = path.resolve(__dirname, '..', 'dist', 'index.js');
    const runDist = async () => {
      execFileSync(process.execPath, [dist], {
        env: {
          PATH: process.env.PATH,
          GITHUB_WORKSPACE: root,
          RUNNER_TEMP: path.join(root, 'runner-temp'),
          'INPUT_DRY-RUN': 'true',
          'INPUT_TASK-DEFINITION': 'td.json',
          'INPUT_ATLAS-IMAGE': 'oci-layout://base',
        },
        stdio: 'pipe',
      });
    };
    const distMs = await timed(runDist);
    rows.push({
      stage: `dist/index.js dry run end to end (${FILES} files)`,
      figure: `${distMs.toFixed(0)} ms`,
    });
    rows.push({
      stage: 'bundle size (dist/index.js)',
      figure: `${(statSync(dist).size / 1024).toFixed(0)} KiB`,
    });
    rows.push({
      stage: 'bundle + HCL parser wasm',
      figure: `${((statSync(dist).size + statSync(path.join(path.dirname(dist), 'hcl2json.wasm.gz')).size) / 1024).toFixed(0)} KiB`,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const width = Math.max(...rows.map((r) => r.stage.length));
  console.log(`Node ${process.version}, median of ${REPEAT} runs\n`);
  console.log(`| ${'stage'.padEnd(width)} | figure |`);
  console.log(`|${'-'.repeat(width + 2)}|--------|`);
  for (const row of rows) console.log(`| ${row.stage.padEnd(width)} | ${row.figure} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
