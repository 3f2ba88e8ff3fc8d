// npm run bench (part 5): our publish side by side with buildah's, in the same run, on the same
// base, to the same registry, from the same workspace.
//   - The base: a stand-in for arigaio/atlas with an incompressible layer the size of the Atlas
//     binary layer (BENCH_BASE_MIB, default 40), as a multi-platform index (linux/amd64,
//     linux/arm64/v8) in a loopback registry of its own, as Docker Hub holds it.
//   - The target: another loopback registry; each tool and case gets its own repository.
//   - Both registries behind counting proxies: requests and body bytes are counted on the wire,
//     the same way for both tools, trusting neither one's own figures.
//   - Cases: first publish (empty repository); one migration changed (the repository holds the
//     previous image, the workspace has one new migration); nothing changed (the same workspace
//     published again). The state a case starts from is made by the same tool, unmeasured.
//   - buildah starts from fresh storage and a fresh blob-info cache each time (bench/buildah.ts);
//     ours from a fresh process, RUNNER_TEMP and HOME (bench/ours-publish.ts).
// Each case runs BENCH_VERSUS_REPEAT times (default 5), the tools alternating; the table shows
// medians. Fails when a ratio is below THRESHOLDS (bench/versus-report.ts). BENCH_BUILDAH_OVERLAY=1
// adds buildah on overlay storage as a reference (reported, not thresholded).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { startRegistry, type RegistryServer } from '../__tests__/helpers/registry-server';
import { generateStandInBase } from '../scripts/make-stand-in-base';
import { buildahPublish, buildahUnavailable, buildahVersion, type StorageDriver } from './buildah';
import { addTraffic, startCountingProxy, type CountingProxy } from './counting-proxy';
import { DIST, oursPublish } from './ours-publish';
import { writePublishWorkspace } from './publish-workspace';
import { seedIndex } from './seed-registry';
import {
  CASES,
  THRESHOLDS,
  renderComparison,
  summarize,
  thresholdFailures,
  type CaseName,
  type Measurement,
  type Tool,
} from './versus-report';

const BASE_MIB = Number(process.env.BENCH_BASE_MIB ?? 40);
const REPEAT = Number(process.env.BENCH_VERSUS_REPEAT ?? 5);
const MIGRATIONS = Number(process.env.BENCH_VERSUS_MIGRATIONS ?? 100);
const BASE_REPOSITORY = 'arigaio/atlas';
const WITH_OVERLAY = process.env.BENCH_BUILDAH_OVERLAY === '1';
const DRIVERS: Record<Exclude<Tool, 'ours'>, StorageDriver> = {
  buildah: 'vfs',
  'buildah-overlay': 'overlay',
};

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

export interface VersusResult {
  report: string;
  failures: string[];
}

interface Registries {
  hub: CountingProxy;
  target: CountingProxy;
}

export async function benchVersusBuildah(): Promise<VersusResult> {
  const unavailable = buildahUnavailable();
  if (unavailable) return { report: '', failures: [`buildah comparison: ${unavailable}`] };

  const scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-bench-versus-'));
  const servers: RegistryServer[] = [];
  const proxies: CountingProxy[] = [];
  try {
    const hubRegistry = await startRegistry();
    servers.push(hubRegistry);
    const targetRegistry = await startRegistry();
    servers.push(targetRegistry);
    const registries: Registries = {
      hub: await startCountingProxy(hubRegistry.url),
      target: await startCountingProxy(targetRegistry.url),
    };
    proxies.push(registries.hub, registries.target);

    const baseDir = path.join(scratch, 'base');
    const base = await generateStandInBase(baseDir, { layerMib: BASE_MIB });
    await seedIndex(hubRegistry.url, BASE_REPOSITORY, baseDir, base.indexDigest, 'latest');
    rmSync(baseDir, { recursive: true, force: true });
    const baseReference = `${registries.hub.host}/${BASE_REPOSITORY}:latest`;

    const loadBefore = loadAverage();
    const measurements: Measurement[] = [];
    let serial = 0;
    for (let round = 0; round < REPEAT; round++) {
      for (const name of CASES) {
        const tools: Tool[] = [
          'ours',
          'buildah',
          ...(WITH_OVERLAY ? ['buildah-overlay' as const] : []),
        ];
        // Alternate which tool goes first, so none always runs on a warmer machine.
        const order = (round + CASES.indexOf(name)) % 2 === 0 ? tools : [...tools].reverse();
        for (const tool of order) {
          const repository = `bench/${tool}-${++serial}`;
          measurements.push(
            await measureCase(name, tool, repository, baseReference, registries, scratch),
          );
        }
      }
    }
    const summaries = summarize(measurements);
    const layer = base.manifests.find((m) => m.platform.architecture === 'amd64')!;
    const report = [
      `Our publish (${path.basename(DIST)}, Node ${process.version}) side by side with ${buildahVersion()} ` +
        `(fresh storage and blob-info cache each run; buildah: vfs storage` +
        `${WITH_OVERLAY ? ', buildah-overlay: overlay storage' : ''}), ${cpus().length} cores, ` +
        `load average before ${loadBefore}, after ${loadAverage()}.`,
      `Base: ${baseReference}, a 2-platform index; linux/amd64 layer ${layer.layerSize} bytes ` +
        `(${BASE_MIB} MiB incompressible). Workspace: ${MIGRATIONS} migrations + atlas.hcl. ` +
        `Median of ${REPEAT} runs; bytes and requests counted by proxies in front of both registries.`,
      '',
      renderComparison(summaries),
    ].join('\n');
    return { report, failures: thresholdFailures(summaries, THRESHOLDS) };
  } finally {
    for (const proxy of proxies) await proxy.stop();
    for (const server of servers) await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function measureCase(
  name: CaseName,
  tool: Tool,
  repository: string,
  baseReference: string,
  registries: Registries,
  scratch: string,
): Promise<Measurement> {
  const workspace = writePublishWorkspace(scratch, baseReference, MIGRATIONS);
  const publish = async (): Promise<{ ms: number; stepMs?: number }> => {
    if (tool === 'ours') {
      const run = await oursPublish(
        workspace.dir,
        baseReference,
        `${registries.target.host}/${repository}`,
        scratch,
      );
      return { ms: run.publishMs, stepMs: run.stepMs };
    }
    const reference = `${registries.target.host}/${repository}:v1`;
    return { ms: await buildahPublish(workspace.dir, reference, scratch, DRIVERS[tool]) };
  };
  try {
    if (name !== 'first publish') await publish();
    if (name === 'one migration changed') workspace.addMigration();
    registries.hub.reset();
    registries.target.reset();
    const timing = await publish();
    const traffic = addTraffic(registries.hub.traffic(), registries.target.traffic());
    return {
      case: name,
      tool,
      ...timing,
      bytesDown: traffic.bytesDown,
      bytesUp: traffic.bytesUp,
      requests: traffic.requests,
    };
  } finally {
    rmSync(workspace.dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchVersusBuildah()
    .then(({ report, failures }) => {
      if (report) console.log(report);
      for (const failure of failures) console.error(failure);
      if (failures.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
