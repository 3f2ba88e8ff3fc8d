// npm run bench: our side of the buildah comparison: the bundled action (dist/index.js, or
// BENCH_DIST), started as the runner starts it, in a real run (not a dry run) against the loopback
// AWS of the e2e tests. Fresh RUNNER_TEMP and HOME each time, as a fresh runner has. The step
// validates its inputs and files, runs its read-only AWS pre-flight, builds, pushes, then
// registers the revision and updates the service (not waiting for the rollout).
// Its publish time runs from the spawn to the moment the step closes its push log group (read
// from its stdout as it streams, by the bench's clock): node's start-up, the bundle's load, the
// checks and the pre-flight are in it, though buildah has none of the last two; the ECS writes
// after the push are not (they are the deploy, not the publish), but the whole step is reported.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { awsEnv, deployInputs, startSeededAws } from '../__tests__/e2e/deploy-env';
import { parseOutputFile } from '../__tests__/helpers/run-action';

export const DIST = path.resolve(
  process.env.BENCH_DIST ?? path.join(__dirname, '..', 'dist', 'index.js'),
);

export interface OursRun {
  /** Spawn to the end of the push. */
  publishMs: number;
  /** Spawn to exit. */
  stepMs: number;
  imageDigest: string;
}

/** How the step opens its push log group, and closes any group (@actions/core's commands). */
const PUSH_GROUP = /^::group::Push to /;
const END_GROUP = '::endgroup::';

/**
 * Runs the bundle on `workspace` with the base `atlasImage` (a registry reference) and the
 * target `imageRepository`; returns its wall time from spawn to exit.
 */
export async function oursPublish(
  workspace: string,
  atlasImage: string,
  imageRepository: string,
  scratch: string,
): Promise<OursRun> {
  const seeded = await startSeededAws();
  const home = mkdtempSync(path.join(scratch, 'ours-'));
  try {
    const outputFile = path.join(home, 'output');
    writeFileSync(outputFile, '');
    writeFileSync(path.join(home, 'summary.md'), '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: path.join(home, 'summary.md'),
      RUNNER_TEMP: path.join(home, 'runner-temp'),
      ...awsEnv(seeded.aws),
    };
    const inputs = deployInputs(imageRepository, {
      'atlas-image': atlasImage,
      'wait-for-service-stability': 'false',
    });
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;

    const started = performance.now();
    // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (say) profiles our step as the bench runs it.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, DIST], {
      cwd: workspace,
      env,
      stdio: 'pipe',
    });
    let output = '';
    let pending = '';
    let inPush = false;
    let publishMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trimEnd();
        pending = pending.slice(newline + 1);
        if (PUSH_GROUP.test(line)) inPush = true;
        else if (inPush && line === END_GROUP && publishMs === undefined) {
          publishMs = performance.now() - started;
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const stepMs = performance.now() - started;
    const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
    if (code !== 0 || !outputs['image-digest']) {
      throw new Error(`our publish to ${imageRepository} exited ${code}:\n${output}`);
    }
    if (publishMs === undefined) {
      throw new Error(`our publish to ${imageRepository} printed no push group:\n${output}`);
    }
    return { publishMs, stepMs, imageDigest: outputs['image-digest'] };
  } finally {
    await seeded.aws.close();
    rmSync(home, { recursive: true, force: true });
  }
}
