// Two runs at once on the same service and repository: the bundled action (dist/index.js) twice,
// against one loopback ECS and one real registry behind a proxy. Whatever the order, the end
// state is defined: both registered revisions are valid (the migration container holds each
// run's own image by digest, the app waits for it), the service runs one of them, each step
// reports what happened to its own deployment (a replaced one never claims success), and no run
// rolls back over the other's deployment. Two identical pushes at once are safe too.
//
// "Staggered" cases start run B once run A has updated the service, so that B's deployment
// replaces A's while A's rollout is in progress: the race two pushes a minute apart produce.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pushImage } from '../../src/registry/push';
import { contentTag } from '../../src/registry/reference';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  tagsList,
} from '../e2e/deploy-env';
import { scenarios, type FakeAws, type Scenario } from '../helpers/fake-aws';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { makeImage, pushable, randomLayer } from '../helpers/images';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { markdownTable, writeReport } from '../helpers/report';
import type { ActionRun } from '../helpers/run-action';
import { testClient } from '../helpers/test-client';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  addMigration,
  describeRevision,
  revisionProblems,
  storedImage,
  tagDigest,
  waitUntil,
} from './concurrency-env';

jest.setTimeout(120_000);

let registry: RegistryServer;
let proxy: FaultProxy;
const rows: string[][] = [];

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy({ upstream: registry.url });
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  writeReport(
    'concurrency',
    'Concurrency',
    `${rows.length} races: two runs of the bundled action at once on one service and one repository (loopback ECS, real registry), and two identical pushes at once.`,
    markdownTable(
      [
        'scenario',
        'run A',
        'run B',
        'service ends on',
        'revisions valid',
        'rollback over the other run',
      ],
      rows,
    ),
  );
});

let aws: FakeAws;
let previousArn: string;
let wsA: TestWorkspace;
let wsB: TestWorkspace;

beforeEach(async () => {
  const seeded = await startSeededAws();
  aws = seeded.aws;
  previousArn = seeded.previousArn;
  wsA = await exampleWorkspace();
  wsB = await exampleWorkspace();
});
afterEach(async () => {
  await aws?.close();
  wsA?.remove();
  wsB?.remove();
});

interface Race {
  a: ActionRun;
  b: ActionRun;
  name: string;
}

/** Runs A and B on the same service and repository; each deployment plays its own scenario. */
async function race(options: {
  scenarioA: Scenario;
  scenarioB: Scenario;
  staggered: boolean;
  extraMigrationInB?: boolean;
}): Promise<Race> {
  aws.ecs.queueScenarios(SERVICE, [options.scenarioA, options.scenarioB], CLUSTER);
  if (options.extraMigrationInB) {
    addMigration(
      wsB.dir,
      '20240401090000_add_orders_note.sql',
      'ALTER TABLE orders ADD COLUMN note text;\n',
    );
  }
  const name = repositoryName('race');
  const inputs = deployInputs(`${proxy.host}/${name}`);
  const runA = runDeploy(wsA.dir, aws, inputs);
  if (options.staggered) {
    await waitUntil('run A updated the service', () => aws.callsOf('UpdateService').length > 0);
  }
  const runB = runDeploy(wsB.dir, aws, inputs);
  const [a, b] = await Promise.all([runA, runB]);
  return { a, b, name };
}

/** The invariants every race must end in; returns the cells of its table row. */
async function expectDefinedEndState(result: Race): Promise<{
  serviceOn: string;
  revisionsValid: string;
  label: (arn: string) => string;
}> {
  const { a, b, name } = result;
  const label = (arn: string): string =>
    arn === previousArn
      ? 'the revision before both'
      : arn === a.outputs['task-definition-arn'] && arn === b.outputs['task-definition-arn']
        ? "A's and B's revision"
        : arn === a.outputs['task-definition-arn']
          ? "A's revision"
          : arn === b.outputs['task-definition-arn']
            ? "B's revision"
            : arn;
  // Both runs pushed and registered: each revision is valid and holds its own image.
  const problems: string[] = [];
  for (const [who, run] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const arn = run.outputs['task-definition-arn'];
    expect(arn).toMatch(/^arn:aws:ecs:.*:task-definition\/demo-api:\d+$/);
    const containers = await describeRevision(aws, arn!);
    problems.push(...revisionProblems(containers, run.outputs.image!).map((p) => `${who}: ${p}`));
    const digest = run.outputs['image-digest']!;
    const stored = await storedImage(registry.url, name, digest);
    expect(stored.manifestIntact).toBe(true);
    expect(stored.blobs.length).toBeGreaterThan(1);
    expect(stored.blobs.filter((blob) => blob.status !== 200)).toEqual([]);
    expect(await tagDigest(registry.url, name, contentTag(digest))).toBe(digest);
  }
  expect(problems).toEqual([]);

  // The service runs one of the two revisions.
  const serviceOn = aws.ecs.service(SERVICE, CLUSTER).taskDefinition;
  expect([a.outputs['task-definition-arn'], b.outputs['task-definition-arn']]).toContain(serviceOn);

  // Truthful steps: success only for a deployment that completed; a failure says why.
  for (const run of [a, b]) {
    const deployment = aws.ecs.deploymentHistory.find((d) => d.id === run.outputs['deployment-id']);
    expect(deployment).toBeDefined();
    if (run.code === 0) {
      expect(deployment!.rolloutState).toBe('COMPLETED');
      expect(run.outputs['migration-status']).toBe('succeeded');
    } else {
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
    }
  }
  return { serviceOn: label(serviceOn), revisionsValid: 'yes (both)', label };
}

/** How a run ended, in the table's words. */
function describeRun(run: ActionRun, label: (arn: string) => string, other: string): string {
  const text = annotationText(run.errors);
  if (run.code === 0) return `exit 0: migration ${run.outputs['migration-status']}, deployed`;
  const rolledBack =
    /(?:The service was|ECS) rolled (?:the service )?back to (arn:\S+?)(?: \(|\.)/.exec(text);
  if (/^Migration failed/.test(text)) {
    if (rolledBack) return `exit 1: migration failed; rolled back to ${label(rolledBack[1]!)}`;
    if (/Not rolled back: deployment/.test(text)) {
      return `exit 1: migration failed; not rolled back (${other}'s deployment had replaced it)`;
    }
    return 'exit 1: migration failed';
  }
  if (/Another deployment replaced this one/.test(text)) {
    return `exit 1: replaced by ${other}'s deployment, says so (migration ${run.outputs['migration-status']!})`;
  }
  return `exit ${run.code}: ${text.split('\n')[0]}`;
}

/** UpdateService calls in order, by the revision each asked for. */
function updates(label: (arn: string) => string): string[] {
  return aws.callsOf('UpdateService').map((c) => label(String(c.body.taskDefinition)));
}

function stderrIsClean(run: ActionRun): void {
  expect(
    run.stderr
      .replace(
        /\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?\n\(Use `node --trace-warnings[^\n]*\n/,
        '',
      )
      .trim(),
  ).toBe('');
}

it('(a) same migrations, started together: identical pushes, one revision each, a defined winner', async () => {
  const result = await race({
    scenarioA: scenarios.succeed({ completeAtPoll: 3 }),
    scenarioB: scenarios.succeed({ completeAtPoll: 3 }),
    staggered: false,
  });
  const { a, b, name } = result;
  stderrIsClean(a);
  stderrIsClean(b);
  // The same content gives the same image: both pushed it, the registry holds it once, intact.
  expect(a.outputs['image-digest']).toBe(b.outputs['image-digest']);
  const tags = await tagsList(registry.url, name);
  expect(tags.tags).toEqual([contentTag(a.outputs['image-digest']!)]);
  const end = await expectDefinedEndState(result);
  // The run whose deployment the service ended on succeeded; nothing was rolled back.
  const winner = [a, b].find(
    (r) => r.outputs['task-definition-arn'] === aws.ecs.service(SERVICE, CLUSTER).taskDefinition,
  )!;
  expect(winner.code).toBe(0);
  // The other one succeeded too (done before it was replaced), or says it was replaced; its
  // migration never failed, so it must not say so.
  const other = winner === a ? b : a;
  expect(['succeeded', 'skipped']).toContain(other.outputs['migration-status']);
  expect(updates(end.label)).not.toContain('the revision before both');
  rows.push([
    '(a) same migrations, started together (whichever UpdateService lands last wins)',
    describeRun(a, end.label, 'B'),
    describeRun(b, end.label, 'A'),
    end.serviceOn,
    end.revisionsValid,
    'no (no rollback)',
  ]);
});

it('(b) different migrations, B replaces A mid-rollout: A says it was replaced, B deploys', async () => {
  const result = await race({
    scenarioA: scenarios.succeed({ completeAtPoll: Number.POSITIVE_INFINITY }),
    scenarioB: scenarios.succeed(),
    staggered: true,
    extraMigrationInB: true,
  });
  const { a, b } = result;
  expect(a.outputs['image-digest']).not.toBe(b.outputs['image-digest']);
  const end = await expectDefinedEndState(result);
  expect(a.code).toBe(1);
  const aText = annotationText(a.errors);
  expect(aText).toContain(
    `deployment ${a.outputs['deployment-id']!} was replaced by deployment ${b.outputs['deployment-id']!} (${b.outputs['task-definition-arn']!}), started by someone else`,
  );
  expect(aText).toContain('Another deployment replaced this one; the service was left to it.');
  // A's migration had run (its container exited 0 in A's tasks) before B replaced it.
  expect(a.outputs['migration-status']).toBe('succeeded');
  expect(b.code).toBe(0);
  expect(end.serviceOn).toBe("B's revision");
  expect(updates(end.label)).toEqual(["A's revision", "B's revision"]);
  rows.push([
    '(b) different migrations (B has one more), B starts while A rolls out',
    describeRun(a, end.label, 'B'),
    describeRun(b, end.label, 'A'),
    end.serviceOn,
    end.revisionsValid,
    'no (no rollback)',
  ]);
});

it("(c) B replaces A and B's migration fails: B rolls back to what the service ran before it", async () => {
  const result = await race({
    scenarioA: scenarios.succeed({ completeAtPoll: Number.POSITIVE_INFINITY }),
    scenarioB: scenarios.migrationFails({ stopAtPoll: 2 }),
    staggered: true,
    extraMigrationInB: true,
  });
  const { a, b } = result;
  const end = await expectDefinedEndState(result);
  expect(a.code).toBe(1);
  expect(annotationText(a.errors)).toContain('Another deployment replaced this one');
  expect(b.code).toBe(1);
  expect(b.outputs['migration-status']).toBe('failed');
  // B's deployment was the PRIMARY one: B has ECS put back what the service ran before B, A's
  // revision (StopServiceDeployment), so no third UpdateService.
  expect(annotationText(b.errors)).toContain(
    `ECS rolled the service back to ${a.outputs['task-definition-arn']!} (StopServiceDeployment with stopType ROLLBACK: ROLLBACK_SUCCESSFUL).`,
  );
  expect(updates(end.label)).toEqual(["A's revision", "B's revision"]);
  expect(aws.callsOf('StopServiceDeployment')).toHaveLength(1);
  expect(end.serviceOn).toBe("A's revision");
  rows.push([
    "(c) B's migration fails after B replaced A",
    describeRun(a, end.label, 'B'),
    describeRun(b, end.label, 'A'),
    end.serviceOn,
    end.revisionsValid,
    "no (B rolled back its own deployment, onto A's revision)",
  ]);
});

it("(d) A's migration fails after B replaced A: A does not roll back over B", async () => {
  const result = await race({
    scenarioA: scenarios.migrationFailsOnceReplaced(),
    scenarioB: scenarios.succeed(),
    staggered: true,
    extraMigrationInB: true,
  });
  const { a, b } = result;
  const end = await expectDefinedEndState(result);
  expect(a.code).toBe(1);
  expect(a.outputs['migration-status']).toBe('failed');
  const aText = annotationText(a.errors);
  expect(aText).toMatch(/^Migration failed \(exit code 1, task /);
  expect(aText).toContain(
    `Not rolled back: deployment ${b.outputs['deployment-id']!} (${b.outputs['task-definition-arn']!}), started by someone else, had replaced this one`,
  );
  expect(b.code).toBe(0);
  expect(end.serviceOn).toBe("B's revision");
  // Only the two deployments: A's rollback to the revision before both never happened.
  expect(updates(end.label)).toEqual(["A's revision", "B's revision"]);
  rows.push([
    "(d) A's migration fails after B replaced A",
    describeRun(a, end.label, 'B'),
    describeRun(b, end.label, 'A'),
    end.serviceOn,
    end.revisionsValid,
    "no (A saw B's deployment PRIMARY and left it)",
  ]);
});

describe('two identical pushes at once (in process)', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'concurrency-push-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('both succeed; the tag names the manifest, every blob is there, the bytes hash to the digest', async () => {
    const image = makeImage({
      architecture: 'amd64',
      layers: [randomLayer(1_500_000), randomLayer(300_000)],
      label: randomBytes(4).toString('hex'),
    });
    const target = { registry: proxy.host, repository: repositoryName('twin-push') };
    const push = () =>
      pushImage(testClient(scratch).client, target, pushable(image), ['v1'], () => undefined);
    const [first, second] = await Promise.all([push(), push()]);
    const digest = image.manifestDescriptor.digest;
    expect(first.digest).toBe(digest);
    expect(second.digest).toBe(digest);
    expect(await tagDigest(registry.url, target.repository, 'v1')).toBe(digest);
    const stored = await storedImage(registry.url, target.repository, digest);
    expect(stored.manifestIntact).toBe(true);
    expect(stored.blobs.map((b) => [b.digest, b.status])).toEqual(
      [image.config, ...image.layers].map((b) => [b.descriptor.digest, 200]),
    );
    const what = (r: typeof first) =>
      `ok: ${r.uploaded.length} blobs uploaded, ${r.existing.length} found there${r.alreadyPresent ? ', manifest already there' : ''}`;
    rows.push([
      'two identical pushImage calls at once (same image, repository, tag)',
      what(first),
      what(second),
      '—',
      'tag → manifest, 3/3 blobs HEAD 200, digest verified',
      '—',
    ]);
  });
});
