import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { createEcsApi } from '../../src/aws/clients';
import { deploy, primaryDeployment, registerInput } from '../../src/deploy/deploy';
import { rollback } from '../../src/deploy/rollback';
import { RemoteError } from '../../src/errors';
import type { RegisterTaskDefinitionJson } from '../../src/taskdef';
import { ecsApi, recordingIO } from './fakes';

const ecsMock = mockClient(ECSClient);
const ecs = () => createEcsApi(new ECSClient({ region: 'us-east-1' }));

const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';

const patched = (fields: Partial<RegisterTaskDefinitionJson> = {}): RegisterTaskDefinitionJson => ({
  family: 'web',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  containerDefinitions: [
    { name: 'atlas', image: 'repo@sha256:abc', essential: false },
    { name: 'web', image: 'nginx', dependsOn: [{ containerName: 'atlas', condition: 'SUCCESS' }] },
  ],
  tags: [{ key: 'team', value: 'db' }],
  ...fields,
});

const request = (td = patched()) => ({
  cluster: 'prod',
  service: 'web',
  taskDefinition: td,
  forceNewDeployment: false,
  previousTaskDefinitionArn: OLD,
});

beforeEach(() => {
  ecsMock.reset();
  ecsMock.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: NEW,
      family: 'web',
      revision: 8,
      containerDefinitions: [],
    },
    tags: [{ key: 'team', value: 'db' }],
  });
  ecsMock.on(UpdateServiceCommand).resolves({
    service: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      deployments: [
        { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: NEW, createdAt: new Date(1000) },
        { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: OLD },
      ],
    },
  });
});

afterAll(() => ecsMock.restore());

describe('registerInput', () => {
  it('drops the read-only fields and keeps tags', () => {
    const input = registerInput({
      ...patched(),
      taskDefinitionArn: OLD,
      revision: 7,
      status: 'ACTIVE',
      requiresAttributes: [],
      compatibilities: ['FARGATE'],
      registeredAt: '2024-01-01',
      registeredBy: 'me',
      deregisteredAt: '2024-01-02',
    });
    expect(Object.keys(input).sort()).toEqual(
      ['containerDefinitions', 'executionRoleArn', 'family', 'tags'].sort(),
    );
    expect(input.tags).toEqual([{ key: 'team', value: 'db' }]);
  });

  it('sends tags only when there are some', () => {
    expect('tags' in registerInput(patched({ tags: [] }))).toBe(false);
    expect('tags' in registerInput(patched({ tags: undefined }))).toBe(false);
  });

  it('does not touch its input', () => {
    const td = patched({ revision: 3 });
    registerInput(td);
    expect(td.revision).toBe(3);
  });
});

describe('deploy', () => {
  it('registers, then updates the service to the new revision', async () => {
    const io = recordingIO();
    const result = await deploy(ecs(), io, { ...request(), forceNewDeployment: true });
    expect(result).toEqual({
      taskDefinitionArn: NEW,
      registeredTaskDefinition: {
        taskDefinitionArn: NEW,
        family: 'web',
        revision: 8,
        containerDefinitions: [],
      },
      deploymentId: 'ecs-svc/2',
      deploymentCreatedAt: new Date(1000),
      previousTaskDefinitionArn: OLD,
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
    });
    const registered = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0]
      .input as RegisterTaskDefinitionCommandInput;
    expect(registered.family).toBe('web');
    expect(registered.tags).toEqual([{ key: 'team', value: 'db' }]);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      service: 'web',
      taskDefinition: NEW,
      forceNewDeployment: true,
    });
    expect(io.text('info')).toEqual([
      `Registered task definition ${NEW}`,
      `Updated service web: deployment ecs-svc/2 rolls out ${NEW} (it ran ${OLD})`,
    ]);
  });

  it('deploys an existing revision as it is, registering nothing', async () => {
    const io = recordingIO();
    const existing = {
      taskDefinitionArn: OLD,
      taskDefinition: { family: 'web', containerDefinitions: [] },
    };
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
        deployments: [
          { id: 'ecs-svc/3', status: 'PRIMARY', taskDefinition: OLD, createdAt: new Date(2000) },
        ],
      },
    });
    const result = await deploy(ecs(), io, { ...request(), existing });
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({
      taskDefinition: OLD,
    });
    expect(result).toMatchObject({ taskDefinitionArn: OLD, deploymentId: 'ecs-svc/3' });
    expect(io.text('info')[0]).toContain('without a new revision');
  });

  it('never updates the service when the registration fails', async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(
      Object.assign(new Error("Unexpected key 'revision' found in params"), {
        name: 'ClientException',
      }),
    );
    await expect(deploy(ecs(), recordingIO(), request())).rejects.toThrow(
      "ecs:RegisterTaskDefinition on task definition family web failed: ClientException: Unexpected key 'revision' found in params",
    );
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses a registration answer without ARN, before any update', async () => {
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});
    await expect(deploy(ecs(), recordingIO(), request())).rejects.toThrow('no task definition ARN');
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('says the service still runs the old revision when the update fails', async () => {
    ecsMock
      .on(UpdateServiceCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const io = recordingIO();
    const failure = deploy(ecs(), io, request());
    await expect(failure).rejects.toThrow(
      new RegExp(
        `allow ecs:UpdateService.*\\nThe service was not updated: it still runs ${OLD}; ${NEW} stays registered, unused$`,
        's',
      ),
    );
    // One message, thrown: the step's only error annotation is made of it.
    expect(io.text('error')).toEqual([]);
  });

  it('refuses an answer without a PRIMARY deployment', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [] } });
    await expect(deploy(ecs(), recordingIO(), request())).rejects.toThrow('no PRIMARY deployment');
  });

  it('notices another deployment that raced this one', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({
      service: { deployments: [{ id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: 'other' }] },
    });
    const error = await deploy(ecs(), recordingIO(), request()).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toContain('the PRIMARY deployment ecs-svc/9 runs other');
  });
});

describe('primaryDeployment', () => {
  it('prefers the PRIMARY deployment of the revision', () => {
    expect(
      primaryDeployment(
        [
          { id: 'a', status: 'ACTIVE', taskDefinition: NEW },
          { id: 'b', status: 'PRIMARY', taskDefinition: OLD },
          { id: 'c', status: 'PRIMARY', taskDefinition: NEW },
        ],
        NEW,
      )?.id,
    ).toBe('c');
    expect(primaryDeployment([{ id: 'b', status: 'PRIMARY', taskDefinition: OLD }], NEW)?.id).toBe(
      'b',
    );
    expect(primaryDeployment(undefined, NEW)).toBeUndefined();
  });
});

describe('rollback', () => {
  it('puts the previous revision back and says so', async () => {
    const calls: unknown[] = [];
    const io = recordingIO();
    const result = await rollback(
      ecsApi({
        updateService: async (input) => {
          calls.push(input);
          return {
            service: { deployments: [{ id: 'ecs-svc/3', status: 'PRIMARY', taskDefinition: OLD }] },
          };
        },
      }),
      io,
      {
        cluster: 'prod',
        service: 'web',
        previousTaskDefinitionArn: OLD,
        failedTaskDefinitionArn: NEW,
      },
    );
    expect(calls).toEqual([{ cluster: 'prod', service: 'web', taskDefinition: OLD }]);
    expect(result).toEqual({
      rolledBack: true,
      method: 'update-service',
      taskDefinitionArn: OLD,
      deploymentId: 'ecs-svc/3',
    });
    expect(io.text('warning')).toEqual([
      `Rolled service web back to ${OLD} (deployment ecs-svc/3); ${NEW} stays registered for inspection`,
    ]);
  });

  it('never throws: a failed rollback is reported, with the command to do it by hand', async () => {
    const io = recordingIO();
    const result = await rollback(
      ecsApi({
        updateService: async () => {
          throw new Error('ServiceNotActiveException');
        },
      }),
      io,
      {
        cluster: 'prod',
        service: 'web',
        previousTaskDefinitionArn: OLD,
        failedTaskDefinitionArn: NEW,
      },
    );
    expect(result).toEqual({
      rolledBack: false,
      method: 'update-service',
      error: 'ServiceNotActiveException',
    });
    expect(io.text('error')[0]).toContain(
      `aws ecs update-service --cluster prod --service web --task-definition ${OLD}`,
    );
  });
});
