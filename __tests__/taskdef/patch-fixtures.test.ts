// Every fixture through the same invariants: untouched paths are untouched, the migration container
// and the dependencies are right, nothing read-only survives, and patching again changes nothing.
import {
  patchTaskDefinition,
  READ_ONLY_FIELDS,
  renderTaskDefinition,
  parseTaskDefinitionFile,
  type ContainerDefinitionJson,
} from '../../src/taskdef';
import {
  asDescribed,
  COMMAND,
  container,
  IMAGE,
  loadFixture,
  options,
  SECRET,
  withoutTouched,
} from './helpers';

interface Case {
  file: string;
  /** The default app containers, in task definition order. */
  apps: string[];
  /** The container whose awslogs configuration a new migration container borrows. */
  logFrom?: string;
  /** The task has no task-level memory, so the migration container needs a reservation. */
  needsReservation?: boolean;
  /** The file has a migration container already. */
  existing?: boolean;
  /** No executionRoleArn: a DATABASE_URL secret is impossible. */
  noExecutionRole?: boolean;
  tags?: number;
}

const CASES: Case[] = [
  { file: 'fargate-single-app.json', apps: ['web'], logFrom: 'web' },
  {
    file: 'fargate-sidecars.json',
    apps: ['orders', 'datadog-agent', 'envoy'],
    logFrom: 'orders',
  },
  { file: 'firelens.json', apps: ['log_router', 'billing'], logFrom: 'log_router' },
  { file: 'existing-atlas.json', apps: ['app'], existing: true },
  { file: 'init-and-log-router.json', apps: ['log-router', 'catalog'], logFrom: 'log-router' },
  { file: 'arm64-graviton.json', apps: ['worker'], logFrom: 'worker' },
  {
    file: 'ec2-bridge.json',
    apps: ['portal', 'memcached'],
    needsReservation: true,
    noExecutionRole: true,
  },
  { file: 'tagged-describe-output.json', apps: ['payments'], logFrom: 'payments', tags: 3 },
  { file: 'hand-written-bare-with-tags.json', apps: ['blog'], logFrom: 'blog', tags: 1 },
];

describe.each(CASES)('patchTaskDefinition on $file', (c) => {
  const described = loadFixture(c.file);
  const opts = options(c.noExecutionRole ? {} : { databaseUrlSecret: SECRET });
  const result = patchTaskDefinition(described, opts);
  const input = described.taskDefinition;

  it('leaves every path it does not own exactly as it was', () => {
    const { before, after } = withoutTouched(input, result, {
      migration: 'atlas',
      apps: c.apps,
      images: [],
    });
    expect(after).toEqual(before);
  });

  it('keeps the order of fields and containers', () => {
    const readOnly: readonly string[] = READ_ONLY_FIELDS;
    const expectedKeys = Object.keys(input).filter((key) => !readOnly.includes(key));
    if (c.tags) expectedKeys.push('tags');
    expect(Object.keys(result)).toEqual(expectedKeys);

    const names = input.containerDefinitions.map((x) => x.name);
    expect(result.containerDefinitions.map((x) => x.name)).toEqual(
      c.existing ? names : ['atlas', ...names],
    );
  });

  it('drops every read-only field and does not change the input', () => {
    for (const field of READ_ONLY_FIELDS) expect(result).not.toHaveProperty(field);
    expect(input).toEqual(loadFixture(c.file).taskDefinition);
  });

  it('carries the tags over, or leaves the key out', () => {
    if (c.tags) {
      expect(result.tags).toEqual(described.tags);
      expect(result.tags).toHaveLength(c.tags);
    } else {
      expect(result).not.toHaveProperty('tags');
    }
  });

  it('sets up the migration container', () => {
    const atlas = container(result, 'atlas');
    expect(atlas).toMatchObject({ image: IMAGE, command: COMMAND, essential: false });
    if (c.existing) return;

    const expected: ContainerDefinitionJson = {
      name: 'atlas',
      image: IMAGE,
      essential: false,
      command: COMMAND,
    };
    if (!c.noExecutionRole) expected.secrets = [{ name: 'DATABASE_URL', valueFrom: SECRET }];
    if (c.logFrom) expected.logConfiguration = container(input, c.logFrom).logConfiguration!;
    if (c.needsReservation) expected.memoryReservation = 128;
    expect(atlas).toEqual(expected);
    expect(atlas).not.toHaveProperty('entryPoint');
  });

  it('makes exactly the app containers wait for the migration to succeed, after their own dependencies', () => {
    for (const x of result.containerDefinitions) {
      const before = input.containerDefinitions.find((y) => y.name === x.name)?.dependsOn ?? [];
      const others = before.filter((d) => d.containerName !== 'atlas');
      const onAtlas = (x.dependsOn ?? []).filter((d) => d.containerName === 'atlas');
      if (c.apps.includes(x.name)) {
        expect(onAtlas).toEqual([{ containerName: 'atlas', condition: 'SUCCESS' }]);
        const hadAtlas = before.findIndex((d) => d.containerName === 'atlas');
        const expected = [...others];
        expected.splice(hadAtlas === -1 ? others.length : hadAtlas, 0, onAtlas[0]!);
        expect(x.dependsOn).toEqual(expected);
      } else if (x.name !== 'atlas') {
        expect(x.dependsOn).toEqual(
          input.containerDefinitions.find((y) => y.name === x.name)?.dependsOn,
        );
      }
    }
  });

  it('is idempotent', () => {
    const again = patchTaskDefinition(asDescribed(result), opts);
    expect(again).toEqual(result);
    expect(renderTaskDefinition(again)).toBe(renderTaskDefinition(result));
  });

  it('is idempotent through the rendered file', () => {
    const reread = parseTaskDefinitionFile(renderTaskDefinition(result), 'out/taskdef.json');
    expect(patchTaskDefinition(reread, opts)).toEqual(result);
  });
});
