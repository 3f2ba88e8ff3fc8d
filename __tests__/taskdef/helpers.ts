// Shared by the task definition tests: fixtures, default options, and the comparison that proves the
// patch leaves everything it has no business touching exactly as it was.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseTaskDefinitionFile,
  READ_ONLY_FIELDS,
  type ContainerDefinitionJson,
  type DescribedTaskDefinition,
  type JsonObject,
  type PatchOptions,
  type RegisterTaskDefinitionJson,
} from '../../src/taskdef';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'taskdefs');

export const IMAGE =
  '123456789012.dkr.ecr.us-east-1.amazonaws.com/migrations@sha256:' + 'ab'.repeat(32);
export const COMMAND = ['migrate', 'apply', '--env', 'deploy', '--lock-timeout', '10m'];
export const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-url-Xy12Zw';

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function loadFixture(name: string): DescribedTaskDefinition {
  return parseTaskDefinitionFile(fixtureText(name), `fixtures/${name}`);
}

export function options(overrides: Partial<PatchOptions> = {}): PatchOptions {
  return { containerName: 'atlas', image: IMAGE, command: COMMAND, images: [], ...overrides };
}

/** What a run of the action would read back: the rendered result as a bare file with tags. */
export function asDescribed(result: RegisterTaskDefinitionJson): DescribedTaskDefinition {
  const { tags, ...taskDefinition } = structuredClone(result);
  return { taskDefinition, tags };
}

export function container(
  td: { containerDefinitions: ContainerDefinitionJson[] },
  name: string,
): ContainerDefinitionJson {
  const found = td.containerDefinitions.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

export interface Touched {
  migration: string;
  apps: readonly string[];
  images: readonly string[];
}

/**
 * Both sides with the paths the patch may change removed: read-only fields and tags; the migration
 * container (whole when new; else the fields the patch owns, with DATABASE_URL filtered out of its
 * secrets and environment, and what it may add where the user had nothing); the apps' dependencies
 * on the migration container; the overridden images. What remains must be equal.
 */
export function withoutTouched(
  input: JsonObject,
  output: RegisterTaskDefinitionJson,
  touched: Touched,
): { before: JsonObject; after: JsonObject } {
  const before = structuredClone(input) as RegisterTaskDefinitionJson;
  const after = structuredClone(output);
  for (const field of READ_ONLY_FIELDS) delete before[field];
  delete before.tags;
  delete after.tags;

  const existed = before.containerDefinitions.some((c) => c.name === touched.migration);
  if (!existed) {
    after.containerDefinitions = after.containerDefinitions.filter(
      (c) => c.name !== touched.migration,
    );
  } else {
    const old = container(before, touched.migration);
    const now = container(after, touched.migration);
    for (const c of [old, now]) {
      for (const key of ['image', 'command', 'essential', 'workingDirectory']) delete c[key];
      for (const key of ['secrets', 'environment'] as const) {
        const list = c[key] as { name?: string }[] | undefined;
        if (list) c[key] = list.filter((entry) => entry.name !== 'DATABASE_URL') as never;
      }
    }
    for (const key of ['logConfiguration', 'memoryReservation', 'secrets']) {
      if (old[key] === undefined) delete now[key];
    }
  }
  for (const app of touched.apps) {
    for (const td of [before, after]) {
      const c = container(td, app);
      if (c.dependsOn) {
        c.dependsOn = c.dependsOn.filter((d) => d.containerName !== touched.migration);
      }
    }
    if (container(before, app).dependsOn === undefined) delete container(after, app).dependsOn;
  }
  for (const name of touched.images) {
    delete container(before, name).image;
    delete container(after, name).image;
  }
  return { before, after };
}

/** Runs `fn` and returns what it threw, failing the test when it threw nothing. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error, got none');
}

/** fargate-sidecars.json with a hand-written migration container that waits for envoy. */
export function withAtlasWaitingForEnvoy(): DescribedTaskDefinition {
  const described = loadFixture('fargate-sidecars.json');
  described.taskDefinition.containerDefinitions.push({
    name: 'atlas',
    image: 'arigaio/atlas:latest',
    essential: false,
    command: ['migrate', 'apply', '--env', 'prod'],
    dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
  });
  return described;
}
