// `npx @github/local-action . src/main.ts .env.example`, as the README's "Debug locally" runs it:
// GitHub's local runner imports src/main.ts with @actions/core stubbed and calls its run().
// local-action exits 0 even when the action fails (its setFailed stub sets no exit code), so
// success is read from what it prints: no ::error line, the outputs table, the summary file.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateStandInBase } from '../../scripts/make-stand-in-base';
import { startAwsRecorder, type AwsRecorder } from '../helpers/aws-recorder';

const ROOT = path.resolve(__dirname, '..', '..');
const ENV_EXAMPLE = path.join(ROOT, '.env.example');
/** Where .env.example points RUNNER_TEMP and GITHUB_STEP_SUMMARY (gitignored). */
const OUT = path.join(ROOT, 'examples', 'out', 'local-action');

interface LocalActionRun {
  code: number | null;
  stdout: string;
  errors: string[];
  /** The rows of the "Action Outputs" table local-action prints at the end. */
  outputs: Record<string, string>;
}

let aws: AwsRecorder;
let scratch: string;

beforeAll(async () => {
  aws = await startAwsRecorder();
  scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-local-action-'));
  if (!existsSync(path.join(ROOT, 'examples', 'base-image', 'index.json')))
    await generateStandInBase(path.join(ROOT, 'examples', 'base-image'), {});
});
afterAll(async () => {
  await aws.close();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});
beforeEach(() => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
});
afterEach(() => {
  // A dry run never reaches AWS, through the stubbed toolkit or not.
  expect(aws.requests).toEqual([]);
});

/** The table rows `│ 0 │ 'name' │ 'value' │` (console.table with quoted strings). */
function outputsTable(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.lastIndexOf('Action Outputs'));
  const outputs: Record<string, string> = {};
  for (const match of table.matchAll(/^│ \d+\s+│ '([^']+)'\s+│ '([^']*)'\s+│$/gm))
    outputs[match[1]!] = match[2]!;
  return outputs;
}

async function localAction(envFile: string): Promise<LocalActionRun> {
  const child = spawn('npx', ['@github/local-action', '.', 'src/main.ts', envFile], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? scratch,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      // Any AWS client the run created would call the recorder.
      AWS_ENDPOINT_URL: aws.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: 'pipe',
    // Its own process group: npx runs the action through a shell and tsx, and a run that hangs
    // must be stopped whole (killing npx alone leaves them holding the output pipes open).
    detached: true,
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return {
    code,
    stdout,
    errors: stdout.split('\n').filter((line) => line.startsWith('::error')),
    outputs: outputsTable(stdout),
  };
}

describe('@github/local-action on src/main.ts', () => {
  it('runs the demo dry run of .env.example: outputs and summary through the stubbed @actions/core', async () => {
    const run = await localAction('.env.example');

    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.stdout).toContain("'Entrypoint'       │ '" + path.join(ROOT, 'src', 'main.ts'));
    expect(run.outputs['image-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs.image).toBe(
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-api-migrations@${run.outputs['image-digest']}`,
    );
    expect(run.outputs['migration-status']).toBe('skipped');
    expect(run.outputs['task-definition-arn']).toBe('');

    const rendered = JSON.parse(
      readFileSync(path.resolve(ROOT, run.outputs['task-definition-file']!), 'utf8'),
    ) as { containerDefinitions: { name: string; image: string; essential?: boolean }[] };
    const atlas = rendered.containerDefinitions.find((c) => c.name === 'atlas');
    expect(atlas?.image).toBe(run.outputs.image);
    expect(atlas?.essential).toBe(false);

    const summary = readFileSync(path.join(OUT, 'step-summary.md'), 'utf8');
    expect(summary).toMatch(/^## Atlas ECS deploy: dry run\n/);
    expect(summary).toContain(run.outputs['image-digest']);
  }, 120_000);

  it('reports a bad input through the stubbed core.setFailed, and sets no output', async () => {
    const text = readFileSync(ENV_EXAMPLE, 'utf8');
    expect(text).toMatch(/^INPUT_DRY-RUN=true$/m);
    const envFile = path.join(scratch, 'bad-dry-run.env');
    writeFileSync(envFile, text.replace(/^INPUT_DRY-RUN=true$/m, 'INPUT_DRY-RUN=maybe'));

    const run = await localAction(envFile);

    // local-action's own exit code; the action failed all the same.
    expect(run.code).toBe(0);
    expect(run.errors.join('\n')).toMatch(/dry-run/);
    expect(run.errors.join('\n')).toMatch(/maybe/);
    expect(run.stdout).toContain('No outputs were set!');
    expect(existsSync(path.join(OUT, 'step-summary.md'))).toBe(false);
  }, 120_000);
});
