// mode: run-task through the bundled action: the migration runs once in a standalone task, and
// the service is updated (without a migration container) only when it succeeded.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { runAction } from '../helpers/run-action';
import { DEMO_INPUTS, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  DEFAULT_MIGRATION_COMMAND,
} from './deploy-env';

let registry: RegistryServer;
let ws: TestWorkspace;
let aws: FakeAws;
let previousArn: string;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
  const seeded = await startSeededAws();
  aws = seeded.aws;
  previousArn = seeded.previousArn;
  aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

function operations(): string[] {
  return aws.calls.filter((c) => !c.error).map((c) => c.operation);
}

describe('mode: run-task', () => {
  it('migrates once in a standalone task, then updates the service without a migration container', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${repositoryName('runtask')}`, { mode: 'run-task' }),
    );
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');

    const ops = operations();
    const runTask = ops.indexOf('RunTask');
    expect(runTask).toBeGreaterThan(-1);
    // The migration-only revision is registered before RunTask; the service's after it.
    const registers = ops
      .map((op, i) => (op === 'RegisterTaskDefinition' ? i : -1))
      .filter((i) => i >= 0);
    expect(registers).toHaveLength(2);
    expect(registers[0]).toBeLessThan(runTask);
    expect(registers[1]).toBeGreaterThan(runTask);
    expect(ops.indexOf('UpdateService')).toBeGreaterThan(runTask);

    const [migration, service] = aws.ecs.taskDefinitions.slice(-2);
    expect(migration!.family).toBe('demo-api-migrate');
    const migrationContainers = migration!.body.containerDefinitions as Record<string, unknown>[];
    expect(migrationContainers.map((c) => c.name)).toEqual(['atlas']);
    expect(migrationContainers[0]).toMatchObject({
      image: run.outputs.image,
      essential: true,
      command: [...DEFAULT_MIGRATION_COMMAND],
    });
    const serviceContainers = service!.body.containerDefinitions as Record<string, unknown>[];
    expect(serviceContainers.map((c) => c.name)).toEqual(['app']);
    expect(serviceContainers[0]!.dependsOn).toBeUndefined();
    expect(run.outputs['task-definition-arn']).toBe(service!.arn);

    const runTaskCall = aws.calls.find((c) => c.operation === 'RunTask')!;
    expect(runTaskCall.body).toMatchObject({
      cluster: CLUSTER,
      count: 1,
      taskDefinition: migration!.arn,
    });
  });

  it('leaves the service untouched when the migration fails, with Atlas’s error', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.migrationFails() });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${repositoryName('runtask-fail')}`, { mode: 'run-task' }),
    );
    expect(run.code).toBe(1);
    expect(run.outputs['migration-status']).toBe('failed');
    expect(annotationText(run.errors)).toMatch(/Error: /);
    expect(annotationText(run.errors)).toMatch(/the service was not updated/);
    expect(operations()).not.toContain('UpdateService');
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(previousArn);
    expect(run.summary).toContain('the service was not updated');
  });

  it('reports a task that could not start, before the service is touched', async () => {
    aws.ecs.standalone.setBehaviour({ failure: { reason: 'RESOURCE:MEMORY' } });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${repositoryName('runtask-nostart')}`, { mode: 'run-task' }),
    );
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toMatch(/RESOURCE:MEMORY/);
    expect(operations()).not.toContain('UpdateService');
  });

  it('renders both task definitions and the plan in a dry run, with no AWS call', async () => {
    const run = await runAction({ ...DEMO_INPUTS, mode: 'run-task' }, { workspace: ws.dir });
    expect(run.code).toBe(0);
    const dir = path.dirname(run.outputs['task-definition-file']!);
    const service = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    const migration = JSON.parse(
      readFileSync(path.join(dir, 'migration-task-definition.json'), 'utf8'),
    );
    expect(service.containerDefinitions.map((c: { name: string }) => c.name)).toEqual(['app']);
    expect(migration.family).toBe('demo-api-migrate');
    expect(run.summary).toContain('`ecs:RunTask`');
    expect(aws.calls).toEqual([]);
  });
});
