// The bundled action, run as the runner runs it, in a dry run on a copy of examples/.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startAwsRecorder, type AwsRecorder } from '../helpers/aws-recorder';
import { runAction, type ActionRun } from '../helpers/run-action';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import { DEFAULT_MIGRATION_COMMAND } from './deploy-env';

const SECRET_ARN = DEMO_INPUTS['database-url-secret']!;
const REPOSITORY = DEMO_INPUTS['image-repository']!;

let aws: AwsRecorder;
let ws: TestWorkspace;

beforeAll(async () => {
  aws = await startAwsRecorder();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
});
afterEach(() => {
  ws.remove();
  // No scenario of a dry run may reach AWS, successful or not.
  expect(aws.requests).toEqual([]);
});

/** Any AWS SDK client the action might create would be sent to the recorder. */
function awsEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret-example',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function dryRun(inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  return runAction(
    { ...DEMO_INPUTS, ...inputs },
    { workspace: ws.dir, env: { ...awsEnv(), ...env } },
  );
}

function expectFailure(run: ActionRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(pattern);
  expect(run.outputs['task-definition-file']).toBeUndefined();
}

describe('dist/index.js dry run', () => {
  it('builds the image, renders the task definition and the summary, and sets the outputs', async () => {
    const run = await dryRun(
      {},
      {
        GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_SERVER_URL: 'https://github.com',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const digest = run.outputs['image-digest']!;
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs).toMatchObject({
      image: `${REPOSITORY}@${digest}`,
      'task-definition-arn': '',
      'deployment-id': '',
      'migration-status': 'skipped',
    });

    const file = run.outputs['task-definition-file']!;
    const rendered = JSON.parse(readFileSync(file, 'utf8'));
    for (const field of [
      'taskDefinitionArn',
      'revision',
      'status',
      'requiresAttributes',
      'compatibilities',
      'registeredAt',
      'registeredBy',
    ]) {
      expect(rendered).not.toHaveProperty(field);
    }
    expect(rendered.tags).toEqual([
      { key: 'service', value: 'demo-api' },
      { key: 'team', value: 'payments' },
    ]);
    const [atlas, app] = rendered.containerDefinitions;
    expect(atlas).toMatchObject({
      name: 'atlas',
      image: `${REPOSITORY}@${digest}`,
      essential: false,
      command: [...DEFAULT_MIGRATION_COMMAND],
      secrets: [{ name: 'DATABASE_URL', valueFrom: SECRET_ARN }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/demo-api',
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'ecs',
        },
      },
    });
    expect(atlas).not.toHaveProperty('entryPoint');
    expect(JSON.stringify(atlas.environment ?? [])).not.toContain('DATABASE_URL');
    expect(app.name).toBe('app');
    expect(app.dependsOn).toEqual([{ containerName: 'atlas', condition: 'SUCCESS' }]);

    // The OCI layout holds the image the outputs name, with the project under /workspace.
    const layout = path.join(path.dirname(file), 'image');
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toContain(digest);
    const manifest = JSON.parse(
      readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8'),
    );
    const config = JSON.parse(
      readFileSync(path.join(layout, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8'),
    );
    expect(config.architecture).toBe('amd64');
    expect(config.config.WorkingDir).toBe('/workspace');
    expect(config.config.Entrypoint).toEqual(['/atlas']);
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/acme/api',
      'org.opencontainers.image.revision': 'c0ffee'.padEnd(40, '0'),
    });
    for (const layer of manifest.layers) {
      expect(existsSync(path.join(layout, 'blobs', 'sha256', layer.digest.slice(7)))).toBe(true);
    }

    expect(run.summary).toContain(digest);
    expect(run.summary).toContain('### Migrations (3)');
    expect(run.summary).toContain('20240310170000_add_users_name.sql');
    expect(run.summary).toMatch(/```diff\n[\s\S]*\+ {2,}"name": "atlas",[\s\S]*```/);
    expect(run.summary).toContain('`ecs:RegisterTaskDefinition`');
    expect(run.summary).toContain('`ecs:UpdateService`');
    expect(run.summary).toContain('`secretsmanager:DescribeSecret`');
  });

  it('gives the same image digest on every run and in any checkout folder', async () => {
    const first = await dryRun();
    const second = await dryRun();
    const elsewhere = await exampleWorkspace();
    try {
      const third = await runAction(DEMO_INPUTS, { workspace: elsewhere.dir, env: awsEnv() });
      expect(first.code).toBe(0);
      expect(second.outputs['image-digest']).toBe(first.outputs['image-digest']);
      expect(third.outputs['image-digest']).toBe(first.outputs['image-digest']);
    } finally {
      elsewhere.remove();
    }
  });

  it('picks the arm64 base for an ARM64 task definition', async () => {
    const file = path.join(ws.dir, 'task-definition.json');
    const described = JSON.parse(readFileSync(file, 'utf8'));
    described.taskDefinition.runtimePlatform.cpuArchitecture = 'ARM64';
    writeFileSync(file, JSON.stringify(described));
    const run = await dryRun();
    expect(run.code).toBe(0);
    expect(run.summary).toContain('linux/arm64');
  });

  it('runs atlas from the folder of a config that is not named atlas.hcl', async () => {
    mkdirSync(path.join(ws.dir, 'db'));
    renameSync(path.join(ws.dir, 'migrations'), path.join(ws.dir, 'db', 'migrations'));
    renameSync(path.join(ws.dir, 'atlas.hcl'), path.join(ws.dir, 'db', 'atlas.prod.hcl'));
    const run = await dryRun({
      'migrations-dir': 'db/migrations',
      'atlas-config': 'db/atlas.prod.hcl',
      'migrate-args': '--tx-mode all',
    });
    expect(run.code).toBe(0);
    const rendered = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    expect(rendered.containerDefinitions[0].command).toEqual([
      'migrate',
      'apply',
      '--env',
      'deploy',
      '--lock-timeout',
      '10m',
      '--config',
      'file://atlas.prod.hcl',
      '--tx-mode',
      'all',
      '--format',
      '{{ json . }}',
    ]);
  });

  it('warns when a secret is given by name, which ECS cannot resolve by itself', async () => {
    const run = await dryRun({ 'database-url-secret': 'prod/api/database-url' });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/prod\/api\/database-url.*full ARN/);
  });
});

describe('dist/index.js refuses bad input and writes nothing', () => {
  it('names every bad input with the value and the fix', async () => {
    const run = await dryRun({
      'lock-timeout': 'soon',
      'wait-timeout-minutes': 'ten',
      'dry-run': 'true',
      mode: 'jobs',
    });
    expectFailure(run, /Input 'lock-timeout': "soon" is not a positive duration\. Fix: /);
    expect(run.stdout).toMatch(/Input 'wait-timeout-minutes': "ten"/);
    expect(run.stdout).toMatch(/Input 'mode': "jobs"/);
  });

  it('rejects an unknown boolean instead of treating it as false', async () => {
    const run = await dryRun({ 'dry-run': 'yes' });
    expectFailure(run, /Input 'dry-run': "yes" is not a boolean/);
  });

  it('annotates an edited migration at its atlas.sum line', async () => {
    writeFileSync(
      path.join(ws.dir, 'migrations', '20240215093000_create_orders.sql'),
      'DROP TABLE users;\n',
    );
    const run = await dryRun();
    expectFailure(run, /::error file=migrations\/atlas\.sum,line=3/);
    expect(run.stdout).toMatch(/20240215093000_create_orders\.sql/);
    expect(run.stdout).toMatch(/atlas migrate hash/);
    expect(existsSync(path.join(ws.dir, 'runner-temp'))).toBe(false);
  });

  it('annotates a missing env block in atlas.hcl', async () => {
    const run = await dryRun({ 'atlas-env': 'production' });
    expectFailure(run, /::error file=atlas\.hcl.*production/);
  });

  it('annotates a task definition that is not JSON at the line of the error', async () => {
    writeFileSync(
      path.join(ws.dir, 'task-definition.json'),
      '{\n  "family": "x",\n  "containerDefinitions": [\n}\n',
    );
    const run = await dryRun();
    expectFailure(run, /::error file=task-definition\.json,line=4/);
  });

  it('refuses an app container that the task definition does not have', async () => {
    const run = await dryRun({ 'app-containers': 'web' });
    expectFailure(run, /web/);
  });

  it('warns about a literal password in atlas.hcl without printing it', async () => {
    const hcl = path.join(ws.dir, 'atlas.hcl');
    writeFileSync(
      hcl,
      readFileSync(hcl, 'utf8').replace(
        'getenv("DATABASE_URL")',
        '"postgres://app:Sup3rS3cret@db:5432/app"',
      ),
    );
    const run = await dryRun();
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/::warning file=atlas\.hcl,line=\d+/);
    expect(run.stdout + run.stderr + run.summary).not.toContain('Sup3rS3cret');
  });

  it('fails on a base image layout that does not exist', async () => {
    const run = await dryRun({ 'atlas-image': 'oci-layout://missing-dir' });
    expectFailure(run, /missing-dir/);
  });
});
