// npm run bench (part 2): pushes against a real registry (Debian's docker-registry on loopback,
// behind a counting proxy): first push into an empty repository, re-push unchanged, re-push with one
// migration changed. Requests by method, blob uploads, bytes up and down, wall time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFaultProxy } from '../__tests__/helpers/fault-proxy';
import { startRegistry } from '../__tests__/helpers/registry-server';
import { generateStandInBase } from '../scripts/make-stand-in-base';
import { buildMigrationImage } from '../src/files/build-image';
import { readOciLayoutImage } from '../src/files/oci-layout';
import { pushableImage } from '../src/files/pushable-image';
import { readMigrationProject } from '../src/files/read-project';
import { platformForCpuArchitecture } from '../src/image/platform';
import { computeAtlasSum } from '../src/migrations/atlas-sum';
import { createRegistryClient } from '../src/registry/client';
import { pushImage } from '../src/registry/push';
import { contentTag } from '../src/registry/reference';

const MIGRATIONS = 200;
/** The Atlas binary layer is tens of MB and incompressible; model it. */
const BASE_LAYER_MIB = Number(process.env.BENCH_BASE_MIB ?? 40);

function writeProject(root: string, changed: boolean): void {
  const dir = path.join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < MIGRATIONS; i++) {
    const name = `${20240101000000 + i}_m${i}.sql`;
    const edited = changed && i === MIGRATIONS - 1 ? '-- edited\n' : '';
    const content = Buffer.from(`${edited}CREATE TABLE t${i} (id bigint PRIMARY KEY, v text);\n`);
    writeFileSync(path.join(dir, name), content);
    files.push({ name, content });
  }
  writeFileSync(path.join(dir, 'atlas.sum'), computeAtlasSum(files));
  writeFileSync(
    path.join(root, 'atlas.hcl'),
    'env "deploy" {\n  url = getenv("DATABASE_URL")\n  migration {\n    dir = "file://migrations"\n  }\n}\n',
  );
}

export interface PushRow {
  scenario: string;
  requests: Record<string, number>;
  blobUploads: number;
  bytesUp: number;
  bytesDown: number;
  ms: number;
}

export async function benchPush(): Promise<PushRow[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-bench-push-'));
  const registry = await startRegistry();
  const proxy = await startFaultProxy({ upstream: registry.url });
  const rows: PushRow[] = [];
  try {
    const platform = platformForCpuArchitecture('X86_64');
    await generateStandInBase(path.join(root, 'base'), { layerMib: BASE_LAYER_MIB });
    const base = await readOciLayoutImage(path.join(root, 'base'), 'latest', platform);
    const target = { registry: proxy.host, repository: 'bench/migrations' };

    const publish = async (scenario: string, changed: boolean) => {
      writeProject(root, changed);
      const project = await readMigrationProject({
        workspace: root,
        migrationsDir: 'migrations',
        atlasConfig: 'atlas.hcl',
        atlasEnv: 'deploy',
      });
      const built = await buildMigrationImage({
        base,
        copyBaseLayers: false,
        platform,
        files: project.files,
        imageRoot: 'workspace',
        workingDir: '/workspace',
        labels: {},
        outputDir: path.join(root, 'out'),
        tag: 'latest',
      });
      const client = createRegistryClient({ mask: () => undefined, log: () => undefined });
      proxy.reset();
      const start = performance.now();
      const result = await pushImage(
        client,
        target,
        pushableImage(built, base),
        [contentTag(built.manifestDigest), 'v1'],
        () => undefined,
      );
      const ms = performance.now() - start;
      rows.push({
        scenario,
        requests: proxy.counts(),
        blobUploads: result.uploaded.length,
        bytesUp: client.stats.bytesUp,
        bytesDown: client.stats.bytesDown,
        ms,
      });
    };
    await publish('first push, empty repository', false);
    await publish('re-push, unchanged', false);
    await publish('re-push, one migration changed', true);
  } finally {
    await proxy.stop();
    await registry.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

export function pushTable(rows: PushRow[]): string {
  const lines = [
    `Push against docker-registry on loopback (base layer ${BASE_LAYER_MIB} MiB, ${MIGRATIONS} migrations)`,
    '',
    '| scenario | requests by method | blob uploads | bytes up | bytes down | wall time |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const requests = Object.entries(row.requests)
      .map(([method, n]) => `${method} ${n}`)
      .join(', ');
    lines.push(
      `| ${row.scenario} | ${requests} | ${row.blobUploads} | ${row.bytesUp} | ${row.bytesDown} | ${row.ms.toFixed(0)} ms |`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  benchPush()
    .then((rows) => console.log(pushTable(rows)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
