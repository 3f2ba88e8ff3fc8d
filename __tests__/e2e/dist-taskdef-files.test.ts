// The bundled action on task-definition files as other tools leave them: nulls (dropped, listed in
// a warning and in the step summary, in a dry run and in a real one) and unrendered templates
// (refused, every one at its line, before anything is built, pushed or asked of AWS).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startAwsRecorder, type AwsRecorder } from '../helpers/aws-recorder';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { runAction, type ActionRun } from '../helpers/run-action';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  expectNothingPushed,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  stderrOf,
} from './deploy-env';

const FILE = 'task-definition.json';
/** A null value in serialised JSON. */
const JSON_NULL = /[:,[]null[,\]}]/;

let ws: TestWorkspace;

beforeEach(async () => {
  ws = await exampleWorkspace();
});
afterEach(() => {
  ws.remove();
});

interface ExampleFile {
  taskDefinition: {
    containerDefinitions: Record<string, unknown>[];
    [key: string]: unknown;
  };
  tags: unknown[];
}

/** The example's task-definition.json, changed, written back (2-space JSON, as the CLI writes it). */
function rewriteExample(change: (file: ExampleFile) => void): string {
  const target = path.join(ws.dir, FILE);
  const file = JSON.parse(readFileSync(target, 'utf8')) as ExampleFile;
  change(file);
  const text = `${JSON.stringify(file, null, 2)}\n`;
  writeFileSync(target, text);
  return text;
}

/** Nulls as ecs-cli and the console export them: task fields, container fields, a list element. */
function withNulls(file: ExampleFile): void {
  file.taskDefinition.pidMode = null;
  const app = file.taskDefinition.containerDefinitions[0]!;
  app.entryPoint = null;
  app.environment = [...(app.environment as unknown[]), null];
  app.linuxParameters = { initProcessEnabled: true, tmpfs: null };
}

/** In the order the file holds them (pidMode, added last, is written last). */
const DROPPED = [
  'taskDefinition.containerDefinitions[0].environment[2]',
  'taskDefinition.containerDefinitions[0].entryPoint',
  'taskDefinition.containerDefinitions[0].linuxParameters.tmpfs',
  'taskDefinition.pidMode',
];

/** Checks the one warning about dropped nulls and returns its text. */
function expectNullsWarning(run: ActionRun, text: string): string {
  const warnings = run.warnings.filter((line) => line.includes('null fields'));
  expect(warnings).toHaveLength(1);
  const message = annotationText(warnings);
  expect(message).toMatch(
    new RegExp(`^${FILE}: dropped 4 null fields, since null means absent to ECS and the AWS SDK`),
  );
  const listed = [...message.matchAll(/ (\S+) \((\d+):(\d+)\)/g)];
  expect(listed.map(([, path]) => path)).toEqual(DROPPED);
  // Each position is where that null is written, and the annotation sits at the first.
  const lines = text.split('\n');
  for (const [, , line, column] of listed) {
    expect(lines[Number(line) - 1]!.slice(Number(column) - 1)).toMatch(/^null\b/);
  }
  expect(warnings[0]).toMatch(
    new RegExp(`^::warning file=${FILE},line=${listed[0]![2]},col=${listed[0]![3]}::`),
  );
  return message;
}

describe('dist/index.js dry run of a file with nulls', () => {
  let aws: AwsRecorder;
  beforeAll(async () => {
    aws = await startAwsRecorder();
  });
  afterAll(async () => {
    await aws.close();
  });

  it('drops them, says which in a warning and in the step summary, and renders without them', async () => {
    const text = rewriteExample(withNulls);
    const run = await runAction(DEMO_INPUTS, {
      workspace: ws.dir,
      env: {
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    const message = expectNullsWarning(run, text);
    expect(run.summary).toContain(`### Warnings\n\n- ${message}\n`);

    const rendered = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    expect(rendered).not.toHaveProperty('pidMode');
    const app = rendered.containerDefinitions.find((c: { name: string }) => c.name === 'app');
    expect(app).not.toHaveProperty('entryPoint');
    expect(app.environment).toEqual([
      { name: 'PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    expect(app.linuxParameters).toEqual({ initProcessEnabled: true });
    expect(JSON.stringify(rendered)).not.toMatch(JSON_NULL);
    expect(aws.requests).toEqual([]);
  });
});

describe('dist/index.js refuses an unrendered file before anything is built', () => {
  function withTemplates(file: ExampleFile): void {
    file.taskDefinition.taskRoleArn = 'arn:aws:iam::{{ must_env `ACCOUNT` }}:role/demo-api-task';
    const app = file.taskDefinition.containerDefinitions[0]!;
    app.image = '${APP_IMAGE}';
    // Shell in a command and in an environment value is the app's, and never refused.
    app.command = ['sh', '-c', 'exec ./server --port "$PORT"'];
    app.environment = [{ name: 'GREETING', value: 'hello ${USER}' }];
  }

  it('names every placeholder at its line with the fix, and builds, writes and asks nothing', async () => {
    const aws = await startAwsRecorder();
    try {
      const text = rewriteExample(withTemplates);
      const run = await runAction(DEMO_INPUTS, {
        workspace: ws.dir,
        env: {
          AWS_ENDPOINT_URL: aws.url,
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(1);
      const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
      expect(run.errors).toHaveLength(3); // the two problems, then the step's failure
      expect(run.errors[0]).toMatch(
        new RegExp(`^::error file=${FILE},line=${lineOf('"taskRoleArn"')},`),
      );
      expect(run.errors[1]).toMatch(
        new RegExp(`^::error file=${FILE},line=${lineOf('"${APP_IMAGE}"')},`),
      );
      const [role, image] = annotationText(run.errors.slice(0, 2)).split('\n');
      expect(role).toMatch(
        /^task-definition\.json:\d+:\d+: "taskRoleArn" is "arn:aws:iam::\{\{ must_env `ACCOUNT` \}\}:role\/demo-api-task", which holds the unrendered template \{\{ must_env `ACCOUNT` \}\}\. Fix: render the file before this step/,
      );
      expect(image).toMatch(
        /^task-definition\.json:\d+:\d+: "containerDefinitions\[0\]\.image" is "\$\{APP_IMAGE\}", which holds the unrendered variable \$\{APP_IMAGE\}\. Fix: set the image with the images input \(`images: app=<registry>\/<repository>:<tag>`\), which replaces it, or render the file before this step/,
      );
      expect(annotationText(run.errors.slice(2))).toContain(
        '2 problems were found (see the annotations above); nothing was pushed or deployed.',
      );
      expect(run.stdout).not.toMatch(/Built |Rendered the task definition/);
      expect(existsSync(path.join(ws.dir, 'runner-temp', 'atlas-ecs-deploy'))).toBe(false);
      expect(run.outputs['task-definition-file']).toBeUndefined();
      expect(aws.requests).toEqual([]);
    } finally {
      await aws.close();
    }
  });

  it('accepts the placeholder image when the images input replaces it, as such files are meant to be used', async () => {
    rewriteExample((file) => {
      file.taskDefinition.containerDefinitions[0]!.image = '<APP_IMAGE>';
    });
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-api:v1.9.0';
    const run = await runAction({ ...DEMO_INPUTS, images: `app=${image}` }, { workspace: ws.dir });
    expect(run.stderr).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const rendered = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    expect(
      rendered.containerDefinitions.find((c: { name: string }) => c.name === 'app').image,
    ).toBe(image);
  });
});

describe('dist/index.js real deploy from a file', () => {
  let registry: RegistryServer;
  let aws: FakeAws;

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });
  beforeEach(async () => {
    aws = (await startSeededAws()).aws;
  });
  afterEach(async () => {
    await aws?.close();
  });

  it('lists the dropped nulls in the summary of a deploy too', async () => {
    const text = rewriteExample(withNulls);
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const repository = `${registry.host}/${repositoryName('nulls')}`;
    const run = await runDeploy(ws.dir, aws, deployInputs(repository, { 'task-definition': FILE }));
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    const message = expectNullsWarning(run, text);
    expect(run.summary).toContain('## Atlas ECS deploy: demo-api');
    expect(run.summary).toContain(`### Warnings\n\n- ${message}\n`);
    const registered = aws.callsOf('RegisterTaskDefinition');
    expect(registered).toHaveLength(1);
    expect(JSON.stringify(registered[0]!.body)).not.toMatch(JSON_NULL);
  });

  it('refuses an unrendered file before any AWS call or push', async () => {
    rewriteExample((file) => {
      file.taskDefinition.executionRoleArn = 'arn:aws:iam::YOUR_ACCOUNT_ID:role/demo-api-execution';
    });
    const name = repositoryName('unrendered');
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${name}`, { 'task-definition': FILE }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toMatch(
      /^task-definition\.json:\d+:\d+: "executionRoleArn" is "arn:aws:iam::YOUR_ACCOUNT_ID:role\/demo-api-execution", which holds the placeholder YOUR_ACCOUNT_ID\. Fix: replace the placeholder with the real value/,
    );
    expect(aws.callsOf()).toEqual([]);
    await expectNothingPushed(registry.url, name);
  });
});
