import { InputError, ValidationErrors } from '../../src/errors';
import { parseInputs, type RawInputs } from '../../src/inputs/parse';

const workspace = '/repo';
const files = new Set([
  '/repo/td.json',
  '/repo/deploy/task-def',
  '/tmp/rendered.json',
  // The marker files of the OCI image layouts the cases name.
  '/repo/examples/base-image/oci-layout',
  '/abs/base/oci-layout',
  '/repo/base/oci-layout',
]);
const ctx = { workspace, isFile: (p: string) => files.has(p) };
const base: RawInputs = {
  service: 'api',
  'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/api-migrations',
};

function parse(raw: RawInputs) {
  return parseInputs({ ...base, ...raw }, ctx);
}

function errorsOf(raw: RawInputs): InputError[] {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationErrors);
    return (error as ValidationErrors).errors as InputError[];
  }
  throw new Error('expected parseInputs to fail');
}

describe('parseInputs defaults', () => {
  it('applies the documented defaults to empty inputs', () => {
    const s = parse({});
    expect(s).toMatchObject({
      cluster: 'default',
      service: 'api',
      taskDefinition: { kind: 'service' },
      migrationsDir: 'migrations',
      atlasConfig: 'atlas.hcl',
      atlasEnv: 'deploy',
      atlasImage: { kind: 'registry', reference: 'arigaio/atlas:latest' },
      containerName: 'atlas',
      lockTimeout: '10m',
      migrateArgs: [],
      allowDirty: false,
      vars: [],
      waitForServiceStability: true,
      waitTimeoutMinutes: 30,
      pollIntervalSeconds: 15,
      rollbackOnFailure: true,
      forceNewDeployment: false,
      images: [],
      mode: 'sidecar',
      dryRun: false,
    });
    expect(s.appContainers).toBeUndefined();
    expect(s.databaseUrlSecret).toBeUndefined();
    for (const field of ['baseline', 'execOrder', 'txMode', 'revisionsSchema', 'toVersion']) {
      expect(s).toHaveProperty(field, undefined);
    }
    expect(Object.isFrozen(s)).toBe(true);
  });
});

describe('parseInputs accepts valid values', () => {
  it.each<[string, RawInputs, Record<string, unknown>]>([
    [
      'cluster ARN',
      { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
      { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' },
    ],
    [
      'service ARN',
      { service: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api' },
      { service: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api' },
    ],
    [
      'task definition file',
      { 'task-definition': 'td.json' },
      { taskDefinition: { kind: 'file', path: '/repo/td.json' } },
    ],
    [
      'file without extension',
      { 'task-definition': './deploy/task-def' },
      { taskDefinition: { kind: 'file', path: '/repo/deploy/task-def' } },
    ],
    [
      'absolute file outside the repo',
      { 'task-definition': '/tmp/rendered.json' },
      { taskDefinition: { kind: 'file', path: '/tmp/rendered.json' } },
    ],
    ['family', { 'task-definition': 'api' }, { taskDefinition: { kind: 'family', family: 'api' } }],
    [
      'family:revision',
      { 'task-definition': 'api:12' },
      { taskDefinition: { kind: 'family-revision', family: 'api', revision: 12 } },
    ],
    [
      'task definition ARN',
      { 'task-definition': 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3' },
      {
        taskDefinition: {
          kind: 'arn',
          arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
        },
      },
    ],
    [
      'nested paths normalised',
      { 'migrations-dir': './db//migrations/', 'atlas-config': 'db/atlas.hcl' },
      { migrationsDir: 'db/migrations', atlasConfig: 'db/atlas.hcl' },
    ],
    [
      'oci layout base with tag',
      { 'atlas-image': 'oci-layout://examples/base-image:latest' },
      { atlasImage: { kind: 'oci-layout', path: '/repo/examples/base-image', tag: 'latest' } },
    ],
    [
      'oci layout base without tag',
      { 'atlas-image': 'oci-layout:///abs/base' },
      { atlasImage: { kind: 'oci-layout', path: '/abs/base' } },
    ],
    [
      'ECR base by digest',
      {
        'atlas-image': `123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/arigaio/atlas@sha256:${'a'.repeat(64)}`,
      },
      {},
    ],
    [
      'loopback repository with port',
      { 'image-repository': '127.0.0.1:5000/team/migrations' },
      { imageRepository: '127.0.0.1:5000/team/migrations' },
    ],
    ['image tag', { 'image-tag': 'v1.2.3' }, { imageTag: 'v1.2.3' }],
    [
      'app containers with spaces',
      { 'app-containers': 'web, worker ,cron' },
      { appContainers: ['web', 'worker', 'cron'] },
    ],
    ['secret name', { 'database-url-secret': 'prod/db-url' }, { databaseUrlSecret: 'prod/db-url' }],
    [
      'secret ARN with json key',
      {
        'database-url-secret':
          'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:url::',
      },
      {},
    ],
    ['compound lock timeout', { 'lock-timeout': '1h30m' }, { lockTimeout: '1h30m' }],
    [
      'quoted migrate args',
      { 'migrate-args': `--tx-mode all --baseline "2024 01"` },
      { migrateArgs: ['--tx-mode', 'all', '--baseline', '2024 01'] },
    ],
    [
      'YAML booleans',
      { 'dry-run': 'True', 'task-definition': 'td.json', 'rollback-on-failure': 'FALSE' },
      { dryRun: true, rollbackOnFailure: false },
    ],
    [
      'images lines',
      {
        images:
          'web=nginx:1.27\n\n# comment\nworker = ghcr.io/acme/worker@sha256:' + 'b'.repeat(64),
      },
      {
        images: [
          { container: 'web', image: 'nginx:1.27' },
          { container: 'worker', image: 'ghcr.io/acme/worker@sha256:' + 'b'.repeat(64) },
        ],
      },
    ],
    ['run-task mode', { mode: 'run-task' }, { mode: 'run-task' }],
    ['plan mode', { mode: 'plan' }, { mode: 'plan' }],
    ['wait timeout', { 'wait-timeout-minutes': '45' }, { waitTimeoutMinutes: 45 }],
    ['fractional wait timeout', { 'wait-timeout-minutes': '0.5' }, { waitTimeoutMinutes: 0.5 }],
    ['poll interval', { 'poll-interval-seconds': '0.5' }, { pollIntervalSeconds: 0.5 }],
    [
      'dry run without repository or service',
      { 'dry-run': 'true', 'task-definition': 'td.json', service: '', 'image-repository': '' },
      { dryRun: true, service: undefined, imageRepository: undefined },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(parse(raw)).toMatchObject(expected);
  });
});

describe('parseInputs rejects bad values with the input, the value and the fix', () => {
  it.each<[string, RawInputs, string, RegExp]>([
    [
      'cluster with spaces',
      { cluster: 'my cluster' },
      'cluster',
      /"my cluster".*Fix: use the cluster name/,
    ],
    [
      'cluster ARN of another service',
      { cluster: 'arn:aws:s3:::bucket' },
      'cluster',
      /cluster ARN/,
    ],
    ['service with slash', { service: 'a/b' }, 'service', /"a\/b"/],
    ['missing service', { service: '' }, 'service', /is required/],
    ['missing repository', { 'image-repository': '' }, 'image-repository', /is required/],
    [
      'repository with tag',
      { 'image-repository': 'registry.example.com/app:v1' },
      'image-repository',
      /without a tag/,
    ],
    [
      'repository with digest',
      { 'image-repository': `registry.example.com/app@sha256:${'a'.repeat(64)}` },
      'image-repository',
      /not a repository/,
    ],
    [
      'repository without host',
      { 'image-repository': 'migrations' },
      'image-repository',
      /not a repository/,
    ],
    [
      'repository with uppercase path',
      { 'image-repository': 'registry.example.com/App' },
      'image-repository',
      /not a repository/,
    ],
    [
      'repository with scheme',
      { 'image-repository': 'https://registry.example.com/app' },
      'image-repository',
      /not a repository|URL scheme/,
    ],
    ['bad tag', { 'image-tag': '-v1' }, 'image-tag', /not a valid tag/],
    [
      'bad base reference',
      { 'atlas-image': 'Arigaio/Atlas::latest' },
      'atlas-image',
      /not an image reference/,
    ],
    [
      'oci layout with no dir',
      { 'atlas-image': 'oci-layout://' },
      'atlas-image',
      /names no directory/,
    ],
    [
      'oci layout dir that is not a layout',
      { 'atlas-image': 'oci-layout://no-layout:latest' },
      'atlas-image',
      /"oci-layout:\/\/no-layout:latest": \/repo\/no-layout is not an OCI image layout \(it has no oci-layout file\)/,
    ],
    [
      'oci layout with bad tag',
      { 'atlas-image': 'oci-layout://base:-x' },
      'atlas-image',
      /not a valid tag/,
    ],
    [
      'task definition bad ARN',
      { 'task-definition': 'arn:aws:ecs:us-east-1:123456789012:service/x' },
      'task-definition',
      /not a task definition ARN/,
    ],
    [
      'task definition missing file',
      { 'task-definition': 'deploy/missing.json' },
      'task-definition',
      /not an existing file/,
    ],
    [
      'task definition revision zero',
      { 'task-definition': 'api:0' },
      'task-definition',
      /not an existing file/,
    ],
    [
      'migrations dir outside repo',
      { 'migrations-dir': '../other' },
      'migrations-dir',
      /not inside the repository/,
    ],
    [
      'atlas config absolute elsewhere',
      { 'atlas-config': '/etc/atlas.hcl' },
      'atlas-config',
      /not inside the repository/,
    ],
    [
      'atlas config is the repo root',
      { 'atlas-config': '.' },
      'atlas-config',
      /not inside the repository/,
    ],
    ['atlas env with quote', { 'atlas-env': 'de"ploy' }, 'atlas-env', /not an env name/],
    [
      'container name with dot',
      { 'container-name': 'atlas.migrate' },
      'container-name',
      /not a valid container name/,
    ],
    [
      'app containers include migration container',
      { 'app-containers': 'web,atlas' },
      'app-containers',
      /migration container/,
    ],
    ['app containers duplicate', { 'app-containers': 'web,web' }, 'app-containers', /twice/],
    [
      'app containers only commas',
      { 'app-containers': ' , ' },
      'app-containers',
      /lists no container/,
    ],
    [
      'app containers bad name',
      { 'app-containers': 'web app' },
      'app-containers',
      /not a valid container name/,
    ],
    [
      'secret with spaces',
      { 'database-url-secret': 'my secret' },
      'database-url-secret',
      /neither a Secrets Manager secret name nor an ARN/,
    ],
    [
      'secret malformed ARN',
      { 'database-url-secret': 'arn:aws:secretsmanager:us-east-1:123:secret:x' },
      'database-url-secret',
      /neither/,
    ],
    [
      'lock timeout without unit',
      { 'lock-timeout': '600' },
      'lock-timeout',
      /not a positive duration/,
    ],
    ['lock timeout zero', { 'lock-timeout': '0s' }, 'lock-timeout', /not a positive duration/],
    ['lock timeout negative', { 'lock-timeout': '-5m' }, 'lock-timeout', /not a positive duration/],
    [
      'migrate args with pipe',
      { 'migrate-args': '--dry-run | tee x' },
      'migrate-args',
      /shell syntax/,
    ],
    ['migrate args with --env', { 'migrate-args': '--env=prod' }, 'migrate-args', /atlas-env/],
    [
      'migrate args with --lock-timeout',
      { 'migrate-args': '--lock-timeout 5s' },
      'migrate-args',
      /input 'lock-timeout'/,
    ],
    [
      'migrate args with --config',
      { 'migrate-args': '--config file://x.hcl' },
      'migrate-args',
      /atlas-config/,
    ],
    [
      'migrate args with --url',
      { 'migrate-args': '--url postgres://u:p@h/db' },
      'migrate-args',
      /plain text/,
    ],
    [
      'boolean yes',
      { 'wait-for-service-stability': 'yes' },
      'wait-for-service-stability',
      /"yes" is not a boolean/,
    ],
    ['boolean 1', { 'force-new-deployment': '1' }, 'force-new-deployment', /not a boolean/],
    ['boolean typo', { 'rollback-on-failure': 'ture' }, 'rollback-on-failure', /not a boolean/],
    ['dry-run typo', { 'dry-run': 'tru' }, 'dry-run', /not a boolean/],
    [
      'timeout words',
      { 'wait-timeout-minutes': 'ten' },
      'wait-timeout-minutes',
      /"ten" is not a number of minutes/,
    ],
    ['timeout zero', { 'wait-timeout-minutes': '0' }, 'wait-timeout-minutes', /above 0/],
    ['timeout negative', { 'wait-timeout-minutes': '-5' }, 'wait-timeout-minutes', /above 0/],
    [
      'timeout too large',
      { 'wait-timeout-minutes': '100000' },
      'wait-timeout-minutes',
      /up to 1440/,
    ],
    ['poll interval zero', { 'poll-interval-seconds': '0' }, 'poll-interval-seconds', /above 0/],
    [
      'poll interval words',
      { 'poll-interval-seconds': 'often' },
      'poll-interval-seconds',
      /"often"/,
    ],
    [
      'poll interval too long',
      { 'poll-interval-seconds': '301' },
      'poll-interval-seconds',
      /up to 300/,
    ],
    ['images without =', { images: 'web nginx' }, 'images', /line 1 .* is not container=image/],
    [
      'images bad image',
      { images: 'web=Nginx::1' },
      'images',
      /line 1: "Nginx::1" is not an image reference/,
    ],
    [
      'images migration container',
      { images: 'atlas=arigaio/atlas' },
      'images',
      /migration container/,
    ],
    [
      'images duplicate',
      { images: 'web=nginx\nweb=nginx:2' },
      'images',
      /line 2 sets "web" a second time/,
    ],
    ['unknown mode', { mode: 'job' }, 'mode', /"job" is not a mode/],
    ['dry run needs a file', { 'dry-run': 'true' }, 'task-definition', /required in a dry run/],
    [
      'dry run with a family',
      { 'dry-run': 'true', 'task-definition': 'api:3' },
      'task-definition',
      /no AWS call/,
    ],
  ])('%s', (_name, raw, input, message) => {
    const errors = errorsOf(raw);
    const error = errors.find((e) => e.input === input);
    expect(error).toBeDefined();
    expect(error!.message).toMatch(message);
    expect(error!.message).toMatch(new RegExp(`^Input '${input}': .*\\. Fix: .+`));
  });

  it('never echoes a database URL given in place of a secret name', () => {
    const [error] = errorsOf({ 'database-url-secret': 'postgres://admin:hunter2@db:5432/app' });
    expect(error!.input).toBe('database-url-secret');
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message).toMatch(/value hidden/);
  });

  it.each([
    ['a JDBC URL', 'jdbc:postgresql://db:5432/app?user=app&password=hunter2'],
    ['a key=value DSN', 'host=db user=app password=hunter2 dbname=app'],
    ["Go's MySQL DSN", 'app:hunter2@tcp(db:3306)/app'],
    ['user:password@host without a scheme', 'app:hunter2@db:5432/app'],
  ])('never echoes %s given in place of a secret name', (_label, value) => {
    const [error] = errorsOf({ 'database-url-secret': value });
    expect(error!.input).toBe('database-url-secret');
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message).toMatch(/value hidden/);
  });

  it('still shows a mistyped secret name, which is no secret', () => {
    const [error] = errorsOf({ 'database-url-secret': 'prod db url' });
    expect(error!.message).toContain('"prod db url"');
  });

  it('reports every problem at once', () => {
    const errors = errorsOf({
      cluster: 'a b',
      'lock-timeout': 'soon',
      mode: 'x',
      'dry-run': 'maybe',
    });
    expect(errors.map((e) => e.input).sort()).toEqual([
      'cluster',
      'dry-run',
      'lock-timeout',
      'mode',
    ]);
  });
});

describe('several services', () => {
  it('takes one name or ARN per line, blank lines and comments ignored, in order', () => {
    const s = parse({
      service:
        'api\n\n  worker  \n# the cron one\narn:aws:ecs:us-east-1:123456789012:service/prod/cron\n',
    });
    expect(s.services).toEqual([
      'api',
      'worker',
      'arn:aws:ecs:us-east-1:123456789012:service/prod/cron',
    ]);
    expect(s.service).toBe('api');
  });

  it('keeps one service as a list of one', () => {
    expect(parse({}).services).toEqual(['api']);
  });

  it('names each bad line, and a service listed twice (by name or by ARN)', () => {
    const errors = errorsOf({
      service: 'api\nno/such\napi\narn:aws:ecs:us-east-1:123456789012:service/prod/api',
    });
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^Input 'service': "no\/such" is neither a service name nor a service ARN/,
      ),
      'Input \'service\': names "api" twice. Fix: list each service once',
      'Input \'service\': names "api" twice. Fix: list each service once',
    ]);
  });

  it('refuses a task-definition for several services: each is patched from its own revision', () => {
    const errors = errorsOf({ service: 'api\nworker', 'task-definition': 'td.json' });
    expect(errors.map((e) => e.input)).toEqual(['task-definition']);
    expect(errors[0]!.message).toContain('"td.json" is given for 2 services');
  });
});
