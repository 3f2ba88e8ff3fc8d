// Mode run-task's two task definitions, over every fixture: the migration-only one (one essential
// container, the service's roles, network and size, nothing else) and the service's revision
// without the migration container (everything else exactly as it was).
import { FileProblem, InputError, ValidationErrors } from '../../src/errors';
import {
  buildMigrationTaskDefinition,
  MIGRATION_FAMILY_SUFFIX,
  migrationTaskFamily,
  removeMigrationContainer,
  type MigrationTaskOptions,
} from '../../src/taskdef/migration-task';
import {
  patchTaskDefinition,
  READ_ONLY_FIELDS,
  renderTaskDefinition,
  parseTaskDefinitionFile,
  type ContainerDefinitionJson,
  type DescribedTaskDefinition,
  type JsonObject,
  type RegisterTaskDefinitionJson,
} from '../../src/taskdef';
import {
  asDescribed,
  COMMAND,
  container,
  IMAGE,
  loadFixture,
  options as patchOptions,
  SECRET,
  thrown,
} from './helpers';

const SHARED = [
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'runtimePlatform',
];

function migrationOptions(overrides: Partial<MigrationTaskOptions> = {}): MigrationTaskOptions {
  return { containerName: 'atlas', image: IMAGE, command: COMMAND, ...overrides };
}

/** The bare task definition as it would be registered again: no read-only fields, tags inside. */
function registrable(described: DescribedTaskDefinition): RegisterTaskDefinitionJson {
  const td = structuredClone(described.taskDefinition) as RegisterTaskDefinitionJson;
  for (const field of READ_ONLY_FIELDS) delete td[field];
  if (described.tags && described.tags.length > 0) td.tags = structuredClone(described.tags);
  return td;
}

interface Case {
  file: string;
  family: string;
  /** The container whose awslogs configuration the migration container borrows. */
  logFrom?: string;
  /** No task-level memory: the migration container gets a reservation. */
  needsReservation?: boolean;
  /** No executionRoleArn: a DATABASE_URL secret is impossible. */
  noExecutionRole?: boolean;
  /** Has a migration container already. */
  existing?: boolean;
}

const CASES: Case[] = [
  { file: 'fargate-single-app.json', family: 'shop-api', logFrom: 'web' },
  { file: 'fargate-sidecars.json', family: 'orders', logFrom: 'orders' },
  { file: 'firelens.json', family: 'billing', logFrom: 'log_router' },
  { file: 'existing-atlas.json', family: 'fargate-demo', existing: true },
  { file: 'init-and-log-router.json', family: 'catalog', logFrom: 'log-router' },
  { file: 'arm64-graviton.json', family: 'reports-worker', logFrom: 'worker' },
  {
    file: 'ec2-bridge.json',
    family: 'legacy-portal',
    needsReservation: true,
    noExecutionRole: true,
  },
  { file: 'tagged-describe-output.json', family: 'payments', logFrom: 'payments' },
  { file: 'hand-written-bare-with-tags.json', family: 'blog', logFrom: 'blog' },
];

describe.each(CASES)('buildMigrationTaskDefinition on $file', (c) => {
  const described = loadFixture(c.file);
  const opts = migrationOptions(c.noExecutionRole ? {} : { databaseUrlSecret: SECRET });
  const result = buildMigrationTaskDefinition(described, opts);
  const input = described.taskDefinition;

  it('names its own family after the service', () => {
    expect(result.family).toBe(`${c.family}${MIGRATION_FAMILY_SUFFIX}`);
    expect(result.family).toBe(migrationTaskFamily(input.family));
  });

  it('takes the service task definition’s roles, network, size and platform, and nothing else', () => {
    const expectedKeys = [
      'family',
      'containerDefinitions',
      ...SHARED.filter((key) => input[key] !== undefined),
      ...(described.tags && described.tags.length > 0 ? ['tags'] : []),
    ];
    expect(Object.keys(result)).toEqual(expectedKeys);
    for (const key of SHARED) expect(result[key]).toEqual(input[key]);
    for (const key of [
      'volumes',
      'placementConstraints',
      'ephemeralStorage',
      'pidMode',
      'ipcMode',
      'proxyConfiguration',
      'enableFaultInjection',
      ...READ_ONLY_FIELDS,
    ]) {
      expect(result).not.toHaveProperty(key);
    }
  });

  it('carries the tags over, or leaves the key out', () => {
    if (described.tags && described.tags.length > 0) expect(result.tags).toEqual(described.tags);
    else expect(result).not.toHaveProperty('tags');
  });

  it('holds the migration container only, essential since it is alone', () => {
    expect(result.containerDefinitions.map((x) => x.name)).toEqual(['atlas']);
    const atlas = container(result, 'atlas');
    expect(atlas).toMatchObject({ image: IMAGE, command: COMMAND, essential: true });
    for (const key of ['dependsOn', 'links', 'volumesFrom', 'mountPoints', 'workingDirectory']) {
      expect(atlas).not.toHaveProperty(key);
    }
    const secrets = (atlas.secrets ?? []).filter((s) => s.name === 'DATABASE_URL');
    expect(secrets).toEqual(c.noExecutionRole ? [] : [{ name: 'DATABASE_URL', valueFrom: SECRET }]);
    expect((atlas.environment ?? []).map((e) => e.name)).not.toContain('DATABASE_URL');
    if (c.existing) return;

    const expected: ContainerDefinitionJson = {
      name: 'atlas',
      image: IMAGE,
      essential: true,
      command: COMMAND,
    };
    if (!c.noExecutionRole) expected.secrets = [{ name: 'DATABASE_URL', valueFrom: SECRET }];
    if (c.logFrom) expected.logConfiguration = container(input, c.logFrom).logConfiguration!;
    if (c.needsReservation) expected.memoryReservation = 128;
    expect(atlas).toEqual(expected);
    expect(atlas).not.toHaveProperty('entryPoint');
  });

  it('does not change its input', () => {
    expect(described).toEqual(loadFixture(c.file));
  });

  it('renders to a file the parser reads back unchanged', () => {
    const reread = parseTaskDefinitionFile(renderTaskDefinition(result), 'out/migrate.json');
    expect(reread).toEqual({ ...asDescribed(result), droppedNulls: [] });
  });
});

describe('buildMigrationTaskDefinition with a migration container already there', () => {
  it('starts from it: keeps what its owner set, drops what names the rest of the task', () => {
    const described = loadFixture('existing-atlas.json');
    const result = buildMigrationTaskDefinition(
      described,
      migrationOptions({ databaseUrlSecret: SECRET }),
    );
    const before = container(described.taskDefinition, 'atlas');
    expect(container(result, 'atlas')).toEqual({
      name: 'atlas',
      image: IMAGE,
      cpu: 128,
      memory: 256,
      portMappings: [],
      essential: true,
      entryPoint: ['/atlas'],
      command: COMMAND,
      environment: [{ name: 'ATLAS_NO_UPDATE_NOTIFIER', value: '1' }],
      secrets: [before.secrets![0], { name: 'DATABASE_URL', valueFrom: SECRET }],
      logConfiguration: before.logConfiguration,
    });
  });

  it('drops its dependencies, links and volumes, which stay behind in the service', () => {
    const described = loadFixture('fargate-sidecars.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'arigaio/atlas:latest',
      essential: false,
      dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
      links: ['envoy'],
      volumesFrom: [{ sourceContainer: 'envoy' }],
      mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
    });
    const atlas = container(buildMigrationTaskDefinition(described, migrationOptions()), 'atlas');
    expect(Object.keys(atlas)).toEqual([
      'name',
      'image',
      'essential',
      'command',
      'logConfiguration',
    ]);
    expect(atlas.logConfiguration).toEqual(
      container(described.taskDefinition, 'orders').logConfiguration,
    );
  });

  it('replaces a FireLens log configuration, whose router stays in the service, with awslogs', () => {
    const described = loadFixture('firelens.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'arigaio/atlas:latest',
      essential: false,
      logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'datadog' } },
    });
    const atlas = container(buildMigrationTaskDefinition(described, migrationOptions()), 'atlas');
    expect(atlas.logConfiguration).toEqual(
      container(described.taskDefinition, 'log_router').logConfiguration,
    );
  });
});

describe('buildMigrationTaskDefinition options and errors', () => {
  it('takes a family of the caller’s', () => {
    const result = buildMigrationTaskDefinition(
      loadFixture('fargate-single-app.json'),
      migrationOptions({ family: 'db-migrations' }),
    );
    expect(result.family).toBe('db-migrations');
  });

  it('rejects a family ECS would refuse, or the service’s own', () => {
    const described = loadFixture('fargate-single-app.json');
    const bad = thrown(() =>
      buildMigrationTaskDefinition(described, migrationOptions({ family: 'web migrate' })),
    );
    expect(bad).toBeInstanceOf(InputError);
    expect(bad.message).toContain('not "web migrate"');
    const own = thrown(() =>
      buildMigrationTaskDefinition(described, migrationOptions({ family: 'shop-api' })),
    );
    expect(own.message).toContain("the service's own family");
  });

  it('rejects a service family too long to take the suffix', () => {
    const described = loadFixture('fargate-single-app.json');
    described.taskDefinition.family = 'f'.repeat(250);
    const error = thrown(() => buildMigrationTaskDefinition(described, migrationOptions()));
    expect(error).toBeInstanceOf(FileProblem);
    expect(error.message).toContain('is too long to name the migration task');
  });

  it('rejects a Windows task definition', () => {
    const described = loadFixture('fargate-single-app.json');
    described.taskDefinition.runtimePlatform = {
      operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE',
    };
    const error = thrown(() => buildMigrationTaskDefinition(described, migrationOptions()));
    expect(error.message).toContain('runs WINDOWS_SERVER_2022_CORE containers');
  });

  it('rejects a container-name that is an essential (app) container', () => {
    const error = thrown(() =>
      buildMigrationTaskDefinition(
        loadFixture('fargate-single-app.json'),
        migrationOptions({ containerName: 'web' }),
      ),
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('container-name');
    expect(error.message).toContain('is "web", an essential container');
  });

  it('rejects a shell entryPoint on an existing migration container', () => {
    const described = loadFixture('fargate-single-app.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'arigaio/atlas',
      essential: false,
      entryPoint: ['sh', '-c'],
    });
    const error = thrown(() => buildMigrationTaskDefinition(described, migrationOptions()));
    expect(error.message).toContain('as a shell script');
  });

  it('rejects a DATABASE_URL secret without an execution role, with every other problem', () => {
    const described = loadFixture('ec2-bridge.json');
    described.taskDefinition.runtimePlatform = {
      operatingSystemFamily: 'WINDOWS_SERVER_2019_FULL',
    };
    const error = thrown(() =>
      buildMigrationTaskDefinition(described, migrationOptions({ databaseUrlSecret: SECRET })),
    );
    expect(error).toBeInstanceOf(ValidationErrors);
    const messages = (error as ValidationErrors).errors.map((e) => e.message);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toContain('has no "executionRoleArn"');
    expect(messages[1]).toContain('task definition legacy-portal:305');
  });

  it('names the file a task definition came from', () => {
    const described = loadFixture('ec2-bridge.json');
    const error = thrown(() =>
      buildMigrationTaskDefinition(
        described,
        migrationOptions({ databaseUrlSecret: SECRET, source: 'deploy/taskdef.json' }),
      ),
    );
    expect(error.message).toMatch(/^deploy\/taskdef\.json: has no "executionRoleArn"/);
  });

  it('rejects a task definition of the wrong shape, as the sidecar patch does', () => {
    const described = loadFixture('fargate-single-app.json');
    (described.taskDefinition as JsonObject).containerDefinitions = [];
    const error = thrown(() => buildMigrationTaskDefinition(described, migrationOptions()));
    expect(error.message).toContain('"containerDefinitions" is empty');
  });
});

/**
 * `input` without what removeMigrationContainer may change: read-only fields; the migration
 * container; dependencies on it (and a dependsOn left empty); the images it sets.
 */
function withoutTouched(
  input: DescribedTaskDefinition,
  output: RegisterTaskDefinitionJson,
  images: readonly string[] = [],
): { before: RegisterTaskDefinitionJson; after: RegisterTaskDefinitionJson } {
  const before = registrable(input);
  const after = structuredClone(output);
  before.containerDefinitions = before.containerDefinitions.filter((x) => x.name !== 'atlas');
  for (const x of before.containerDefinitions) {
    if (!x.dependsOn) continue;
    x.dependsOn = x.dependsOn.filter((d) => d.containerName !== 'atlas');
    if (x.dependsOn.length === 0) delete x.dependsOn;
  }
  for (const name of images) {
    delete container(before, name).image;
    delete container(after, name).image;
  }
  return { before, after };
}

describe.each(CASES)('removeMigrationContainer on $file', (c) => {
  const described = loadFixture(c.file);
  const result = removeMigrationContainer(described, 'atlas', []);

  it('leaves every path it does not own exactly as it was, in the same order', () => {
    const { before, after } = withoutTouched(described, result);
    expect(after).toEqual(before);
    expect(Object.keys(result)).toEqual(Object.keys(registrable(described)));
    expect(renderTaskDefinition(after)).toBe(renderTaskDefinition(before));
  });

  it('is the task definition itself when there is no migration container', () => {
    if (c.existing) {
      expect(result.containerDefinitions.map((x) => x.name)).toEqual(['app']);
      expect(container(result, 'app')).not.toHaveProperty('dependsOn');
    } else {
      expect(result).toEqual(registrable(described));
    }
  });

  it('undoes the sidecar patch', () => {
    if (c.existing) return;
    const patched = patchTaskDefinition(
      described,
      patchOptions(c.noExecutionRole ? {} : { databaseUrlSecret: SECRET }),
    );
    const removed = removeMigrationContainer(asDescribed(patched), 'atlas', []);
    expect(removed).toEqual(registrable(described));
    expect(renderTaskDefinition(removed)).toBe(renderTaskDefinition(registrable(described)));
  });

  it('is idempotent and does not change its input', () => {
    expect(removeMigrationContainer(asDescribed(result), 'atlas', [])).toEqual(result);
    expect(described).toEqual(loadFixture(c.file));
  });
});

describe('removeMigrationContainer', () => {
  it('keeps the other dependencies of a container, in their order', () => {
    const patched = patchTaskDefinition(loadFixture('init-and-log-router.json'), patchOptions());
    expect(container(patched, 'catalog').dependsOn).toHaveLength(3);
    const removed = removeMigrationContainer(asDescribed(patched), 'atlas', []);
    expect(container(removed, 'catalog').dependsOn).toEqual([
      { containerName: 'log-router', condition: 'START' },
      { containerName: 'fetch-config', condition: 'COMPLETE' },
    ]);
  });

  it('sets the images the images input gives, and nothing else', () => {
    const described = loadFixture('fargate-sidecars.json');
    const images = [
      { container: 'orders', image: 'example.com/orders:2' },
      { container: 'envoy', image: 'example.com/envoy:2' },
      { container: 'orders', image: 'example.com/orders:2' },
    ];
    const result = removeMigrationContainer(described, 'atlas', images);
    expect(container(result, 'orders').image).toBe('example.com/orders:2');
    expect(container(result, 'envoy').image).toBe('example.com/envoy:2');
    const { before, after } = withoutTouched(described, result, ['orders', 'envoy']);
    expect(after).toEqual(before);
  });

  it('removes a migration container of another name', () => {
    const patched = patchTaskDefinition(
      loadFixture('fargate-single-app.json'),
      patchOptions({ containerName: 'migrate' }),
    );
    const removed = removeMigrationContainer(asDescribed(patched), 'migrate', []);
    expect(removed).toEqual(registrable(loadFixture('fargate-single-app.json')));
  });

  it('rejects images for the migration container, unknown containers and two images for one', () => {
    const error = thrown(() =>
      removeMigrationContainer(loadFixture('existing-atlas.json'), 'atlas', [
        { container: 'atlas', image: 'x' },
        { container: 'api', image: 'y' },
        { container: 'app', image: 'nginx:1' },
        { container: 'app', image: 'nginx:2' },
      ]),
    );
    expect(error).toBeInstanceOf(ValidationErrors);
    const messages = (error as ValidationErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringContaining(`Input 'images': sets the image of "atlas", the migration container`),
      expect.stringContaining(
        `Input 'images': names container "api", which is not in task definition fargate-demo:19 (its containers: "app")`,
      ),
      expect.stringContaining(
        `Input 'images': sets two images for container "app" (nginx:1 and nginx:2)`,
      ),
    ]);
  });

  it('refuses to remove an essential container: that is the app', () => {
    const error = thrown(() =>
      removeMigrationContainer(loadFixture('fargate-sidecars.json'), 'envoy', []),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(`Input 'container-name': is "envoy", an essential container`);
  });

  it('refuses to leave the service without a container, or without an essential one', () => {
    const alone: DescribedTaskDefinition = {
      taskDefinition: {
        family: 'only',
        containerDefinitions: [{ name: 'atlas', image: 'a', essential: false }],
      },
      tags: undefined,
    };
    expect(thrown(() => removeMigrationContainer(alone, 'atlas', [])).message).toContain(
      'holds only the migration container "atlas"',
    );
    const helpers: DescribedTaskDefinition = {
      taskDefinition: {
        family: 'helpers',
        containerDefinitions: [
          { name: 'atlas', image: 'a', essential: false },
          { name: 'init', image: 'b', essential: false },
        ],
      },
      tags: undefined,
    };
    const error = thrown(() => removeMigrationContainer(helpers, 'atlas', []));
    expect(error).toBeInstanceOf(FileProblem);
    expect(error.message).toContain('has no essential container besides');
  });

  it('refuses when another container links to it or mounts its volumes', () => {
    const described = loadFixture('ec2-bridge.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'a',
      essential: false,
    });
    container(described.taskDefinition, 'portal').links = ['memcached', 'atlas:db-migrate'];
    container(described.taskDefinition, 'memcached').volumesFrom = [{ sourceContainer: 'atlas' }];
    const error = thrown(() => removeMigrationContainer(described, 'atlas', []));
    const messages = (error as ValidationErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringContaining(
        'container "portal" names the migration container "atlas" in "links"',
      ),
      expect.stringContaining(
        'container "memcached" names the migration container "atlas" in "volumesFrom"',
      ),
    ]);
  });

  it('checks the result as the sidecar patch does (a dependency on a missing container)', () => {
    const described = loadFixture('fargate-single-app.json');
    container(described.taskDefinition, 'web').dependsOn = [
      { containerName: 'sidecar', condition: 'START' },
    ];
    const error = thrown(() => removeMigrationContainer(described, 'atlas', []));
    expect(error.message).toContain('container "web" depends on "sidecar"');
  });
});
