// Task definitions with fields newer than the bundled SDK, read and registered through the real
// SDK clients against the loopback ECS: read from DescribeTaskDefinition, carried to
// RegisterTaskDefinition, checked in the revision ECS answers with, before any service runs it.
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import type { EcsApi } from '../../src/aws/api';
import { deploy, registerTaskDefinition } from '../../src/deploy/deploy';
import { FieldsLostError } from '../../src/deploy/registered-fields';
import { describeTaskDefinition, withFieldsTheSdkDropped } from '../../src/deploy/resolve';
import type { RegisterTaskDefinitionJson } from '../../src/taskdef';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';
import { ecsApi, recordingIO } from './fakes';

let aws: FakeAws;
let restoreEnv: (() => void) | undefined;
let clients: AwsClients | undefined;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
  restoreEnv = useFakeAwsEnv(aws);
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/1.2.3' });
});

afterEach(async () => {
  clients?.destroy();
  restoreEnv?.();
  await aws.close();
});

const ecs = (): EcsApi => createAwsApis(clients!).ecs;

const patched = (): RegisterTaskDefinitionJson => ({
  family: 'web',
  cpu: '1 vCPU',
  memory: '2 GB',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  futureTaskSetting: { mode: 'strict' },
  containerDefinitions: [
    { name: 'atlas', image: 'repo@sha256:abc', essential: false, futureContainerSetting: 1 },
    {
      name: 'web',
      image: 'nginx',
      dependsOn: [{ containerName: 'atlas', condition: 'SUCCESS' }],
      linuxParameters: { initProcessEnabled: true, futureLinuxSetting: 'on' },
    },
  ],
  tags: [{ key: 'team', value: 'db' }],
});

describe('describeTaskDefinition', () => {
  it('keeps the fields ECS returns that the SDK does not model, at every depth', async () => {
    const { tags, ...body } = patched();
    aws.ecs.addTaskDefinition(body, tags);
    const described = await describeTaskDefinition(ecs(), 'web');
    expect(described.taskDefinition).toMatchObject({
      futureTaskSetting: { mode: 'strict' },
      containerDefinitions: [
        { name: 'atlas', futureContainerSetting: 1 },
        { name: 'web', linuxParameters: { initProcessEnabled: true, futureLinuxSetting: 'on' } },
      ],
    });
    // What the SDK read stays as it read it: its timestamp, not ECS's epoch seconds.
    expect(described.taskDefinition.registeredAt).toBe('2024-03-10T17:00:00.500Z');
    expect(described.tags).toEqual(tags);
  });
});

describe('withFieldsTheSdkDropped', () => {
  it('refuses, naming it, a field the SDK read as something else than ECS sent', () => {
    expect(() =>
      withFieldsTheSdkDropped(
        { family: 'web', containerDefinitions: [{ name: 'web', linuxParameters: {} }] },
        { family: 'web', containerDefinitions: [{ name: 'web', linuxParameters: [{ a: 1 }] }] },
        'DescribeTaskDefinition of "web"',
        'service',
      ),
    ).toThrow(
      'Input \'service\': DescribeTaskDefinition of "web" holds containerDefinitions[0].linuxParameters as an array, which the bundled AWS SDK reads as an object',
    );
  });

  it('is the SDK’s reading when there is no JSON of ECS’s own', () => {
    const parsed = { family: 'web', containerDefinitions: [] };
    expect(withFieldsTheSdkDropped(parsed, undefined, 'x', 'service')).toBe(parsed);
  });
});

describe('registerTaskDefinition', () => {
  it('registers every field, says which it carried, and returns the revision with them', async () => {
    const io = recordingIO();
    const registered = await registerTaskDefinition(ecs(), patched(), io);
    expect(registered.taskDefinitionArn).toBe(
      'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
    );
    const stored = aws.ecs.taskDefinition(registered.taskDefinitionArn)!;
    expect(stored.body).toMatchObject({
      futureTaskSetting: { mode: 'strict' },
      containerDefinitions: [
        { futureContainerSetting: 1 },
        { linuxParameters: { futureLinuxSetting: 'on' } },
      ],
    });
    // ECS converted the task size; the check takes "1 vCPU" as "1024".
    expect(stored.body).toMatchObject({ cpu: '1024', memory: '2048' });
    expect(registered.taskDefinition).toMatchObject({
      futureTaskSetting: { mode: 'strict' },
      containerDefinitions: [{ futureContainerSetting: 1 }, {}],
    });
    expect(io.text('info')).toEqual([
      'Sent 3 field(s) the bundled AWS SDK does not know to ECS as they are: futureTaskSetting, containerDefinitions[0].futureContainerSetting, containerDefinitions[1].linuxParameters.futureLinuxSetting',
    ]);
  });

  it('fails, naming the field and the revision left registered, when ECS drops a field', async () => {
    aws.ecs.dropSilently('LinuxParameters.futureLinuxSetting');
    const error = await registerTaskDefinition(ecs(), patched()).catch((e) => e);
    expect(error).toBeInstanceOf(FieldsLostError);
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
    expect((error as FieldsLostError).taskDefinitionArn).toBe(arn);
    expect((error as Error).message).toContain(
      `ecs:RegisterTaskDefinition registered ${arn}, but ECS's answer lacks 1 field(s) that were sent:\n- containerDefinitions[1].linuxParameters.futureLinuxSetting (sent "on"; the revision has none) [unknown to the bundled AWS SDK]`,
    );
    expect((error as Error).message).toContain(
      `${arn} stays registered, unused: no service was updated to it and no task was started from it`,
    );
    expect(aws.ecs.taskDefinition(arn)).toBeDefined();
  });

  it('names a field the SDK knows when ECS drops that one', async () => {
    aws.ecs.dropSilently('LinuxParameters.initProcessEnabled');
    const error = await registerTaskDefinition(ecs(), patched()).catch((e) => e);
    expect((error as Error).message).toContain(
      '- containerDefinitions[1].linuxParameters.initProcessEnabled (sent true; the revision has none)\n',
    );
    expect((error as Error).message).not.toContain('[unknown to the bundled AWS SDK]');
  });

  it('names the carried fields when ECS refuses the request', async () => {
    const td = patched();
    Object.assign(td.containerDefinitions[1]!, { futureTypoSetting: true });
    const error = await registerTaskDefinition(ecs(), td).catch((e) => e);
    const message = (error as Error).message;
    expect(message).toContain(
      "ecs:RegisterTaskDefinition on task definition family web failed: ClientException: Unexpected key 'futureTypoSetting' found in params.containerDefinitions[1]",
    );
    expect(message).toContain(
      'The request carried 4 field(s) the bundled AWS SDK does not know, as the task definition has them: futureTaskSetting, containerDefinitions[0].futureContainerSetting, containerDefinitions[1].linuxParameters.futureLinuxSetting, containerDefinitions[1].futureTypoSetting.',
    );
    expect(message).toContain('Nothing was registered');
    expect(aws.ecs.taskDefinitions).toEqual([]);
  });

  it('checks nothing against an answer that did not come from ECS (a test double)', async () => {
    const double = ecsApi({
      registerTaskDefinition: async () => ({
        taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:1:task-definition/web:2' },
      }),
    });
    const registered = await registerTaskDefinition(double, patched());
    expect(registered.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:1:task-definition/web:2');
  });
});

describe('deploy', () => {
  it('updates no service to a revision that lost a field', async () => {
    const old = aws.ecs.addTaskDefinition({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'nginx' }],
    });
    aws.ecs.addService({ cluster: 'prod', name: 'web', taskDefinition: old });
    aws.ecs.dropSilently('RegisterTaskDefinitionRequest.futureTaskSetting');
    const error = await deploy(ecs(), recordingIO(), {
      cluster: 'prod',
      service: 'web',
      taskDefinition: patched(),
      forceNewDeployment: false,
      previousTaskDefinitionArn: old,
    }).catch((e) => e);
    expect((error as Error).cause).toBeInstanceOf(FieldsLostError);
    expect((error as Error).message).toContain('- futureTaskSetting (sent {"mode":"strict"}');
    expect((error as Error).message).toContain(
      `\nService web was not updated: it still runs ${old}`,
    );
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(aws.ecs.service('web', 'prod').taskDefinition).toBe(old);
  });
});
