// The bad-input corpus: every way the inputs, the user's files or the AWS account can be wrong
// that the action must refuse before it pushes or writes anything. Each case changes one thing on
// top of a good deploy (deployInputs() against the seeded FakeAws, on a copy of examples/), so
// the one message it produces is about that thing; `expect` is that message's specific wording,
// so a regression to a generic error fails the case.
import { mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { READ_ONLY_FIELDS } from '../../src/taskdef';
import { CLUSTER, type SeededAws } from '../e2e/deploy-env';

export type Category = 'inputs' | 'files' | 'AWS state';

/** What a case may change before the run. */
export interface CaseSetup {
  /** The workspace: a copy of examples/ (migrations/, atlas.hcl, task-definition.json). */
  readonly dir: string;
  readonly seeded: SeededAws;
}

export interface BadInputCase {
  readonly category: Category;
  readonly name: string;
  /** Inputs over deployInputs(repository); a value of `undefined` removes the input. */
  readonly inputs?: Readonly<Record<string, string | undefined>>;
  /** image-repository from the per-case loopback repository (default: that repository as is). */
  readonly imageRepository?: (repository: string) => string;
  readonly setup?: (setup: CaseSetup) => void;
  /** The message's own wording: names the input or file, and the problem. */
  readonly expect: RegExp;
  /** Text the run must never print (a pasted database URL, say). */
  readonly secret?: string;
  /**
   * The AWS calls the run may make before refusing: none (found from the inputs and the files
   * alone; the default, except for AWS state) or only the pre-flight's Describe* reads.
   */
  readonly awsCalls?: 'none' | 'reads';
  /** Reads the refusal must come from. */
  readonly mustRead?: readonly string[];
}

/** What a case may call on AWS, from its own setting or its category. */
export function allowedAwsCalls(badCase: BadInputCase): 'none' | 'reads' {
  return badCase.awsCalls ?? (badCase.category === 'AWS state' ? 'reads' : 'none');
}

/** A database URL planted in the step's environment of every case: no case may print it. */
export const PLANTED_DATABASE_URL = 'postgres://app:planted-db-password-7f3a@db.internal:5432/app';
export const PLANTED_PASSWORD = 'planted-db-password-7f3a';
/** A URL pasted where the secret's name belongs. */
const PASTED_URL = 'postgres://admin:pasted-url-password-91c2@prod-db.example.com:5432/api';

function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

/** The example task definition (described form), changed by `change`, written to `file`. */
function writeTaskDefinition(
  dir: string,
  file: string,
  change: (td: Record<string, unknown>) => void,
): void {
  const described = JSON.parse(readFileSync(path.join(dir, 'task-definition.json'), 'utf8')) as {
    taskDefinition: Record<string, unknown>;
  };
  change(described.taskDefinition);
  writeFileSync(path.join(dir, file), JSON.stringify(described, null, 2));
}

/** Registers the example task definition, changed, as another family in the FakeAws. */
function registerVariant(
  seeded: SeededAws,
  family: string,
  change: (td: Record<string, unknown>) => void,
): void {
  const current = seeded.aws.ecs.taskDefinitions.find((t) => t.arn === seeded.previousArn)!;
  const body = JSON.parse(JSON.stringify(current.body)) as Record<string, unknown>;
  for (const field of READ_ONLY_FIELDS) delete body[field];
  body.family = family;
  change(body);
  seeded.aws.ecs.addTaskDefinition(body);
}

/** A second service on the example's task definition, in the example's cluster. */
function addService(
  seeded: SeededAws,
  name: string,
  options: {
    status?: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
    deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
    taskDefinition?: string;
  },
): void {
  seeded.aws.ecs.addService({
    cluster: CLUSTER,
    name,
    taskDefinition: options.taskDefinition ?? seeded.previousArn,
    ...(options.status ? { status: options.status } : {}),
    ...(options.deploymentController ? { deploymentController: options.deploymentController } : {}),
  });
}

const MIGRATIONS = 'migrations';
const FIRST_MIGRATION = '20240101120000_create_users.sql';
const LAST_MIGRATION = '20240310170000_add_users_name.sql';

const inputCases: BadInputCase[] = [
  // Booleans.
  ...(
    [
      ['dry-run', 'yes'],
      ['wait-for-service-stability', 'maybe'],
      ['rollback-on-failure', '1'],
      ['force-new-deployment', 'on'],
    ] as const
  ).map(
    ([input, value]): BadInputCase => ({
      category: 'inputs',
      name: `${input}: ${JSON.stringify(value)}`,
      inputs: { [input]: value },
      expect: new RegExp(
        `^Input '${input}': "${value}" is not a boolean\\. Fix: use 'true' or 'false'`,
      ),
    }),
  ),
  // Numbers.
  ...(
    [
      ['wait-timeout-minutes', '-5', /not a number of minutes above 0 and up to 1440/],
      ['wait-timeout-minutes', '0', /not a number of minutes above 0/],
      ['wait-timeout-minutes', 'ten', /not a number of minutes/],
      ['wait-timeout-minutes', '5000', /not a number of minutes above 0 and up to 1440/],
      ['poll-interval-seconds', '0', /not a number of seconds above 0 and up to 300/],
      ['poll-interval-seconds', '-1', /not a number of seconds above 0/],
      ['poll-interval-seconds', 'fast', /not a number of seconds/],
    ] as const
  ).map(
    ([input, value, wording]): BadInputCase => ({
      category: 'inputs',
      name: `${input}: ${JSON.stringify(value)}`,
      inputs: { [input]: value },
      expect: new RegExp(`^Input '${input}': "${value}" is ${wording.source}.*Fix: use e\\.g\\.`),
    }),
  ),
  {
    category: 'inputs',
    name: 'mode: "blue-green"',
    inputs: { mode: 'blue-green' },
    expect: /^Input 'mode': "blue-green" is not a mode\. Fix: use 'sidecar' or 'run-task'/,
  },
  {
    category: 'inputs',
    name: 'atlas-image with an upper-case repository',
    inputs: { 'atlas-image': 'arigaio/Atlas:latest' },
    expect:
      /^Input 'atlas-image': "arigaio\/Atlas:latest" is not an image reference\. Fix: use e\.g\./,
  },
  {
    category: 'inputs',
    name: 'atlas-image with a bad digest',
    inputs: { 'atlas-image': 'arigaio/atlas@sha256:1234' },
    expect: /^Input 'atlas-image': "arigaio\/atlas@sha256:1234" is not an image reference/,
  },
  {
    category: 'inputs',
    name: 'atlas-image: oci-layout:// with no directory',
    inputs: { 'atlas-image': 'oci-layout://' },
    expect: /^Input 'atlas-image': "oci-layout:\/\/" names no directory\. Fix: use oci-layout:/,
  },
  {
    category: 'inputs',
    name: 'atlas-image: an OCI layout that does not exist',
    inputs: { 'atlas-image': 'oci-layout://no-such-layout:latest' },
    expect:
      /^Input 'atlas-image': "oci-layout:\/\/no-such-layout:latest": \S*\/no-such-layout is not an OCI image layout \(it has no oci-layout file\)\. Fix: point it at an OCI image layout/,
  },
  {
    category: 'inputs',
    name: 'image-repository with a tag',
    imageRepository: (repository) => `${repository}:v1`,
    expect:
      /^Input 'image-repository': ".*:v1" is not a repository\. Fix: .*without a tag or digest/,
  },
  {
    category: 'inputs',
    name: 'image-repository with a digest',
    imageRepository: (repository) => `${repository}@sha256:${'a'.repeat(64)}`,
    expect:
      /^Input 'image-repository': ".*@sha256:a+" is not a repository\. Fix: .*without a tag or digest/,
  },
  {
    category: 'inputs',
    name: 'image-repository in upper case',
    imageRepository: (repository) => repository.replace('e2e/', 'E2E/Migrations-'),
    expect: /^Input 'image-repository': ".*E2E\/Migrations-.*" is not a repository/,
  },
  {
    category: 'inputs',
    name: 'image-repository with no registry host',
    imageRepository: () => 'demo-api-migrations',
    expect:
      /^Input 'image-repository': "demo-api-migrations" is not a repository\. Fix: use <account>/,
  },
  {
    category: 'inputs',
    name: 'image-repository with a URL scheme',
    imageRepository: (repository) => `https://${repository}`,
    expect: /^Input 'image-repository': "https:\/\/.*" (is not a repository|has a URL scheme)/,
  },
  {
    category: 'inputs',
    name: 'image-repository missing',
    inputs: { 'image-repository': undefined },
    expect: /^Input 'image-repository': is required\. Fix: set where the migration image is pushed/,
  },
  {
    category: 'inputs',
    name: 'service missing',
    inputs: { service: undefined },
    expect: /^Input 'service': is required\. Fix: set the ECS service to deploy/,
  },
  {
    category: 'inputs',
    name: 'service with a space',
    inputs: { service: 'demo api' },
    expect: /^Input 'service': "demo api" is neither a service name nor a service ARN\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'cluster with a slash',
    inputs: { cluster: 'prod/eu' },
    expect: /^Input 'cluster': "prod\/eu" is neither a cluster name nor a cluster ARN\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'database-url-secret: the database URL itself',
    inputs: { 'database-url-secret': PASTED_URL },
    secret: 'pasted-url-password-91c2',
    expect:
      /^Input 'database-url-secret': looks like a database URL or connection string, not a secret name \(value hidden\)\. Fix: store the URL in Secrets Manager/,
  },
  {
    category: 'inputs',
    name: 'database-url-secret with spaces',
    inputs: { 'database-url-secret': 'prod db url' },
    expect:
      /^Input 'database-url-secret': "prod db url" is neither a Secrets Manager secret name nor an ARN\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'images: a line without =',
    inputs: { images: 'app' },
    expect:
      /^Input 'images': line 1 "app" is not container=image\. Fix: write one container=image pair/,
  },
  {
    category: 'inputs',
    name: 'images: not an image reference',
    inputs: { images: 'app=Not An Image' },
    expect: /^Input 'images': line 1: "Not An Image" is not an image reference\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'images: sets the migration container',
    inputs: { images: 'atlas=arigaio/atlas:latest' },
    expect: /^Input 'images': line 1 sets the migration container "atlas"\. Fix: .*remove the line/,
  },
  {
    category: 'inputs',
    name: 'images: a container not in the task definition',
    // The containers are those of the service's task definition: known after the pre-flight.
    awsCalls: 'reads',
    inputs: { images: 'worker=123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:v2' },
    expect:
      /^Input 'images': names container "worker", which is not in task definition demo-api:1 \(its containers: "app"\)\. Fix: use the container names/,
  },
  {
    category: 'inputs',
    name: 'app-containers: a container not in the task definition',
    awsCalls: 'reads',
    inputs: { 'app-containers': 'app,worker' },
    expect:
      /^Input 'app-containers': names "worker", which is not in task definition demo-api:1 .*Fix: use the container names/,
  },
  {
    category: 'inputs',
    name: 'app-containers: the migration container',
    inputs: { 'app-containers': 'app,atlas' },
    expect: /^Input 'app-containers': lists "atlas", which is the migration container/,
  },
  {
    category: 'inputs',
    name: 'container-name with a space',
    inputs: { 'container-name': 'atlas migrations' },
    expect: /^Input 'container-name': "atlas migrations" is not a valid container name\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'atlas-env with a space',
    inputs: { 'atlas-env': 'prod env' },
    expect:
      /^Input 'atlas-env': "prod env" is not an env name\. Fix: use the label of an env block/,
  },
  {
    category: 'inputs',
    name: 'atlas-env not in atlas.hcl',
    inputs: { 'atlas-env': 'staging' },
    expect:
      /^atlas\.hcl: env "staging" is not defined in atlas\.hcl \(the envs defined are "deploy", "local"\).*Fix: add env "staging"/,
  },
  {
    category: 'inputs',
    name: 'lock-timeout: "10 minutes"',
    inputs: { 'lock-timeout': '10 minutes' },
    expect:
      /^Input 'lock-timeout': "10 minutes" is not a positive duration\. Fix: use a Go duration/,
  },
  {
    category: 'inputs',
    name: 'lock-timeout: "0s"',
    inputs: { 'lock-timeout': '0s' },
    expect: /^Input 'lock-timeout': "0s" is not a positive duration/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --url with the database URL',
    inputs: { 'migrate-args': `--url ${PASTED_URL}` },
    secret: 'pasted-url-password-91c2',
    expect:
      /^Input 'migrate-args': sets --url, which would put the database URL in the task definition in plain text\. Fix: use input 'database-url-secret'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --env',
    inputs: { 'migrate-args': '--env prod' },
    expect:
      /^Input 'migrate-args': sets --env, which the action sets itself\. Fix: use input 'atlas-env'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: shell syntax',
    inputs: { 'migrate-args': '--tx-mode all; rm -rf /' },
    expect: /^Input 'migrate-args': .* contains shell syntax/,
  },
  {
    category: 'inputs',
    name: 'image-tag starting with -',
    inputs: { 'image-tag': '-v1' },
    expect: /^Input 'image-tag': "-v1" is not a valid tag\. Fix: /,
  },
  {
    category: 'inputs',
    name: 'task-definition: a file that does not exist',
    inputs: { 'task-definition': 'deploy/task definition.json' },
    expect:
      /^Input 'task-definition': "deploy\/task definition\.json" is not an existing file, a family, family:revision or an ARN\. Fix: check the path/,
  },
  {
    category: 'inputs',
    name: 'task-definition: a malformed ARN',
    inputs: { 'task-definition': 'arn:aws:ecs:us-east-1:123:task-definition/demo-api' },
    expect: /^Input 'task-definition': ".*" is not a task definition ARN\. Fix: use arn:aws:ecs/,
  },
  {
    category: 'inputs',
    name: 'migrations-dir outside the repository',
    inputs: { 'migrations-dir': '../migrations' },
    expect: /^Input 'migrations-dir': "\.\.\/migrations" is not inside the repository/,
  },
  {
    category: 'inputs',
    name: 'atlas-config: an absolute path elsewhere',
    inputs: { 'atlas-config': '/etc/atlas.hcl' },
    expect: /^Input 'atlas-config': "\/etc\/atlas\.hcl" is not inside the repository/,
  },
];

const fileCases: BadInputCase[] = [
  {
    category: 'files',
    name: 'migrations dir missing',
    setup: ({ dir }) => rmSync(path.join(dir, MIGRATIONS), { recursive: true }),
    expect:
      /^Input 'migrations-dir': 'migrations' does not exist in the workspace\. Fix: set 'migrations-dir' to the directory that holds/,
  },
  {
    category: 'files',
    name: 'migrations dir is a file',
    setup: ({ dir }) => {
      rmSync(path.join(dir, MIGRATIONS), { recursive: true });
      writeFileSync(path.join(dir, MIGRATIONS), '-- not a directory\n');
    },
    expect: /^Input 'migrations-dir': 'migrations' is not a directory\. Fix: /,
  },
  {
    category: 'files',
    name: 'migrations dir without migrations',
    setup: ({ dir }) => {
      for (const file of [FIRST_MIGRATION, '20240215093000_create_orders.sql', LAST_MIGRATION]) {
        unlinkSync(path.join(dir, MIGRATIONS, file));
      }
    },
    expect:
      /^Input 'migrations-dir': migrations holds no \.sql migration files at its top level\. Fix: .*atlas migrate diff/,
  },
  {
    // We run as root, where chmod 000 does not deny a read: a dangling symlink is the unreadable
    // directory instead (ENOENT on open, as a missing mount or a broken checkout would give).
    category: 'files',
    name: 'migrations dir is a dangling symlink',
    setup: ({ dir }) => {
      rmSync(path.join(dir, MIGRATIONS), { recursive: true });
      symlinkSync(path.join(dir, 'gone'), path.join(dir, MIGRATIONS));
    },
    expect: /^Input 'migrations-dir': 'migrations' does not exist in the workspace\. Fix: /,
  },
  {
    // Unreadable as a file (EISDIR): root reads any mode, so a directory stands in for it.
    category: 'files',
    name: 'atlas.sum is a directory',
    setup: ({ dir }) => {
      unlinkSync(path.join(dir, MIGRATIONS, 'atlas.sum'));
      mkdirSync(path.join(dir, MIGRATIONS, 'atlas.sum'));
    },
    expect:
      /^migrations\/atlas\.sum: migrations\/atlas\.sum is missing; Atlas refuses to apply .*Fix: run 'atlas migrate hash'/,
  },
  {
    category: 'files',
    name: 'atlas.hcl is a dangling symlink',
    setup: ({ dir }) => {
      unlinkSync(path.join(dir, 'atlas.hcl'));
      symlinkSync(path.join(dir, 'nowhere.hcl'), path.join(dir, 'atlas.hcl'));
    },
    expect:
      /^Input 'atlas-config': 'atlas\.hcl' does not exist in the workspace\. Fix: set 'atlas-config'/,
  },
  {
    category: 'files',
    name: 'a migration edited after atlas.sum',
    setup: ({ dir }) =>
      edit(path.join(dir, MIGRATIONS, FIRST_MIGRATION), (t) => `${t}\n-- edited\n`),
    expect:
      /^migrations\/atlas\.sum:2: migrations\/20240101120000_create_users\.sql was changed after atlas\.sum was written.*Fix: run 'atlas migrate hash'/,
  },
  {
    category: 'files',
    name: 'a migration added without atlas migrate hash',
    setup: ({ dir }) =>
      writeFileSync(
        path.join(dir, MIGRATIONS, '20240401000000_add_index.sql'),
        'CREATE INDEX users_name ON users (name);\n',
      ),
    expect:
      /^migrations\/atlas\.sum:1: migrations\/20240401000000_add_index\.sql is not listed in atlas\.sum.*Fix: run 'atlas migrate hash'/,
  },
  {
    category: 'files',
    name: 'a migration removed but still in atlas.sum',
    setup: ({ dir }) => unlinkSync(path.join(dir, MIGRATIONS, LAST_MIGRATION)),
    expect:
      /^migrations\/atlas\.sum:4: atlas\.sum lists migrations\/20240310170000_add_users_name\.sql on line 4, but the file is gone\. Fix: run 'atlas migrate hash'/,
  },
  {
    category: 'files',
    name: 'atlas.sum missing',
    setup: ({ dir }) => unlinkSync(path.join(dir, MIGRATIONS, 'atlas.sum')),
    expect:
      /^migrations\/atlas\.sum: migrations\/atlas\.sum is missing; Atlas refuses to apply the 3 migration file\(s\) in migrations without it\. Fix: run 'atlas migrate hash'/,
  },
  {
    category: 'files',
    name: 'atlas.hcl syntax error',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) => t.replace('env "local" {', 'env "local" {{')),
    expect: /^atlas\.hcl:\d+:\d+: invalid HCL: .*Fix: correct the syntax at this position/,
  },
  {
    category: 'files',
    name: 'atlas.hcl without the env block',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) => t.replace('env "deploy"', 'env "prod"')),
    expect:
      /^atlas\.hcl: env "deploy" is not defined in atlas\.hcl \(the envs defined are "prod", "local"\).*Fix: add env "deploy"/,
  },
  {
    category: 'files',
    name: 'atlas.hcl migration.dir is not migrations-dir',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) =>
        t.replace('dir = "file://migrations"', 'dir = "file://db/migrations"'),
      ),
    expect:
      /^atlas\.hcl:\d+:\d+: env "deploy" reads migrations from "file:\/\/db\/migrations", which is db\/migrations .*but input 'migrations-dir' is migrations\. Fix: set input 'migrations-dir' to db\/migrations/,
  },
  {
    category: 'files',
    name: 'task definition file that is not JSON',
    inputs: { 'task-definition': 'td.json' },
    setup: ({ dir }) => writeFileSync(path.join(dir, 'td.json'), 'family: demo-api\n'),
    expect: /^td\.json:1:\d+: is not valid JSON: .*Fix: correct the JSON syntax/,
  },
  {
    category: 'files',
    name: 'task definition file: JSON but not a task definition',
    inputs: { 'task-definition': 'td.json' },
    setup: ({ dir }) =>
      writeFileSync(path.join(dir, 'td.json'), JSON.stringify({ name: 'demo-api', version: 2 })),
    expect:
      /^td\.json:1:1: has neither "family" nor "containerDefinitions", so it is not a task definition \(its keys: "name", "version"\)\. Fix: give the task definition itself/,
  },
  {
    category: 'files',
    name: 'task definition file with no containers',
    inputs: { 'task-definition': 'td.json' },
    setup: ({ dir }) =>
      writeTaskDefinition(dir, 'td.json', (td) => {
        td.containerDefinitions = [];
      }),
    expect: /^td\.json:\d+:\d+: "containerDefinitions" is empty\. Fix: add the containers/,
  },
  {
    // The only essential container is the one the migration container replaces.
    category: 'files',
    name: 'task definition file with no essential container left',
    // Found when the file is patched, which follows the pre-flight (it needs the secret's ARN).
    awsCalls: 'reads',
    inputs: { 'task-definition': 'td.json', 'container-name': 'app' },
    setup: ({ dir }) => writeTaskDefinition(dir, 'td.json', () => undefined),
    expect:
      /^Input 'container-name': is "app", an essential container of td\.json; the migration container must be non-essential.*Fix: choose a name no container uses/,
  },
];

const awsCases: BadInputCase[] = [
  {
    category: 'AWS state',
    name: 'unknown cluster',
    mustRead: ['DescribeServices'],
    inputs: { cluster: 'staging' },
    expect:
      /^ecs:DescribeServices on service demo-api in cluster staging failed: ClusterNotFoundException: Cluster not found\. Fix: check the 'cluster' input/,
  },
  {
    category: 'AWS state',
    name: 'unknown service',
    inputs: { service: 'demo-worker' },
    expect:
      /^Input 'service': no service "demo-worker" in cluster "prod" \(DescribeServices: MISSING\)\. Fix: check the service name/,
  },
  {
    category: 'AWS state',
    name: 'INACTIVE service',
    inputs: { service: 'old-api' },
    setup: ({ seeded }) => addService(seeded, 'old-api', { status: 'INACTIVE' }),
    expect:
      /^Input 'service': service "old-api" is INACTIVE \(deleted\), not ACTIVE\. Fix: recreate/,
  },
  {
    category: 'AWS state',
    name: 'DRAINING service',
    inputs: { service: 'leaving-api' },
    setup: ({ seeded }) => addService(seeded, 'leaving-api', { status: 'DRAINING' }),
    expect: /^Input 'service': service "leaving-api" is DRAINING \(being deleted\), not ACTIVE/,
  },
  {
    category: 'AWS state',
    name: 'CodeDeploy service',
    inputs: { service: 'bluegreen-api' },
    setup: ({ seeded }) =>
      addService(seeded, 'bluegreen-api', { deploymentController: 'CODE_DEPLOY' }),
    expect:
      /^Input 'service': service "bluegreen-api" uses the CODE_DEPLOY deployment controller.*Fix: deploy the patched task definition/,
  },
  {
    category: 'AWS state',
    name: 'EXTERNAL deployment controller',
    inputs: { service: 'external-api' },
    setup: ({ seeded }) => addService(seeded, 'external-api', { deploymentController: 'EXTERNAL' }),
    expect: /^Input 'service': service "external-api" uses the EXTERNAL deployment controller/,
  },
  {
    category: 'AWS state',
    name: 'missing secret',
    mustRead: ['DescribeSecret'],
    inputs: { 'database-url-secret': 'prod/api/db-url' },
    expect:
      /^Input 'database-url-secret': no Secrets Manager secret "prod\/api\/db-url" in this account and region\. Fix: create it/,
  },
  {
    category: 'AWS state',
    name: 'secret scheduled for deletion',
    inputs: { 'database-url-secret': 'prod/api/old-url' },
    setup: ({ seeded }) => seeded.aws.secrets.add('prod/api/old-url', { deleted: true }),
    expect:
      /^Input 'database-url-secret': secret "prod\/api\/old-url" is scheduled for deletion\. Fix: restore it/,
  },
  {
    category: 'AWS state',
    name: 'ECR repository that does not exist',
    mustRead: ['DescribeRepositories'],
    imageRepository: () => '123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-api-migrations',
    expect:
      /^Input 'image-repository': no ECR repository "demo-api-migrations" in account 123456789012, region us-east-1 .*and no repository creation template that creates it on push\. Fix: create it \(aws ecr create-repository --repository-name demo-api-migrations --region us-east-1\)/,
  },
  {
    category: 'AWS state',
    name: 'task definition revision that does not exist',
    mustRead: ['DescribeTaskDefinition'],
    inputs: { 'task-definition': 'demo-api:99' },
    expect:
      /^Input 'task-definition': task definition "demo-api:99" cannot be described .*Fix: check the family, revision or ARN/,
  },
  {
    category: 'AWS state',
    name: 'task definition without an execution role',
    inputs: { 'task-definition': 'demo-api-norole' },
    setup: ({ seeded }) =>
      registerVariant(seeded, 'demo-api-norole', (td) => {
        // ECS refuses container secrets without an execution role; only the migration's is left.
        delete td.executionRoleArn;
        for (const container of td.containerDefinitions as Record<string, unknown>[]) {
          delete container.secrets;
        }
      }),
    expect:
      /^Input 'task-definition': demo-api-norole:\d+ has no executionRoleArn.*Fix: set executionRoleArn/,
  },
  {
    // The service's registered task definition has one essential container, which the migration
    // container (container-name) would replace.
    category: 'AWS state',
    name: 'no essential container left',
    inputs: { service: 'solo-api', 'container-name': 'app' },
    setup: ({ seeded }) => {
      registerVariant(seeded, 'solo-api', () => undefined);
      addService(seeded, 'solo-api', { taskDefinition: 'solo-api:1' });
    },
    expect:
      /^Input 'container-name': is "app", an essential container of task definition solo-api:1; .*Fix: choose a name no container uses/,
  },
];

/** The typed Atlas options (baseline … vars) and what migrate-args may no longer say. */
const atlasOptionCases: BadInputCase[] = [
  {
    category: 'inputs',
    name: 'exec-order: "random"',
    inputs: { 'exec-order': 'random' },
    expect:
      /^Input 'exec-order': "random" is not an execution order: Atlas takes 'linear', 'linear-skip', 'non-linear'\. Fix: use 'linear' \(the default/,
  },
  {
    category: 'inputs',
    name: 'exec-order in the atlas.hcl spelling',
    inputs: { 'exec-order': 'LINEAR_SKIP' },
    expect:
      /^Input 'exec-order': "LINEAR_SKIP" is not an execution order: .*Fix: use 'linear-skip'$/,
  },
  {
    category: 'inputs',
    name: 'tx-mode: "both"',
    inputs: { 'tx-mode': 'both' },
    expect:
      /^Input 'tx-mode': "both" is not a transaction mode: Atlas takes 'file', 'all', 'none'\. Fix: use 'file' \(the default: one transaction per file\), 'all' \(one transaction for all files\) or 'none' \(no transaction\)/,
  },
  {
    category: 'inputs',
    name: 'allow-dirty: "yes"',
    inputs: { 'allow-dirty': 'yes' },
    expect: /^Input 'allow-dirty': "yes" is not a boolean\. Fix: use 'true' or 'false'/,
  },
  {
    category: 'inputs',
    name: 'baseline together with allow-dirty',
    inputs: { baseline: '20240101120000', 'allow-dirty': 'true' },
    expect:
      /^Input 'baseline': input 'baseline' \("20240101120000"\) is set together with input 'allow-dirty' \(true\), which Atlas refuses: baseline and allow-dirty are mutually exclusive\. Fix: keep 'baseline' when .*or 'allow-dirty' when .*; remove the other/,
  },
  {
    category: 'inputs',
    name: 'baseline: a migration file name',
    inputs: { baseline: FIRST_MIGRATION },
    expect:
      /^Input 'baseline': "20240101120000_create_users\.sql" is a file name, not a version: Atlas's version of a migration file is its name up to the first _ .*Fix: use "20240101120000"/,
  },
  {
    category: 'inputs',
    name: 'to-version: a path',
    inputs: { 'to-version': `${MIGRATIONS}/${LAST_MIGRATION}` },
    expect:
      /^Input 'to-version': "migrations\/20240310170000_add_users_name\.sql" is a path, not a version: .*Fix: use "20240310170000"/,
  },
  {
    category: 'inputs',
    name: 'revisions-schema on two lines',
    inputs: { 'revisions-schema': 'atlas\nrevisions' },
    expect:
      /^Input 'revisions-schema': "atlas\\nrevisions" holds a line break or another control character\. Fix: give one schema name/,
  },
  {
    category: 'inputs',
    name: 'vars: a line without =',
    inputs: { vars: 'region=eu-west-1\ntier' },
    expect:
      /^Input 'vars': line 2 "tier" is not name=value\. Fix: write one name=value pair per line/,
  },
  {
    category: 'inputs',
    name: 'vars: a name that is no HCL identifier',
    inputs: { vars: '1st-region=eu-west-1' },
    expect:
      /^Input 'vars': line 1: "1st-region" is not a variable name\. Fix: use the label of a variable block of atlas-config/,
  },
  {
    category: 'inputs',
    name: 'vars: a name given twice',
    inputs: { vars: 'region=eu-west-1\n\nregion=us-east-1' },
    expect:
      /^Input 'vars': line 3 sets "region" a second time \(first on line 1\)\. Fix: give each variable once/,
  },
  {
    category: 'inputs',
    name: 'vars: a database URL as a value',
    inputs: { vars: `url=${PASTED_URL}` },
    secret: 'pasted-url-password-91c2',
    expect:
      /^Input 'vars': line 1: the value of "url" holds a password \(value hidden\), which would be in the task definition in plain text\. Fix: pass the database URL through input 'database-url-secret'/,
  },
  {
    // Found in atlas.hcl, which is read before any AWS call.
    category: 'inputs',
    name: 'vars: a name atlas.hcl declares no variable for',
    inputs: { vars: 'region=eu-west-1' },
    expect:
      /^Input 'vars': line 1 sets "region", but atlas\.hcl declares no variable "region" \(it declares no variable\), and Atlas ignores a value no variable block takes\. Fix: declare it in atlas\.hcl \(variable "region" \{ type = string \}\), or remove the line/,
  },
  {
    category: 'inputs',
    name: 'vars: a typo of a declared variable',
    inputs: { vars: 'teir=gold' },
    setup: ({ dir }) =>
      edit(
        path.join(dir, 'atlas.hcl'),
        (t) => `variable "tier" {\n  type    = string\n  default = "free"\n}\n\n${t}`,
      ),
    expect:
      /^Input 'vars': line 1 sets "teir", but atlas\.hcl declares no variable "teir" \(its variables: "tier" on line 1\).*Fix: use "tier" \(declared on line 1\)/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --format',
    inputs: { 'migrate-args': `--format '{{ .Applied }}'` },
    expect:
      /^Input 'migrate-args': sets --format, which the action sets itself: it always passes --format '\{\{ json \. \}\}' and reads Atlas's JSON report from the log\. Fix: remove --format from migrate-args/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --log',
    inputs: { 'migrate-args': '--log={{.}}' },
    expect:
      /^Input 'migrate-args': sets --log, which Atlas refuses together with the --format '\{\{ json \. \}\}' the action passes\. Fix: remove --log/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --dry-run',
    inputs: { 'migrate-args': '--dry-run' },
    expect:
      /^Input 'migrate-args': sets --dry-run, which the action sets itself in mode 'plan'\. Fix: remove --dry-run from migrate-args and set input 'mode' to 'plan'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --tx-mode next to input tx-mode',
    inputs: { 'tx-mode': 'none', 'migrate-args': '--tx-mode all' },
    expect:
      /^Input 'migrate-args': sets --tx-mode, and input 'tx-mode' sets it too\. Fix: remove --tx-mode from migrate-args and keep input 'tx-mode'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --baseline= next to input baseline',
    inputs: { baseline: '20240101120000', 'migrate-args': '--baseline=20240215093000' },
    expect:
      /^Input 'migrate-args': sets --baseline, and input 'baseline' sets it too\. Fix: remove --baseline from migrate-args and keep input 'baseline'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: --var for a name input vars sets',
    inputs: { vars: 'region=eu-west-1', 'migrate-args': '--var region=us-east-1' },
    expect:
      /^Input 'migrate-args': sets --var region, and input 'vars' sets "region" too\. Fix: remove --var region from migrate-args and keep the line in input 'vars'/,
  },
  {
    category: 'inputs',
    name: 'migrate-args: a flag given twice',
    inputs: { 'migrate-args': '--exec-order linear --exec-order=non-linear' },
    expect:
      /^Input 'migrate-args': sets --exec-order twice\. Fix: give it once: Atlas keeps only the last value/,
  },
];

/** The seed guide's runtimevar recipe: the URL read from Secrets Manager in us-east-2. */
const RUNTIMEVAR_HCL = `data "runtimevar" "url" {
  url = "awssecretsmanager://mydb?region=us-east-2"
}

env "deploy" {
  url = "\${data.runtimevar.url}"
  migration {
    dir = "file://migrations"
  }
}
`;

/** An Atlas Cloud token pasted where its secret's name belongs. */
const PASTED_TOKEN = 'aci_pasted0token0c0ffee0123456789abcdef';

/** What atlas.hcl's env reads inside the migration container (issue 11). */
const envContractCases: BadInputCase[] = [
  {
    // Found against the task definition, which the pre-flight reads.
    category: 'files',
    name: 'atlas.hcl reads getenv("DATABASE_URL") with no database-url-secret',
    awsCalls: 'reads',
    inputs: { 'database-url-secret': undefined },
    expect:
      /^atlas\.hcl:10:\d+: env "deploy" reads getenv\("DATABASE_URL"\), but the migration container will not have it, so Atlas would get an empty string\. Fix: set input 'database-url-secret'/,
  },
  {
    category: 'files',
    name: 'atlas.hcl reads a getenv the migration container does not have',
    awsCalls: 'reads',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) =>
        t.replace('url = getenv("DATABASE_URL")', 'url = "postgres://${getenv("DB_USER")}@db/app"'),
      ),
    expect:
      /^atlas\.hcl:10:\d+: env "deploy" reads getenv\("DB_USER"\).*Fix: add a container "atlas" \(the migration container, "essential": false\) with DB_USER in its "environment"/,
  },
  {
    category: 'files',
    name: 'atlas.hcl env without url',
    awsCalls: 'reads',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) => t.replace('  url = getenv("DATABASE_URL")\n', '')),
    expect: /^atlas\.hcl:9:\d+: env "deploy" sets no url.*Fix: add url = getenv\("DATABASE_URL"\)/,
  },
  {
    category: 'inputs',
    name: 'atlas-token-secret: the token itself',
    inputs: { 'atlas-token-secret': PASTED_TOKEN },
    secret: PASTED_TOKEN,
    expect:
      /^Input 'atlas-token-secret': looks like an Atlas Cloud token, not a secret name \(value hidden\)\. Fix: store the token in Secrets Manager/,
  },
  {
    category: 'inputs',
    name: 'atlas-token-secret missing for an Atlas Cloud directory',
    awsCalls: 'reads',
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) =>
        t.replace('dir = "file://migrations"', 'dir = "atlas://app"'),
      ),
    expect:
      /^Input 'atlas-token-secret': is required: env "deploy" reads its migration directory from Atlas Cloud \(atlas:\/\/app, atlas\.hcl:\d+:\d+\).*Fix: create a bot token in Atlas Cloud/,
  },
  {
    category: 'AWS state',
    name: 'atlas-token-secret that does not exist',
    mustRead: ['DescribeSecret'],
    inputs: { 'atlas-token-secret': 'prod/atlas-token' },
    setup: ({ dir }) =>
      edit(path.join(dir, 'atlas.hcl'), (t) =>
        t.replace('dir = "file://migrations"', 'dir = "atlas://app"'),
      ),
    expect:
      /^Input 'atlas-token-secret': no Secrets Manager secret "prod\/atlas-token" in this account and region\. Fix: create it/,
  },
  {
    // The secret exists, but in the action's region, not in the one the URL names.
    category: 'AWS state',
    name: 'runtimevar secret not in its region',
    mustRead: ['DescribeSecret'],
    inputs: { 'database-url-secret': undefined },
    setup: ({ dir, seeded }) => {
      writeFileSync(path.join(dir, 'atlas.hcl'), RUNTIMEVAR_HCL);
      seeded.aws.secrets.add('mydb');
    },
    expect:
      /^atlas\.hcl:2:\d+: data "runtimevar" "url" reads Secrets Manager secret "mydb" in us-east-2, which does not exist there.*Fix: create it \(aws secretsmanager create-secret --name mydb .*--region us-east-2\)/,
  },
  {
    category: 'AWS state',
    name: 'runtimevar parameter that does not exist',
    mustRead: ['GetParameter'],
    inputs: { 'database-url-secret': undefined },
    setup: ({ dir }) =>
      writeFileSync(
        path.join(dir, 'atlas.hcl'),
        RUNTIMEVAR_HCL.replace('awssecretsmanager://mydb', 'awsparamstore:///prod/db-url'),
      ),
    expect:
      /^atlas\.hcl:2:\d+: data "runtimevar" "url" reads SSM parameter "\/prod\/db-url" in us-east-2, which does not exist there \(ssm:GetParameter: ParameterNotFound\).*Fix: create it \(aws ssm put-parameter/,
  },
  {
    category: 'AWS state',
    name: 'runtimevar with a task definition without taskRoleArn',
    inputs: { 'database-url-secret': undefined, 'task-definition': 'demo-api-notaskrole' },
    setup: ({ dir, seeded }) => {
      writeFileSync(path.join(dir, 'atlas.hcl'), RUNTIMEVAR_HCL);
      seeded.aws.secrets.add('mydb', { region: 'us-east-2' });
      registerVariant(seeded, 'demo-api-notaskrole', (td) => {
        delete td.taskRoleArn;
      });
    },
    expect:
      /^task definition demo-api-notaskrole:\d+: has no "taskRoleArn", but env "deploy" reads data "runtimevar" "url".*Fix: set "taskRoleArn" to a role/,
  },
];

export const BAD_INPUT_CASES: readonly BadInputCase[] = [
  ...inputCases,
  ...fileCases,
  ...awsCases,
  ...atlasOptionCases,
  ...envContractCases,
];
