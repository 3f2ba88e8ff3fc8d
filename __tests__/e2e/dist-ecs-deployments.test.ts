// The bundled action against ECS as it is since 2025: the service-deployment API (status,
// lifecycle stages, circuit breaker, alarms), native BLUE_GREEN/LINEAR/CANARY services with their
// bake time, ECS's own rollback (StopServiceDeployment) and the fallback where that API is missing;
// and the app failing after a good migration. Real SDK to the loopback ECS, real registry.
import { APP_CRASH_LOG, scenarios, type FakeAws } from '../helpers/fake-aws';
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
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

async function start(options: Parameters<typeof startSeededAws>[0] = {}): Promise<void> {
  ws = await exampleWorkspace();
  seeded = await startSeededAws(options);
  aws = seeded.aws;
}

function repository(label: string): { name: string; repository: string } {
  const name = repositoryName(label);
  return { name, repository: `${registry.host}/${name}` };
}

/** The service-deployment lines the step printed, as `STATUS STAGE`. */
function stagesPrinted(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('Service deployment '))
    .map((l) => {
      const status = l.replace(/^Service deployment \S+: /, '').split(';')[0]!;
      const stage = /stage: [^;(]+\((\w+)\)/.exec(l)?.[1];
      return stage ? `${status} ${stage}` : status;
    });
}

const BLUE_GREEN = { name: 'BLUE_GREEN', bakeTimeInMinutes: 10, bakePolls: 3 } as const;

describe('a BLUE_GREEN service', () => {
  it('waits through every lifecycle stage and the bake time, then succeeds', async () => {
    await start({ strategy: BLUE_GREEN });
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository('bg-ok').repository, { 'wait-timeout-minutes': '11' }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(stagesPrinted(run.stdout)).toEqual([
      'IN_PROGRESS SCALE_UP',
      'IN_PROGRESS TEST_TRAFFIC_SHIFT',
      'IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT',
      'IN_PROGRESS BAKE_TIME',
      'IN_PROGRESS CLEAN_UP',
      'SUCCESSFUL CLEAN_UP',
    ]);
    expect(run.stdout).toContain(
      'stage: bake time (BAKE_TIME); new revision running 1/1, 100% of production traffic',
    );
    // The AWS calls of a blue/green deploy that succeeds (the closing note quotes them).
    expect(aws.counts()).toEqual({
      DescribeServices: 9,
      DescribeServiceDeployments: 8,
      DescribeTaskDefinition: 1,
      DescribeSecret: 1,
      RegisterTaskDefinition: 1,
      UpdateService: 1,
      ListTasks: 10,
      DescribeTasks: 1,
      GetLogEvents: 1,
    });
  });

  it('fails at the poll that sees the migration fail in the green tasks, and rolls back with StopServiceDeployment', async () => {
    await start({ strategy: BLUE_GREEN });
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll: 2 }), CLUSTER);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository('bg-fail').repository, { 'wait-timeout-minutes': '11' }),
    );
    expect(run.code).toBe(1);
    expect(run.outputs['migration-status']).toBe('failed');
    const ours = aws.ecs.deploymentHistory.find((d) => d.id === run.outputs['deployment-id'])!;
    expect(ours.polls).toBeGreaterThanOrEqual(2);
    expect(aws.callsOf('StopServiceDeployment').map((c) => c.body)).toEqual([
      { serviceDeploymentArn: ours.sd.arn, stopType: 'ROLLBACK' },
    ]);
    // No second UpdateService: ECS itself put the previous revision back.
    expect(aws.callsOf('UpdateService')).toHaveLength(1);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    const summary = run.summary;
    keepSummary('blue-green-migration-failed', summary);
    expect(summary).toContain(
      `↩️ ECS rolled the service back to \`${seeded.previousArn}\` (StopServiceDeployment with stopType ROLLBACK: ROLLBACK_SUCCESSFUL).`,
    );
    expect(annotationText(run.errors)).toContain('StopServiceDeployment with stopType ROLLBACK');
    // The AWS calls of a blue/green deploy whose migration fails (the closing note quotes them).
    expect(aws.counts()).toEqual({
      // Pre-flight, 2 polls, and the rollback's check that ours is still the PRIMARY deployment.
      DescribeServices: 4,
      // Poll 1 (poll 2 saw the failed task first), then 3 reads following ECS's rollback.
      DescribeServiceDeployments: 4,
      DescribeTaskDefinition: 1,
      DescribeSecret: 1,
      RegisterTaskDefinition: 1,
      UpdateService: 1,
      StopServiceDeployment: 1,
      ListTasks: 2,
      DescribeTasks: 1,
      GetLogEvents: 1,
    });
  });

  it('refuses a wait-timeout-minutes shorter than the bake time before anything is pushed or registered', async () => {
    await start({ strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 30 } });
    const { name, repository: repo } = repository('bg-short');
    const run = await runDeploy(ws.dir, aws, deployInputs(repo, { 'wait-timeout-minutes': '20' }));
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toContain(
      "Input 'wait-timeout-minutes': is 20, but service demo-api deploys with BLUE_GREEN with a 30 min bake time",
    );
    expect(annotationText(run.errors)).toContain('set wait-timeout-minutes above 30');
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    await expectNothingPushed(registry.url, name);
  });
});

describe.each([
  [
    'LINEAR',
    {
      name: 'LINEAR',
      bakeTimeInMinutes: 2,
      bakePolls: 1,
      linear: { stepPercent: 50, stepBakeTimeInMinutes: 3 },
    },
    '5',
  ],
  [
    'CANARY',
    {
      name: 'CANARY',
      bakeTimeInMinutes: 2,
      bakePolls: 1,
      canary: { canaryPercent: 10, canaryBakeTimeInMinutes: 3 },
    },
    '5',
  ],
] as const)('a %s service', (_name, strategy, minimum) => {
  it('prints each production traffic step and succeeds', async () => {
    await start({ strategy });
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository('steps').repository, { 'wait-timeout-minutes': '6' }),
    );
    expect(run.code).toBe(0);
    const weights = run.stdout
      .split('\n')
      .filter((l) => l.includes('(PRODUCTION_TRAFFIC_SHIFT)'))
      .map((l) => /(\d+)% of production traffic/.exec(l)?.[1]);
    expect(weights.at(-1)).toBe('100');
    expect(weights.length).toBe(2);
  });

  it(`refuses a wait of ${minimum} min, the least its steps and bake time take`, async () => {
    await start({ strategy });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository('steps-short').repository, { 'wait-timeout-minutes': minimum }),
    );
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toContain(`after ${minimum} min at the earliest`);
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
  });
});

describe('where the service-deployment API does not answer', () => {
  it.each(['access-denied', 'absent'] as const)(
    '%s: reads the rollout from DescribeServices, says so, and rolls back with UpdateService',
    async (mode) => {
      await start();
      aws.ecs.serviceDeploymentApi = mode;
      aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll: 2 }), CLUSTER);
      const run = await runDeploy(ws.dir, aws, deployInputs(repository('no-sd').repository));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('Reading the rollout from DescribeServices only');
      expect(aws.callsOf('StopServiceDeployment')).toEqual([]);
      expect(aws.callsOf('UpdateService').map((c) => c.body.taskDefinition)).toEqual([
        run.outputs['task-definition-arn'],
        seeded.previousArn,
      ]);
      const summary = run.summary;
      expect(summary).toMatch(
        /↩️ The service was rolled back to `[^`]+` \(UpdateService, deployment ecs-svc\/\d+\)\./,
      );
    },
  );
});

describe('the app fails after a good migration', () => {
  it('shows the app container’s exit code, ECS’s reason and its log tail in the summary', async () => {
    await start();
    aws.ecs.setScenario(
      SERVICE,
      scenarios.appCrash({ crashAtPoll: 2, rollbackAtPoll: 3, app: 'app' }),
      CLUSTER,
    );
    const run = await runDeploy(ws.dir, aws, deployInputs(repository('app-crash').repository));
    expect(run.code).toBe(1);
    expect(run.outputs['migration-status']).toBe('succeeded');
    const summary = run.summary;
    keepSummary('app-failed-after-migration', summary);
    expect(summary).toMatch(
      /The migration succeeded; then the app container `app` exited with code 1 in task `[0-9a-f]{32}`\.\nECS: Essential container in task exited/,
    );
    expect(summary).toContain('<details><summary>Log tail of app</summary>');
    for (const line of APP_CRASH_LOG) expect(summary).toContain(line);
    expect(run.stdout).toContain('panic: pq: column "nickname" does not exist');
  });
});
