// Fields the bundled @aws-sdk/client-ecs model does not know, through the real SDK against the
// loopback ECS: what the SDK does with them by itself (drops them, both ways), and what the
// middlewares of createAwsClients make of it (carried to RegisterTaskDefinition as they are, kept in
// ECS's own JSON of the answers), with the SDK's signing, content-length and retries still working.
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { carriedFieldsOf, UncarriedFieldsError } from '../../src/aws/carry-fields';
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { AwsCallError } from '../../src/aws/errors';
import { rawAnswerOf } from '../../src/aws/raw-json';
import { formatFieldPath } from '../../src/taskdef/unknown-fields';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';

let aws: FakeAws;
let restoreEnv: (() => void) | undefined;
let clients: AwsClients | undefined;
const bare: ECSClient[] = [];

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
  restoreEnv = useFakeAwsEnv(aws);
});

afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  for (const client of bare.splice(0)) client.destroy();
  restoreEnv?.();
  restoreEnv = undefined;
  jest.restoreAllMocks();
  await aws.close();
});

function ecs() {
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/1.2.3' });
  return createAwsApis(clients).ecs;
}

/** A task definition with fields the bundled model lacks at three depths (FIELDS_BEYOND_SDK). */
function withFutureFields(): RegisterTaskDefinitionRequest {
  return {
    family: 'web',
    futureTaskSetting: { mode: 'strict', levels: [1, 2] },
    containerDefinitions: [
      {
        name: 'web',
        image: 'nginx',
        futureContainerSetting: 'on',
        linuxParameters: { initProcessEnabled: true, futureLinuxSetting: { depth: 3 } },
      },
    ],
    tags: [{ key: 'team', value: 'db' }],
  } as unknown as RegisterTaskDefinitionRequest;
}

describe('the bundled SDK by itself', () => {
  it('drops every member its model lacks from RegisterTaskDefinition, and from the answer', async () => {
    const client = new ECSClient({});
    bare.push(client);
    const answer = await client.send(new RegisterTaskDefinitionCommand(withFutureFields()));
    const sent = aws.callsOf('RegisterTaskDefinition')[0]!.body;
    expect(sent).toEqual({
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'nginx', linuxParameters: { initProcessEnabled: true } },
      ],
      tags: [{ key: 'team', value: 'db' }],
    });

    // The fake keeps what it is sent: a fixture holding the fields comes back without them.
    aws.ecs.addTaskDefinition({ ...(withFutureFields() as object), family: 'api' } as never);
    const described = await client.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }),
    );
    expect(described.taskDefinition).not.toHaveProperty('futureTaskSetting');
    expect(described.taskDefinition?.containerDefinitions?.[0]).not.toHaveProperty(
      'futureContainerSetting',
    );
    expect(rawAnswerOf(answer)).toBeUndefined();
  });
});

describe('createAwsClients', () => {
  it('carries them to RegisterTaskDefinition at every depth, signed, with the right content-length', async () => {
    const answer = await ecs().registerTaskDefinition(withFutureFields());
    const calls = aws.callsOf('RegisterTaskDefinition');
    expect(calls).toHaveLength(1);
    // The fake parsed exactly content-length bytes: a stale length would have cut the JSON.
    expect(calls[0]!.body).toEqual(withFutureFields());
    expect(calls[0]!.signed).toBe(true);
    expect(calls[0]!.error).toBeUndefined();
    expect(carriedFieldsOf(answer).map(formatFieldPath)).toEqual([
      'futureTaskSetting',
      'containerDefinitions[0].futureContainerSetting',
      'containerDefinitions[0].linuxParameters.futureLinuxSetting',
    ]);

    // The SDK's reading of the answer lacks them; ECS's own JSON, kept beside it, has them.
    expect(answer.taskDefinition).not.toHaveProperty('futureTaskSetting');
    const raw = rawAnswerOf(answer)!;
    expect(raw.taskDefinition).toMatchObject({
      futureTaskSetting: { mode: 'strict', levels: [1, 2] },
      containerDefinitions: [
        {
          futureContainerSetting: 'on',
          linuxParameters: { initProcessEnabled: true, futureLinuxSetting: { depth: 3 } },
        },
      ],
    });
    expect(raw.tags).toEqual([{ key: 'team', value: 'db' }]);
    // Kept off the enumerable members: JSON of the output is the SDK's own.
    expect(JSON.stringify(answer)).not.toContain('futureTaskSetting');
  });

  it('sends the SDK’s own body when nothing is unknown to it', async () => {
    const input = {
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
    };
    const answer = await ecs().registerTaskDefinition(input);
    expect(aws.callsOf('RegisterTaskDefinition')[0]!.body).toEqual(input);
    expect(carriedFieldsOf(answer)).toEqual([]);
  });

  it('keeps carrying them on every attempt of the standard retry', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.001);
    aws.throttle('RegisterTaskDefinition', 2);
    await ecs().registerTaskDefinition(withFutureFields());
    const calls = aws.callsOf('RegisterTaskDefinition');
    expect(calls.map((c) => c.error)).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      undefined,
    ]);
    for (const call of calls) expect(call.body).toEqual(withFutureFields());
  });

  it('keeps ECS’s JSON of DescribeTaskDefinition, and leaves other answers alone', async () => {
    const { tags, ...body } = withFutureFields();
    aws.ecs.addTaskDefinition(body as never, tags as never);
    const api = ecs();
    const described = await api.describeTaskDefinition({
      taskDefinition: 'web',
      include: ['TAGS'],
    });
    expect(rawAnswerOf(described)?.taskDefinition).toMatchObject({
      futureTaskSetting: { mode: 'strict', levels: [1, 2] },
    });
    expect(rawAnswerOf(described)?.tags).toEqual([{ key: 'team', value: 'db' }]);
    // The SDK still parsed the same bytes: its own reading is whole.
    expect(described.taskDefinition?.containerDefinitions?.[0]?.linuxParameters).toEqual({
      initProcessEnabled: true,
    });
    expect(described.taskDefinition?.registeredAt).toBeInstanceOf(Date);

    aws.ecs.addService({ cluster: 'prod', name: 'web', taskDefinition: 'web:1' });
    const services = await api.describeServices({ cluster: 'prod', services: ['web'] });
    expect(rawAnswerOf(services)).toBeUndefined();
  });

  it('keeps the SDK’s errors as they are: a refusal is parsed, not kept', async () => {
    const api = ecs();
    const error = await api.describeTaskDefinition({ taskDefinition: 'nope' }).catch((e) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).code).toBe('ClientException');
    expect((error as AwsCallError).message).toContain('Unable to describe task definition.');
  });

  it('refuses before sending anything when the SDK changed a field into something else', async () => {
    const input = {
      family: 'web',
      // A list where the model has a structure: the SDK writes `{}`, so it cannot go as it is.
      containerDefinitions: [{ name: 'web', image: 'nginx', linuxParameters: [{ x: 1 }] }],
    } as unknown as RegisterTaskDefinitionRequest;
    const error = await ecs()
      .registerTaskDefinition(input)
      .catch((e) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).cause).toBeInstanceOf(UncarriedFieldsError);
    expect((error as Error).message).toContain(
      'containerDefinitions[0].linuxParameters as the task definition has it (an array, and its model makes it an object)',
    );
    expect((error as Error).message).toContain('nothing was sent');
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
  });

  it('leaves the verdict to ECS: a field it does not know is refused, named', async () => {
    const input = withFutureFields() as unknown as { containerDefinitions: object[] };
    Object.assign(input.containerDefinitions[0]!, { futureTypoSetting: 1 });
    const error = await ecs()
      .registerTaskDefinition(input as unknown as RegisterTaskDefinitionRequest)
      .catch((e) => e);
    expect((error as AwsCallError).code).toBe('ClientException');
    expect((error as Error).message).toContain(
      "Unexpected key 'futureTypoSetting' found in params.containerDefinitions[0]",
    );
    expect(carriedFieldsOf((error as AwsCallError).cause).map(formatFieldPath)).toContain(
      'containerDefinitions[0].futureTypoSetting',
    );
  });
});
