// Several services that share the database, in one step (`service` with one name per line): the
// image is pushed once; sidecar patches, registers and updates each service's own revision;
// run-task migrates once and then updates each; all are watched together, and a failed migration
// rolls back every service that was updated. Outputs that differ per service are JSON keyed by it.
import { scenarios, standalone, type FakeAws } from '../helpers/fake-aws';
import { keepSummary } from '../helpers/report';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
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

const WORKER = 'demo-worker';

let registry: RegistryServer;
let ws: TestWorkspace;
let seeded: SeededAws;
let aws: FakeAws;
let workerPreviousArn: string;

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
  // A second service of the same app, with its own task definition family.
  const api = aws.ecs.taskDefinition(seeded.previousArn)!;
  const containers = (api.body.containerDefinitions as Record<string, unknown>[]).map((c) => ({
    ...c,
  }));
  workerPreviousArn = aws.ecs.addTaskDefinition(
    { ...api.body, family: WORKER, containerDefinitions: containers },
    api.tags,
  );
  aws.ecs.addService({ cluster: CLUSTER, name: WORKER, taskDefinition: workerPreviousArn });
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

const SERVICES = `${SERVICE}\n${WORKER}\n`;

function inputs(label: string, more: Record<string, string> = {}): Record<string, string> {
  return deployInputs(`${registry.host}/${repositoryName(label)}`, { service: SERVICES, ...more });
}

describe('sidecar, two services', () => {
  it('pushes once, registers and updates each service’s own revision, and keys the outputs by service', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
    aws.ecs.setScenario(WORKER, scenarios.succeed({ completeAtPoll: 3 }), CLUSTER);
    const run = await runDeploy(ws.dir, aws, inputs('two'));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);

    const registered = aws.callsOf('RegisterTaskDefinition').map((c) => c.body.family);
    expect(registered).toEqual(['demo-api', WORKER]);
    expect(aws.callsOf('UpdateService').map((c) => c.body.service)).toEqual([SERVICE, WORKER]);
    const arns = JSON.parse(run.outputs['task-definition-arn']!);
    expect(arns).toEqual({
      [SERVICE]: aws.ecs.service(SERVICE, CLUSTER).taskDefinition,
      [WORKER]: aws.ecs.service(WORKER, CLUSTER).taskDefinition,
    });
    expect(arns[WORKER]).toMatch(/task-definition\/demo-worker:2$/);
    const deployments = JSON.parse(run.outputs['deployment-id']!);
    expect(Object.keys(deployments)).toEqual([SERVICE, WORKER]);
    expect(deployments[WORKER]).toMatch(/^ecs-svc\/\d+$/);
    const files = JSON.parse(run.outputs['task-definition-file']!);
    expect(files[WORKER]).toMatch(/task-definition-demo-worker\.json$/);
    expect(run.outputs['migration-status']).toBe('succeeded');
    // One image for both: the same reference in both revisions.
    for (const service of [SERVICE, WORKER]) {
      const td = aws.ecs.taskDefinition(aws.ecs.service(service, CLUSTER).taskDefinition)!;
      const atlas = (td.body.containerDefinitions as Record<string, unknown>[]).find(
        (c) => c.name === 'atlas',
      )!;
      expect(atlas.image).toBe(run.outputs.image);
    }
    expect(run.summary).toContain('## Atlas ECS deploy: 2 services');
    expect(run.summary).toContain('### ✅ Every service is migrated and stable');
    expect(run.summary).toContain(`| \`${WORKER}\` | ✅ stable | \`demo-worker:2\` | — |`);
    expect(run.summary).toContain(`## Atlas ECS deploy: ${WORKER}`);
  });

  it('rolls back every service when the migration fails in one of them', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 20 }), CLUSTER);
    aws.ecs.setScenario(WORKER, scenarios.migrationFails({ stopAtPoll: 2 }), CLUSTER);
    const run = await runDeploy(ws.dir, aws, inputs('two-fail'));
    expect(run.code).toBe(1);
    keepSummary('several-services-migration-failed', run.summary);
    expect(run.outputs['migration-status']).toBe('failed');
    // Both back on what they ran, by ECS's own rollback.
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    expect(aws.ecs.service(WORKER, CLUSTER).taskDefinition).toBe(workerPreviousArn);
    expect(aws.callsOf('StopServiceDeployment')).toHaveLength(2);
    const errors = annotationText(run.errors);
    expect(errors).toContain(`Service ${WORKER}: Migration failed (exit code 1`);
    expect(errors).toContain(`Service ${SERVICE}: Stopped watching the deployment after`);
    expect(errors).toContain(
      `the migration failed in service ${WORKER}, deployed in the same step`,
    );
    expect(run.summary).toContain('### ❌ Deployment failed');
    expect(run.summary).toContain(
      `**Cause:** the migration failed in service \`${WORKER}\` (its section below has Atlas's error); the other service updated with it was rolled back too.`,
    );
    expect(run.summary).toMatch(
      new RegExp(
        `\\| \`${WORKER}\` \\| ❌ migration failed \\| [^|]+ \\| ↩️ StopServiceDeployment \\(ROLLBACK_SUCCESSFUL\\) \\|`,
      ),
    );
    expect(run.summary).toMatch(
      new RegExp(
        `\\| \`${SERVICE}\` \\| ⏹️ stopped with the others \\| [^|]+ \\| ↩️ StopServiceDeployment \\(ROLLBACK_SUCCESSFUL\\) \\|`,
      ),
    );
  });

  it('rolls back the first service when the second cannot be updated', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 20 }), CLUSTER);
    // The second UpdateService (the worker's) is refused.
    aws.fault(
      'UpdateService',
      { kind: 'status', status: 400, type: 'AccessDeniedException' },
      1,
      1,
    );
    const run = await runDeploy(ws.dir, aws, inputs('two-denied'));
    expect(run.code).toBe(1);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    expect(aws.ecs.service(WORKER, CLUSTER).taskDefinition).toBe(workerPreviousArn);
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      `Service ${WORKER} could not be deployed, so the services updated before it are rolled back.`,
    );
    expect(run.summary).toContain(`| \`${WORKER}\` | ⏭️ not updated | — | — |`);
  });

  it('refuses a task-definition input, and reports every missing service, before anything is pushed', async () => {
    const name = repositoryName('two-refused');
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${registry.host}/${name}`, {
        service: `${SERVICE}\nnope-1\nnope-2`,
      }),
    );
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain('nope-1');
    expect(errors).toContain('nope-2');
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
    await expectNothingPushed(registry.url, name);

    const withFile = await runDeploy(
      ws.dir,
      aws,
      inputs('two-file', { 'task-definition': 'task-definition.json' }),
    );
    expect(withFile.code).toBe(1);
    expect(annotationText(withFile.errors)).toContain(
      'Input \'task-definition\': "task-definition.json" is given for 2 services',
    );
  });
});

describe('run-task, two services', () => {
  it('migrates once, then updates both services', async () => {
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ migration: 'none' }), CLUSTER);
    aws.ecs.setScenario(WORKER, scenarios.succeed({ migration: 'none' }), CLUSTER);
    const run = await runDeploy(ws.dir, aws, inputs('two-runtask', { mode: 'run-task' }));
    expect(run.code).toBe(0);
    expect(aws.callsOf('RunTask')).toHaveLength(1);
    expect(aws.callsOf('UpdateService').map((c) => c.body.service)).toEqual([SERVICE, WORKER]);
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(Object.keys(JSON.parse(run.outputs['task-definition-arn']!))).toEqual([SERVICE, WORKER]);
  });
});
