// The env's runtime contract through the bundled action (issue 11): what atlas.hcl reads inside
// the migration container is checked before anything is built, pushed or registered. Each problem
// is refused with no AWS write and nothing pushed, and its fixed project deploys; the seed's own
// recipe (a data "runtimevar" read from Secrets Manager in its own region, no database-url-secret)
// deploys in mode sidecar and run-task with DescribeSecret answered in the runtimevar's region
// and the task role checked; an Atlas Cloud directory ships atlas.hcl alone and needs
// atlas-token-secret.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { READ_ONLY_FIELDS } from '../../src/taskdef';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import type { ActionRun } from '../helpers/run-action';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
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
  type SeededAws,
} from './deploy-env';

/** The seed guide's atlas.hcl, with the example's migration directory. */
const SEED_RECIPE = `data "runtimevar" "url" {
  url = "awssecretsmanager://mydb?region=us-east-2"
}

env "deploy" {
  url = "\${data.runtimevar.url}"
  migration {
    dir = "file://migrations"
  }
}
`;

const PARAMSTORE_RECIPE = `data "runtimevar" "url" {
  url = "awsparamstore:///prod/db-url?region=eu-west-1&decoder=string"
}

env "deploy" {
  url = data.runtimevar.url
  migration {
    dir = "file://migrations"
  }
}
`;

const CLOUD_PROJECT = `env "deploy" {
  url = getenv("DATABASE_URL")
  migration {
    dir = "atlas://app"
  }
}
`;

const GETENV_PROJECT = `env "deploy" {
  url = "postgres://\${getenv("DB_USER")}@db.internal:5432/app"
  migration {
    dir = "file://migrations"
  }
}
`;

let registry: RegistryServer;
let ws: TestWorkspace;
let seeded: SeededAws;
let aws: FakeAws;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
  seeded = await startSeededAws();
  aws = seeded.aws;
  aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
  aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

function writeHcl(text: string): void {
  writeFileSync(path.join(ws.dir, 'atlas.hcl'), text);
}

/** The example's inputs without database-url-secret (the runtimevar recipe needs none). */
function inputs(
  repository: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const all: Record<string, string | undefined> = {
    ...deployInputs(`${registry.host}/${repository}`),
    'database-url-secret': undefined,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** The example's task definition registered as another family, changed by `change`. */
function registerVariant(family: string, change: (td: Record<string, unknown>) => void): void {
  const current = aws.ecs.taskDefinitions.find((t) => t.arn === seeded.previousArn)!;
  const body = JSON.parse(JSON.stringify(current.body)) as Record<string, unknown>;
  for (const field of READ_ONLY_FIELDS) delete body[field];
  body.family = family;
  change(body);
  aws.ecs.addTaskDefinition(body);
}

/** The example's task definition file with its migration container carrying `container`. */
function writeTaskDefinitionFile(container: Record<string, unknown>): string {
  const file = path.join(ws.dir, 'task-definition.json');
  const described = JSON.parse(readFileSync(file, 'utf8')) as {
    taskDefinition: { containerDefinitions: Record<string, unknown>[] };
  };
  described.taskDefinition.containerDefinitions.unshift({
    name: 'atlas',
    image: 'arigaio/atlas:latest',
    essential: false,
    ...container,
  });
  writeFileSync(path.join(ws.dir, 'td.json'), JSON.stringify(described, null, 2));
  return 'td.json';
}

interface ContainerJson {
  name: string;
  secrets?: { name: string; valueFrom: string }[];
  environment?: { name: string; value: string }[];
}

function registered(family: string): { body: Record<string, unknown>; arn: string } {
  const found = aws.ecs.taskDefinitions.filter((t) => t.family === family).at(-1);
  if (!found) throw new Error(`no task definition of family ${family} registered`);
  return found;
}

function migrationContainer(family: string): ContainerJson {
  const containers = registered(family).body.containerDefinitions as ContainerJson[];
  return containers.find((c) => c.name === 'atlas')!;
}

/** A refusal: exit 1, one problem annotation, no AWS write, nothing pushed. */
async function expectRefused(run: ActionRun, repository: string, message: RegExp): Promise<void> {
  expect(stderrOf(run)).toBe('');
  expect(run.code).toBe(1);
  const problems = run.errors.filter((l) => !/^::error::(A problem was|\d+ problems were)/.test(l));
  expect(problems).toHaveLength(1);
  expect(annotationText(problems)).toMatch(message);
  expect(annotationText(problems)).toMatch(/Fix: \S/);
  expect(aws.writes()).toEqual([]);
  expect(run.outputs['image-digest']).toBeUndefined();
  await expectNothingPushed(registry.url, repository);
}

describe("the seed's recipe: a runtimevar in its own region, no database-url-secret", () => {
  it.each(['sidecar', 'run-task'] as const)(
    'deploys in mode %s: DescribeSecret in us-east-2, no DATABASE_URL secret, the task role kept',
    async (mode) => {
      writeHcl(SEED_RECIPE);
      const secretArn = aws.secrets.add('mydb', { region: 'us-east-2' });
      const repository = repositoryName(`seed-${mode}`);
      const run = await runDeploy(ws.dir, aws, inputs(repository, { mode }));
      expect(stderrOf(run)).toBe('');
      expect(run.code).toBe(0);
      expect(run.outputs['migration-status']).toBe('succeeded');

      // Looked up where Atlas reads it, and nothing else looked up in Secrets Manager.
      expect(
        aws.callsOf('DescribeSecret').map((c) => [c.region, c.body.SecretId, c.error]),
      ).toEqual([['us-east-2', 'mydb', undefined]]);

      const family = mode === 'run-task' ? 'demo-api-migrate' : 'demo-api';
      const container = migrationContainer(family);
      expect(container.secrets ?? []).toEqual([]);
      expect(JSON.stringify(container)).not.toContain('DATABASE_URL');
      expect(registered(family).body.taskRoleArn).toBe(
        'arn:aws:iam::123456789012:role/demo-api-task',
      );

      // Who must read what: in the log and the summary.
      const line = `The task role arn:aws:iam::123456789012:role/demo-api-task must be allowed secretsmanager:GetSecretValue on ${secretArn}: data "runtimevar" "url" (atlas.hcl:2:3), read by Atlas in the container`;
      expect(run.stdout).toContain(line);
      expect(run.summary).toContain('### Secrets and the roles that read them');
      expect(run.summary).toContain(
        `| task role \`arn:aws:iam::123456789012:role/demo-api-task\` | \`secretsmanager:GetSecretValue\` | \`${secretArn}\` |`,
      );
    },
  );

  it('mode plan: the dry-run task keeps the task role and reads no DATABASE_URL secret', async () => {
    writeHcl(SEED_RECIPE);
    aws.secrets.add('mydb', { region: 'us-east-2' });
    const run = await runDeploy(ws.dir, aws, inputs(repositoryName('seed-plan'), { mode: 'plan' }));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(migrationContainer('demo-api-migrate').secrets ?? []).toEqual([]);
    expect(registered('demo-api-migrate').body.taskRoleArn).toBeDefined();
    expect(run.summary).toContain('### Secrets and the roles that read them');
  });

  it('refused when the secret is not in the runtimevar region (only in the default one)', async () => {
    writeHcl(SEED_RECIPE);
    aws.secrets.add('mydb');
    const repository = repositoryName('seed-missing');
    const run = await runDeploy(ws.dir, aws, inputs(repository));
    await expectRefused(
      run,
      repository,
      /^atlas\.hcl:2:\d+: data "runtimevar" "url" reads Secrets Manager secret "mydb" in us-east-2, which does not exist there \(secretsmanager:DescribeSecret: ResourceNotFoundException\), so Atlas would fail in the task\. Fix: create it \(aws secretsmanager create-secret --name mydb --secret-string '<value>' --region us-east-2\)/,
    );
    expect(run.errors[0]).toMatch(/^::error file=atlas\.hcl,line=2/);
  });

  it('refused when the task definition has no taskRoleArn', async () => {
    writeHcl(SEED_RECIPE);
    aws.secrets.add('mydb', { region: 'us-east-2' });
    registerVariant('demo-api-norole', (td) => delete td.taskRoleArn);
    const repository = repositoryName('seed-norole');
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs(repository, { 'task-definition': 'demo-api-norole' }),
    );
    await expectRefused(
      run,
      repository,
      /^task definition demo-api-norole:1: has no "taskRoleArn", but env "deploy" reads data "runtimevar" "url" \(awssecretsmanager:\/\/mydb\?region=us-east-2, atlas\.hcl:2:3\) inside the migration container, where Atlas has only the task role's credentials.*Fix: set "taskRoleArn" to a role that ecs-tasks\.amazonaws\.com can assume and that may secretsmanager:GetSecretValue the secret "mydb"/,
    );
  });

  it('a lookup this role may not make is a warning, and the deploy goes on', async () => {
    writeHcl(SEED_RECIPE);
    aws.secrets.add('mydb', { region: 'us-east-2', denied: true });
    const run = await runDeploy(ws.dir, aws, inputs(repositoryName('seed-denied')));
    expect(run.code).toBe(0);
    expect(annotationText(run.warnings)).toContain(
      'could not check that data "runtimevar" "url" (Secrets Manager secret "mydb" in us-east-2) exists: secretsmanager:DescribeSecret is not allowed',
    );
    // The summary gives the pattern IAM matches the secret with.
    expect(run.summary).toContain(
      '`arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-??????`',
    );
  });

  it('a dry run checks the task role too, with no AWS call', async () => {
    writeHcl(SEED_RECIPE);
    const file = path.join(ws.dir, 'task-definition.json');
    const described = JSON.parse(readFileSync(file, 'utf8')) as {
      taskDefinition: Record<string, unknown>;
    };
    delete described.taskDefinition.taskRoleArn;
    writeFileSync(path.join(ws.dir, 'norole.json'), JSON.stringify(described));
    const run = await runDeploy(ws.dir, aws, {
      'dry-run': 'true',
      'task-definition': 'norole.json',
      'atlas-image': 'oci-layout://base-image:latest',
    });
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toMatch(/^norole\.json: has no "taskRoleArn"/);
    expect(aws.calls).toEqual([]);
  });

  it('a dry run of the fixed project plans the lookup and names the task role', async () => {
    writeHcl(SEED_RECIPE);
    const run = await runDeploy(ws.dir, aws, {
      'dry-run': 'true',
      'task-definition': 'task-definition.json',
      'atlas-image': 'oci-layout://base-image:latest',
    });
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(aws.calls).toEqual([]);
    expect(run.summary).toContain(
      '| pre-flight | `secretsmanager:DescribeSecret` | mydb in us-east-2: data "runtimevar" "url" exists',
    );
    expect(run.summary).toContain(
      '`arn:aws:secretsmanager:us-east-2:123456789012:secret:mydb-??????`',
    );
  });
});

describe('awsparamstore runtimevar', () => {
  it('GetParameter in its region without decryption; the task role needs kms:Decrypt', async () => {
    writeHcl(PARAMSTORE_RECIPE);
    const arn = aws.parameters.add('/prod/db-url', { region: 'eu-west-1' });
    const run = await runDeploy(ws.dir, aws, inputs(repositoryName('ssm')));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(aws.callsOf('GetParameter').map((c) => [c.region, c.body])).toEqual([
      ['eu-west-1', { Name: '/prod/db-url', WithDecryption: false }],
    ]);
    expect(run.stdout).toContain(
      `must be allowed ssm:GetParameter on ${arn} (and kms:Decrypt with the key of this SecureString)`,
    );
  });

  it('refused when the parameter does not exist there', async () => {
    writeHcl(PARAMSTORE_RECIPE);
    aws.parameters.add('/prod/db-url', { region: 'us-east-1' });
    const repository = repositoryName('ssm-missing');
    const run = await runDeploy(ws.dir, aws, inputs(repository));
    await expectRefused(
      run,
      repository,
      /^atlas\.hcl:2:\d+: data "runtimevar" "url" reads SSM parameter "\/prod\/db-url" in eu-west-1, which does not exist there \(ssm:GetParameter: ParameterNotFound\).*Fix: create it \(aws ssm put-parameter --name \/prod\/db-url/,
    );
  });
});

describe('getenv', () => {
  it('DATABASE_URL without database-url-secret: refused naming the input; with it, deploys', async () => {
    // The example reads getenv("DATABASE_URL").
    const repository = repositoryName('getenv-db');
    const refused = await runDeploy(ws.dir, aws, inputs(repository));
    await expectRefused(
      refused,
      repository,
      /^atlas\.hcl:10:\d+: env "deploy" reads getenv\("DATABASE_URL"\), but the migration container will not have it, so Atlas would get an empty string\. Fix: set input 'database-url-secret'/,
    );
    expect(refused.errors[0]).toMatch(/^::error file=atlas\.hcl,line=10/);

    const fixed = await runDeploy(
      ws.dir,
      aws,
      inputs(repository, { 'database-url-secret': 'prod/api/database-url' }),
    );
    expect(fixed.code).toBe(0);
    expect(migrationContainer('demo-api').secrets).toEqual([
      { name: 'DATABASE_URL', valueFrom: seeded.secretArn },
    ]);
  });

  it('another variable: refused; a migration container that carries it deploys, keeping it', async () => {
    writeHcl(GETENV_PROJECT);
    const repository = repositoryName('getenv-user');
    const refused = await runDeploy(ws.dir, aws, inputs(repository));
    await expectRefused(
      refused,
      repository,
      /^atlas\.hcl:2:\d+: env "deploy" reads getenv\("DB_USER"\).*Fix: add a container "atlas" .* with DB_USER in its "environment"/,
    );

    const file = writeTaskDefinitionFile({ environment: [{ name: 'DB_USER', value: 'migrator' }] });
    const fixed = await runDeploy(ws.dir, aws, inputs(repository, { 'task-definition': file }));
    expect(stderrOf(fixed)).toBe('');
    expect(fixed.code).toBe(0);
    expect(migrationContainer('demo-api').environment).toEqual([
      { name: 'DB_USER', value: 'migrator' },
    ]);
  });

  it('an env without url is refused', async () => {
    writeHcl('env "deploy" {\n  migration {\n    dir = "file://migrations"\n  }\n}\n');
    const repository = repositoryName('no-url');
    const run = await runDeploy(ws.dir, aws, inputs(repository));
    await expectRefused(run, repository, /^atlas\.hcl:1:\d+: env "deploy" sets no url/);
  });
});

describe('an Atlas Cloud directory', () => {
  beforeEach(() => {
    writeHcl(CLOUD_PROJECT);
    // Nothing local: the directory lives in Atlas Cloud.
    rmSync(path.join(ws.dir, 'migrations'), { recursive: true });
  });

  it('without atlas-token-secret: refused naming the input', async () => {
    const repository = repositoryName('cloud-no-token');
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs(repository, { 'database-url-secret': 'prod/api/database-url' }),
    );
    await expectRefused(
      run,
      repository,
      /^Input 'atlas-token-secret': is required: env "deploy" reads its migration directory from Atlas Cloud \(atlas:\/\/app, atlas\.hcl:4:\d+\).*Fix: create a bot token in Atlas Cloud/,
    );
  });

  it('a token secret that does not exist is refused by the pre-flight', async () => {
    const repository = repositoryName('cloud-missing-token');
    const run = await runDeploy(
      ws.dir,
      aws,
      inputs(repository, {
        'database-url-secret': 'prod/api/database-url',
        'atlas-token-secret': 'prod/atlas-token',
      }),
    );
    await expectRefused(
      run,
      repository,
      /^Input 'atlas-token-secret': no Secrets Manager secret "prod\/atlas-token" in this account and region/,
    );
  });

  it.each(['sidecar', 'run-task', 'plan'] as const)(
    'mode %s: ships atlas.hcl alone, ATLAS_TOKEN through secrets by its full ARN',
    async (mode) => {
      const tokenArn = aws.secrets.add('prod/atlas-token', {
        value: 'aci_planted0123456789abcdef',
      });
      const run = await runDeploy(
        ws.dir,
        aws,
        inputs(repositoryName(`cloud-${mode}`), {
          mode,
          'database-url-secret': 'prod/api/database-url',
          'atlas-token-secret': 'prod/atlas-token',
        }),
      );
      expect(stderrOf(run)).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Built \S+ for linux\/amd64: layer sha256:[0-9a-f]+, 1 files,/);
      const container = migrationContainer(mode === 'sidecar' ? 'demo-api' : 'demo-api-migrate');
      expect(container.secrets).toEqual([
        { name: 'DATABASE_URL', valueFrom: seeded.secretArn },
        { name: 'ATLAS_TOKEN', valueFrom: tokenArn },
      ]);
      expect(container.environment ?? []).toEqual([]);
      const printed = [run.stdout, run.stderr, run.summary, run.outputFile].join('\n');
      expect(printed).not.toContain('aci_planted0123456789abcdef');
    },
  );

  it('a dry run says where the migrations come from', async () => {
    const run = await runDeploy(ws.dir, aws, {
      'dry-run': 'true',
      'task-definition': 'task-definition.json',
      'atlas-image': 'oci-layout://base-image:latest',
      'database-url-secret': 'prod/api/database-url',
      'atlas-token-secret': 'prod/atlas-token',
    });
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.summary).toContain('From Atlas Cloud: `atlas://app`');
    expect(run.summary).toContain(
      'prod/atlas-token: exists; its full ARN goes into valueFrom of ATLAS_TOKEN',
    );
  });
});
