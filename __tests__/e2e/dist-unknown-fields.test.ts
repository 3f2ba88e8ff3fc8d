// Fields newer than the bundled @aws-sdk/client-ecs, through the bundled action: a task-definition
// file or the service's current revision holds them, the real SDK would drop them, and the action
// carries them to RegisterTaskDefinition as they are and checks the revision ECS answers with
// before UpdateService. The loopback ECS knows a few fields beyond the SDK (FIELDS_BEYOND_SDK),
// refuses others, and can be made to drop one silently.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import * as standalone from '../helpers/fake-aws/standalone';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { EXAMPLES, exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import { READ_ONLY_FIELDS } from '../../src/taskdef';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  EXAMPLE_TAGS,
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
beforeEach(async () => {
  ws = await exampleWorkspace();
  seeded = await startSeededAws();
  aws = seeded.aws;
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

type Json = Record<string, unknown>;

/** The example task definition (bare, no read-only fields) with fields the SDK model lacks. */
function futureTaskDefinition(): Json {
  const described = JSON.parse(readFileSync(path.join(EXAMPLES, 'task-definition.json'), 'utf8'));
  const td = described.taskDefinition as Json;
  for (const field of READ_ONLY_FIELDS) delete td[field];
  const app = (td.containerDefinitions as Json[])[0]!;
  td.futureTaskSetting = { mode: 'strict', levels: [1, 2] };
  app.futureContainerSetting = 'on';
  app.linuxParameters = { initProcessEnabled: true, futureLinuxSetting: { depth: 3 } };
  return td;
}

/** Where they sit in the patched revision (the migration container comes first), in file order. */
const FUTURE_CONTAINER_FIELDS = [
  'containerDefinitions[1].futureContainerSetting',
  'containerDefinitions[1].linuxParameters.futureLinuxSetting',
];
const FUTURE_FIELDS = [...FUTURE_CONTAINER_FIELDS, 'futureTaskSetting'];

/** Writes `td` (with the example's tags) as a describe-task-definition file in the workspace. */
function writeFile(td: Json): string {
  writeFileSync(
    path.join(ws.dir, 'future-task-definition.json'),
    JSON.stringify({ taskDefinition: td, tags: EXAMPLE_TAGS }, null, 2),
  );
  return 'future-task-definition.json';
}

function newRepository(label: string): string {
  return `${registry.host}/${repositoryName(label)}`;
}

/** The fields of FUTURE_FIELDS in a registered revision's body. */
function expectFutureFields(body: Json, container = 'app'): void {
  expect(body.futureTaskSetting).toEqual({ mode: 'strict', levels: [1, 2] });
  const app = (body.containerDefinitions as Json[]).find((c) => c.name === container)!;
  expect(app.futureContainerSetting).toBe('on');
  expect(app.linuxParameters).toEqual({
    initProcessEnabled: true,
    futureLinuxSetting: { depth: 3 },
  });
}

describe('fields the bundled SDK does not know', () => {
  it('deploys a file holding them: the registered revision holds every one', async () => {
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const file = writeFile(futureTaskDefinition());
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-file'), { 'task-definition': file }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    const register = aws.callsOf('RegisterTaskDefinition');
    expect(register).toHaveLength(1);
    expectFutureFields(register[0]!.body);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expectFutureFields(registered.body);
    expect(registered.tags).toEqual(EXAMPLE_TAGS);
    expect(run.outputs['task-definition-arn']).toBe(registered.arn);
    expect(aws.callsOf('UpdateService').map((c) => c.body.taskDefinition)).toEqual([
      registered.arn,
    ]);
    expect(run.stdout).toContain(
      `Sent 3 field(s) the bundled AWS SDK does not know to ECS as they are: ${FUTURE_FIELDS.join(', ')}`,
    );
    // The rendered file (task-definition-file output) holds them too.
    const rendered = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    expectFutureFields(rendered);
  });

  it('keeps those the service’s current revision holds (read by DescribeTaskDefinition)', async () => {
    const current = aws.ecs.addTaskDefinition(futureTaskDefinition(), EXAMPLE_TAGS);
    aws.ecs.addService({ cluster: CLUSTER, name: 'future-api', taskDefinition: current });
    aws.ecs.setScenario('future-api', scenarios.succeed(), CLUSTER);

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-service'), { service: 'future-api' }),
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect(registered.arn).not.toBe(current);
    expectFutureFields(registered.body);
    // Next to the migration container the action added.
    expect((registered.body.containerDefinitions as Json[]).map((c) => c.name)).toEqual([
      'atlas',
      'app',
    ]);
    expect(aws.ecs.service('future-api', CLUSTER).taskDefinition).toBe(registered.arn);
  });

  it('keeps them in run-task mode, in the service’s revision registered after the migration', async () => {
    const current = aws.ecs.addTaskDefinition(futureTaskDefinition(), EXAMPLE_TAGS);
    aws.ecs.addService({ cluster: CLUSTER, name: 'future-api', taskDefinition: current });
    aws.ecs.setScenario('future-api', scenarios.succeed(), CLUSTER);
    aws.ecs.standalone.setBehaviour({ scenario: standalone.succeeds() });

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-runtask'), { service: 'future-api', mode: 'run-task' }),
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const [migration, service] = aws.ecs.taskDefinitions.slice(-2);
    expect(migration!.family).toBe('demo-api-migrate');
    // The migration task shares only the task's roles, network and size with the service.
    expect(migration!.body).not.toHaveProperty('futureTaskSetting');
    expectFutureFields(service!.body);
    expect(run.outputs['task-definition-arn']).toBe(service!.arn);
  });

  it('fails before UpdateService, naming the field, when ECS drops one', async () => {
    aws.ecs.dropSilently('LinuxParameters.futureLinuxSetting');
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const file = writeFile(futureTaskDefinition());
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-dropped'), { 'task-definition': file }),
    );
    expect(run.code).toBe(1);

    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect(registered.arn).toMatch(/:task-definition\/demo-api:2$/);
    expect(registered.body.containerDefinitions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ linuxParameters: { initProcessEnabled: true } }),
      ]),
    );
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      `ecs:RegisterTaskDefinition registered ${registered.arn}, but ECS's answer lacks 1 field(s) that were sent:`,
    );
    expect(errors).toContain(
      '- containerDefinitions[1].linuxParameters.futureLinuxSetting (sent {"depth":3}; the revision has none) [unknown to the bundled AWS SDK]',
    );
    expect(errors).toContain(
      `${registered.arn} stays registered, unused: no service was updated to it and no task was started from it`,
    );
    expect(errors).toContain(
      `Service ${SERVICE} was not updated: it still runs ${seeded.previousArn}`,
    );
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    expect(run.outputs['migration-status']).not.toBe('succeeded');
  });

  it('fails with ECS’s refusal and the carried fields named when ECS does not know one', async () => {
    const td = futureTaskDefinition();
    (td.containerDefinitions as Json[])[0]!.futureTypoSetting = true;
    const file = writeFile(td);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-refused'), { 'task-definition': file }),
    );
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      "ecs:RegisterTaskDefinition on task definition family demo-api failed: ClientException: Unexpected key 'futureTypoSetting' found in params.containerDefinitions[1]",
    );
    expect(errors).toContain(
      `The request carried 4 field(s) the bundled AWS SDK does not know, as the task definition has them: ${[...FUTURE_CONTAINER_FIELDS, 'containerDefinitions[1].futureTypoSetting', 'futureTaskSetting'].join(', ')}.`,
    );
    expect(errors).toContain('Nothing was registered');
    expect(aws.callsOf('RegisterTaskDefinition').map((c) => c.error)).toEqual(['ClientException']);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(aws.ecs.taskDefinitions.map((t) => t.arn)).toEqual([seeded.previousArn]);
  });

  it('refuses before registering a field the SDK cannot send as the file has it, naming it', async () => {
    const td = futureTaskDefinition();
    // A list where the model has an object: the SDK would send `{}`.
    (td.containerDefinitions as Json[])[0]!.linuxParameters = [{ futureLinuxSetting: 1 }];
    const file = writeFile(td);
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(newRepository('future-uncarried'), { 'task-definition': file }),
    );
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      'nothing was sent: the bundled AWS SDK cannot send containerDefinitions[1].linuxParameters as the task definition has it (an array, and its model makes it an object)',
    );
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
    expect(aws.callsOf('UpdateService')).toEqual([]);
  });
});
