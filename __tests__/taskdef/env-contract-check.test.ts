// The env's runtime contract against the migration container, on hand-built contracts: which
// variable comes from where, what is refused (with the input or the task definition change that
// fixes it), and that the check agrees with what the patch really gives the container.
import { FileProblem, InputError } from '../../src/errors';
import type { EnvContract, EnvGetenv, RuntimevarSource } from '../../src/migrations/env-contract';
import { patchTaskDefinition, type TaskDefinitionJson } from '../../src/taskdef';
import {
  checkEnvContract,
  migrationContainerVariables,
  type EnvContractTarget,
} from '../../src/taskdef/env-contract-check';
import { buildMigrationTaskDefinition } from '../../src/taskdef/migration-task';
import { COMMAND, IMAGE, SECRET } from './helpers';

const FILE = 'atlas.hcl';

function getenv(name: string, line: number): EnvGetenv {
  return { name, at: { file: FILE, line, column: 9 } };
}

function runtimevar(fields: Partial<RuntimevarSource> = {}): RuntimevarSource {
  return {
    label: 'url',
    url: 'awssecretsmanager://mydb?region=us-east-2',
    scheme: 'awssecretsmanager',
    name: 'mydb',
    region: 'us-east-2',
    at: { file: FILE, line: 2, column: 3 },
    ...fields,
  };
}

function contract(fields: Partial<EnvContract> = {}): EnvContract {
  return { getenvs: [], runtimevars: [], problems: [], ...fields };
}

function taskDefinition(fields: Partial<TaskDefinitionJson> = {}): TaskDefinitionJson {
  return {
    family: 'web',
    taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
    containerDefinitions: [{ name: 'app', image: 'app:1', essential: true }],
    ...fields,
  };
}

function target(fields: Partial<EnvContractTarget> = {}): EnvContractTarget {
  return {
    taskDefinition: taskDefinition(),
    source: 'task definition web:3',
    containerName: 'atlas',
    env: 'deploy',
    databaseUrlSecret: false,
    atlasTokenSecret: false,
    ...fields,
  };
}

/** The example with an existing migration container carrying `extra`. */
function withMigrationContainer(extra: Record<string, unknown>): TaskDefinitionJson {
  return taskDefinition({
    containerDefinitions: [
      { name: 'atlas', image: 'arigaio/atlas:0.30', essential: false, ...extra },
      { name: 'app', image: 'app:1', essential: true },
    ],
  });
}

describe('getenv', () => {
  it('DATABASE_URL without database-url-secret: refused at its line, naming the input', () => {
    const { problems } = checkEnvContract(
      contract({ getenvs: [getenv('DATABASE_URL', 7)] }),
      target(),
    );
    expect(problems).toHaveLength(1);
    const problem = problems[0] as FileProblem;
    expect(problem).toBeInstanceOf(FileProblem);
    expect(problem.location).toEqual({ file: FILE, line: 7, column: 9 });
    expect(problem.message).toBe(
      `atlas.hcl:7:9: env "deploy" reads getenv("DATABASE_URL"), but the migration container will not have it, so Atlas would get an empty string. Fix: set input 'database-url-secret' to the Secrets Manager secret that holds the database URL (its name or ARN): it reaches the migration container as DATABASE_URL through ECS secrets`,
    );
  });

  it('DATABASE_URL with database-url-secret, ATLAS_TOKEN with atlas-token-secret: accepted', () => {
    const found = checkEnvContract(
      contract({ getenvs: [getenv('DATABASE_URL', 7), getenv('ATLAS_TOKEN', 3)] }),
      target({ databaseUrlSecret: true, atlasTokenSecret: true }),
    );
    expect(found).toEqual({ problems: [], warnings: [] });
  });

  it('ATLAS_TOKEN without atlas-token-secret names that input', () => {
    const { problems } = checkEnvContract(
      contract({ getenvs: [getenv('ATLAS_TOKEN', 3)] }),
      target({ databaseUrlSecret: true }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /^atlas\.hcl:3:9: env "deploy" reads getenv\("ATLAS_TOKEN"\).* Fix: set input 'atlas-token-secret' to the Secrets Manager secret that holds the Atlas Cloud bot token/,
      ),
    ]);
  });

  it('another variable: add it to the migration container, which the action keeps', () => {
    const { problems } = checkEnvContract(
      contract({ getenvs: [getenv('DB_HOST', 4), getenv('DB_HOST', 9), getenv('DB_USER', 5)] }),
      target({ databaseUrlSecret: true }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      `atlas.hcl:4:9: env "deploy" reads getenv("DB_HOST") (also on line 9), but the migration container will not have it, so Atlas would get an empty string. Fix: add a container "atlas" (the migration container, "essential": false) with DB_HOST in its "environment" (or, for a secret value, its "secrets") to task definition web:3: the action fills in its image and command and keeps the rest`,
      expect.stringMatching(/^atlas\.hcl:5:9: env "deploy" reads getenv\("DB_USER"\)/),
    ]);
  });

  it('a variable the existing migration container carries (environment or secrets) is set', () => {
    const td = withMigrationContainer({
      environment: [{ name: 'DB_HOST', value: 'db.internal' }],
      secrets: [
        { name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/p' },
      ],
    });
    const found = checkEnvContract(
      contract({ getenvs: [getenv('DB_HOST', 4), getenv('DB_PASSWORD', 5)] }),
      target({ taskDefinition: td }),
    );
    expect(found).toEqual({ problems: [], warnings: [] });
  });

  it('an empty environment entry is no value; the fix names that container', () => {
    const td = withMigrationContainer({ environment: [{ name: 'DB_HOST', value: '' }] });
    const { problems } = checkEnvContract(
      contract({ getenvs: [getenv('DB_HOST', 4)] }),
      target({ taskDefinition: td }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      `atlas.hcl:4:9: env "deploy" reads getenv("DB_HOST"), but its "environment" entry in container "atlas" of task definition web:3 is empty, so Atlas would get an empty string. Fix: add DB_HOST to the "environment" (or, for a secret value, the "secrets") of container "atlas" in task definition web:3: the action keeps what the migration container already carries`,
    ]);
  });

  it("variables of the app's containers are not the migration container's", () => {
    const td = taskDefinition({
      containerDefinitions: [
        {
          name: 'app',
          image: 'app:1',
          essential: true,
          secrets: [{ name: 'DATABASE_URL', valueFrom: SECRET }],
        },
      ],
    });
    const { problems } = checkEnvContract(
      contract({ getenvs: [getenv('DATABASE_URL', 7)] }),
      target({ taskDefinition: td }),
    );
    expect(problems).toHaveLength(1);
  });

  it('a DATABASE_URL the existing migration container reads from its own secret is set', () => {
    const td = withMigrationContainer({ secrets: [{ name: 'DATABASE_URL', valueFrom: SECRET }] });
    const found = checkEnvContract(
      contract({ getenvs: [getenv('DATABASE_URL', 7)] }),
      target({ taskDefinition: td }),
    );
    expect(found.problems).toEqual([]);
  });

  it('what ECS and the image set is there without the task definition', () => {
    const found = checkEnvContract(
      contract({ getenvs: [getenv('AWS_REGION', 2), getenv('HOME', 3)] }),
      target(),
    );
    expect(found.problems).toEqual([]);
  });

  it('a container with environmentFiles: a warning, not a refusal', () => {
    const td = withMigrationContainer({
      environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/atlas.env' }],
    });
    const found = checkEnvContract(
      contract({ getenvs: [getenv('DB_HOST', 4)] }),
      target({ taskDefinition: td }),
    );
    expect(found.problems).toEqual([]);
    expect(found.warnings).toEqual([
      {
        location: { file: FILE, line: 4, column: 9 },
        message: expect.stringMatching(
          /^getenv\("DB_HOST"\) is not set .* environmentFiles \(arn:aws:s3:::config\/atlas\.env\)/,
        ),
      },
    ]);
  });

  it('reports every missing variable together', () => {
    const { problems } = checkEnvContract(
      contract({
        getenvs: [getenv('DATABASE_URL', 7), getenv('ATLAS_TOKEN', 2), getenv('TENANT', 9)],
      }),
      target(),
    );
    expect(problems.map((p) => (p as FileProblem).location.line)).toEqual([7, 2, 9]);
  });
});

describe('what the patch gives the migration container', () => {
  const described = (td: TaskDefinitionJson) => ({ taskDefinition: td, tags: undefined });
  const cases: [string, TaskDefinitionJson, { databaseUrl?: boolean; atlasToken?: boolean }][] = [
    ['a new container, both secrets', taskDefinition(), { databaseUrl: true, atlasToken: true }],
    ['a new container, no secret', taskDefinition(), {}],
    [
      'an existing one with its own variables',
      withMigrationContainer({
        environment: [
          { name: 'DB_HOST', value: 'db' },
          { name: 'EMPTY', value: '' },
          { name: 'DATABASE_URL', value: 'postgres://replaced' },
        ],
        secrets: [{ name: 'TOKEN', valueFrom: SECRET }],
      }),
      { databaseUrl: true },
    ],
  ];

  it.each(cases)('%s: the check sees exactly the variables ECS will set', (_name, td, given) => {
    const secrets = {
      ...(given.databaseUrl ? { databaseUrlSecret: SECRET } : {}),
      ...(given.atlasToken ? { atlasTokenSecret: SECRET.replace('db-url', 'atlas-token') } : {}),
    };
    const expected = [
      ...migrationContainerVariables({
        taskDefinition: td,
        containerName: 'atlas',
        databaseUrlSecret: given.databaseUrl ?? false,
        atlasTokenSecret: given.atlasToken ?? false,
      }).keys(),
    ].sort();
    const sidecar = patchTaskDefinition(described(td), {
      containerName: 'atlas',
      image: IMAGE,
      command: COMMAND,
      images: [],
      ...secrets,
    });
    const runTask = buildMigrationTaskDefinition(described(td), {
      containerName: 'atlas',
      image: IMAGE,
      command: COMMAND,
      ...secrets,
    });
    for (const result of [sidecar, runTask]) {
      const container = result.containerDefinitions.find((c) => c.name === 'atlas')!;
      const set = [
        ...(container.environment ?? []).filter((e) => e.value).map((e) => e.name!),
        ...(container.secrets ?? []).map((s) => s.name),
      ].sort();
      expect(set).toEqual(expected);
    }
  });

  it('ATLAS_TOKEN goes through secrets, never environment, replacing a plain entry', () => {
    const td = withMigrationContainer({ environment: [{ name: 'ATLAS_TOKEN', value: 'aci_x' }] });
    const result = patchTaskDefinition(described(td), {
      containerName: 'atlas',
      image: IMAGE,
      command: COMMAND,
      images: [],
      atlasTokenSecret: SECRET,
    });
    const container = result.containerDefinitions.find((c) => c.name === 'atlas')!;
    expect(container.environment).toEqual([]);
    expect(container.secrets).toEqual([{ name: 'ATLAS_TOKEN', valueFrom: SECRET }]);
  });
});

describe('Atlas Cloud directory', () => {
  const cloud = contract({
    cloudDirectory: { kind: 'atlas-url', name: 'app', at: { file: FILE, line: 12, column: 11 } },
  });

  it('without atlas-token-secret: refused, naming the input', () => {
    const { problems } = checkEnvContract(cloud, target({ databaseUrlSecret: true }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(InputError);
    expect((problems[0] as InputError).input).toBe('atlas-token-secret');
    expect(problems[0]!.message).toMatch(
      /^Input 'atlas-token-secret': is required: env "deploy" reads its migration directory from Atlas Cloud \(atlas:\/\/app, atlas\.hcl:12:11\).*Fix: create a bot token in Atlas Cloud/,
    );
  });

  it('a remote_dir is named as such', () => {
    const { problems } = checkEnvContract(
      contract({
        cloudDirectory: {
          kind: 'remote_dir',
          name: 'demo',
          tag: 'v2',
          at: { file: FILE, line: 10 },
        },
      }),
      target(),
    );
    expect(problems[0]!.message).toContain('a data "remote_dir" (name "demo", tag "v2"');
  });

  it('with atlas-token-secret, or an ATLAS_TOKEN secret the container carries: accepted', () => {
    expect(checkEnvContract(cloud, target({ atlasTokenSecret: true })).problems).toEqual([]);
    const td = withMigrationContainer({ secrets: [{ name: 'ATLAS_TOKEN', valueFrom: SECRET }] });
    expect(checkEnvContract(cloud, target({ taskDefinition: td })).problems).toEqual([]);
  });
});

describe('runtimevars and the task role', () => {
  it('an AWS runtimevar needs a taskRoleArn: refused, naming the task definition', () => {
    const { problems } = checkEnvContract(
      contract({ runtimevars: [runtimevar()] }),
      target({ taskDefinition: taskDefinition({ taskRoleArn: undefined }) }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      `task definition web:3: has no "taskRoleArn", but env "deploy" reads data "runtimevar" "url" (awssecretsmanager://mydb?region=us-east-2, atlas.hcl:2:3) inside the migration container, where Atlas has only the task role's credentials (the execution role only serves ECS's own secrets). Fix: set "taskRoleArn" to a role that ecs-tasks.amazonaws.com can assume and that may secretsmanager:GetSecretValue the secret "mydb" (and kms:Decrypt with its key, if it is a customer managed one)`,
    ]);
  });

  it('a parameter store runtimevar names ssm:GetParameter', () => {
    const { problems } = checkEnvContract(
      contract({
        runtimevars: [
          runtimevar({
            url: 'awsparamstore://prod/db?region=eu-west-1&decoder=string',
            scheme: 'awsparamstore',
            name: 'prod/db',
            region: 'eu-west-1',
          }),
        ],
      }),
      target({ taskDefinition: taskDefinition({ taskRoleArn: '' }) }),
    );
    expect(problems[0]!.message).toMatch(/ssm:GetParameter the parameter "prod\/db"/);
  });

  it('with a task role: accepted; a runtimevar of another kind needs none', () => {
    expect(checkEnvContract(contract({ runtimevars: [runtimevar()] }), target()).problems).toEqual(
      [],
    );
    const constant = runtimevar({ url: 'constant://?val=x', scheme: 'constant', name: '' });
    const td = taskDefinition({ taskRoleArn: undefined });
    expect(
      checkEnvContract(contract({ runtimevars: [constant] }), target({ taskDefinition: td }))
        .problems,
    ).toEqual([]);
  });

  it('a runtimevar whose URL Atlas computes: a warning, and still a task role', () => {
    const found = checkEnvContract(
      contract({
        unresolvedRuntimevars: [
          {
            label: 'master',
            expression: '"awssecretsmanager://${var.name}?region=${var.region}"',
            scheme: 'awssecretsmanager',
            at: { file: FILE, line: 28, column: 3 },
          },
        ],
      }),
      target({ taskDefinition: taskDefinition({ taskRoleArn: undefined }) }),
    );
    expect(found.warnings).toEqual([
      {
        location: { file: FILE, line: 28, column: 3 },
        message: expect.stringMatching(/^data "runtimevar" "master" reads .*not checked$/),
      },
    ]);
    expect(found.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^task definition web:3: has no "taskRoleArn"/),
    ]);
  });
});

describe('what else the env needs in the container', () => {
  it('an env without url is refused: the action never passes --url', () => {
    const { problems } = checkEnvContract(
      contract({ withoutUrl: [{ file: FILE, line: 9, column: 1 }] }),
      target({ databaseUrlSecret: true }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /^atlas\.hcl:9:1: env "deploy" sets no url, so 'atlas migrate apply --env deploy' would stop with 'required flag\(s\) "url" not set'.*Fix: add url = getenv\("DATABASE_URL"\)/,
      ),
    ]);
  });

  it('a program an external_schema runs must be in the image: a warning', () => {
    const found = checkEnvContract(
      contract({
        externalPrograms: [
          {
            type: 'external_schema',
            label: 'drizzle',
            program: ['bunx', 'drizzle-kit', 'export'],
            at: { file: FILE, line: 1, column: 1 },
          },
        ],
      }),
      target(),
    );
    expect(found.problems).toEqual([]);
    expect(found.warnings).toEqual([
      {
        location: { file: FILE, line: 1, column: 1 },
        message: expect.stringMatching(
          /^data "external_schema" "drizzle" runs a program \(bunx drizzle-kit export\) inside the migration container/,
        ),
      },
    ]);
  });
});

describe('a getenv only migrate apply does not use', () => {
  it('for dev only: a warning, not a refusal', () => {
    const found = checkEnvContract(
      contract({
        getenvs: [{ ...getenv('ATLAS_DEV_URL', 3), via: ['dev'] }],
      }),
      target(),
    );
    expect(found.problems).toEqual([]);
    expect(found.warnings.map((w) => w.message)).toEqual([
      `env "deploy" reads getenv("ATLAS_DEV_URL") for \`dev\`, which the migration container will not have: Atlas gets an empty string there, which 'migrate apply' does not use`,
    ]);
  });

  it('for dev and url: refused', () => {
    const { problems } = checkEnvContract(
      contract({ getenvs: [{ ...getenv('HOST', 3), via: ['dev', 'url'] }] }),
      target(),
    );
    expect(problems).toHaveLength(1);
  });
});
