// The loopback AWS endpoint itself, with raw JSON 1.1 requests: it must behave like ECS where the
// action depends on it, or the integration tests prove nothing.
import { FakeAws, WRITE_OPERATIONS, useFakeAwsEnv } from '../helpers/fake-aws';

let aws: FakeAws;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
});

afterEach(async () => {
  await aws.close();
});

async function send(
  target: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; type: string | null }> {
  const response = await fetch(`${aws.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    json: (await response.json()) as Record<string, unknown>,
  };
}

const ecs = (op: string, body: unknown) => send(`AmazonEC2ContainerServiceV20141113.${op}`, body);

const td = {
  family: 'web',
  containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
};

describe('RegisterTaskDefinition', () => {
  it.each(['revision', 'taskDefinitionArn', 'status', 'compatibilities', 'registeredAt'])(
    'rejects the read-only field %s as ECS does',
    async (field) => {
      const answer = await ecs('RegisterTaskDefinition', { ...td, [field]: 'x' });
      expect(answer.status).toBe(400);
      expect(answer.type).toBe('application/x-amz-json-1.1');
      expect(answer.json).toEqual({
        __type: 'ClientException',
        message: `Unexpected key '${field}' found in params`,
      });
    },
  );

  it('numbers revisions per family and gives tags back', async () => {
    const first = await ecs('RegisterTaskDefinition', { ...td, tags: [{ key: 'a', value: 'b' }] });
    const second = await ecs('RegisterTaskDefinition', td);
    expect(first.json.taskDefinition).toMatchObject({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      revision: 1,
      status: 'ACTIVE',
    });
    expect(first.json.tags).toEqual([{ key: 'a', value: 'b' }]);
    expect((second.json.taskDefinition as { revision: number }).revision).toBe(2);
  });

  it('refuses an essential container behind a SUCCESS condition', async () => {
    const answer = await ecs('RegisterTaskDefinition', {
      family: 'web',
      containerDefinitions: [
        { name: 'atlas', image: 'a', essential: true },
        { name: 'web', image: 'b', dependsOn: [{ containerName: 'atlas', condition: 'SUCCESS' }] },
      ],
    });
    expect(answer.json.message).toContain('must be non-essential');
  });

  it('refuses secrets without an execution role', async () => {
    const answer = await ecs('RegisterTaskDefinition', {
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'b', secrets: [{ name: 'DATABASE_URL', valueFrom: 'arn:s' }] },
      ],
    });
    expect(answer.json.message).toContain("'executionRoleArn'");
  });

  it('gives tags only when DescribeTaskDefinition asks for them', async () => {
    await ecs('RegisterTaskDefinition', { ...td, tags: [{ key: 'a', value: 'b' }] });
    expect(
      (await ecs('DescribeTaskDefinition', { taskDefinition: 'web' })).json,
    ).not.toHaveProperty('tags');
    expect(
      (await ecs('DescribeTaskDefinition', { taskDefinition: 'web:1', include: ['TAGS'] })).json
        .tags,
    ).toEqual([{ key: 'a', value: 'b' }]);
    expect((await ecs('DescribeTaskDefinition', { taskDefinition: 'web:5' })).json).toEqual({
      __type: 'ClientException',
      message: 'Unable to describe task definition.',
    });
  });
});

describe('services and deployments', () => {
  beforeEach(() => {
    const arn = aws.ecs.addTaskDefinition(td);
    aws.ecs.addService({ cluster: 'prod', name: 'web', taskDefinition: arn });
  });

  it('reports a missing service as a failure, a missing cluster as an error', async () => {
    const missing = await ecs('DescribeServices', { cluster: 'prod', services: ['api'] });
    expect(missing.json).toEqual({
      services: [],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api', reason: 'MISSING' }],
    });
    expect((await ecs('DescribeServices', { cluster: 'x', services: ['web'] })).json.__type).toBe(
      'ClusterNotFoundException',
    );
  });

  it('creates a PRIMARY deployment on UpdateService and demotes the old one', async () => {
    const next = (await ecs('RegisterTaskDefinition', td)).json.taskDefinition as {
      taskDefinitionArn: string;
    };
    const answer = await ecs('UpdateService', {
      cluster: 'prod',
      service: 'web',
      taskDefinition: next.taskDefinitionArn,
    });
    const deployments = (answer.json.service as { deployments: Array<Record<string, unknown>> })
      .deployments;
    expect(deployments.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
      ['PRIMARY', next.taskDefinitionArn, 'IN_PROGRESS'],
      ['ACTIVE', 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1', 'COMPLETED'],
    ]);
    expect(deployments[0]!.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(typeof deployments[0]!.createdAt).toBe('number');
  });

  it('refuses a new task definition for a CODE_DEPLOY service', async () => {
    const arn = aws.ecs.addTaskDefinition(td);
    aws.ecs.addService({
      cluster: 'prod',
      name: 'bg',
      taskDefinition: arn,
      deploymentController: 'CODE_DEPLOY',
    });
    const answer = await ecs('UpdateService', {
      cluster: 'prod',
      service: 'bg',
      taskDefinition: arn,
    });
    expect(answer.json.__type).toBe('InvalidParameterException');
    expect(answer.json.message).toContain('CODE_DEPLOY');
  });

  it('wants startedBy as the only task filter', async () => {
    const answer = await ecs('ListTasks', {
      cluster: 'prod',
      startedBy: 'ecs-svc/1',
      serviceName: 'web',
    });
    expect(answer.json.__type).toBe('InvalidParameterException');
    expect(
      (
        await ecs('ListTasks', {
          cluster: 'prod',
          startedBy: 'ecs-svc/1',
          desiredStatus: 'STOPPED',
        })
      ).json,
    ).toEqual({ taskArns: [] });
  });
});

describe('the endpoint', () => {
  it('answers unknown targets and non-JSON-1.1 requests with an error', async () => {
    expect((await send('Nope.DoIt', {})).json.__type).toBe('UnknownOperationException');
    const get = await fetch(`${aws.url}/x`);
    expect(get.status).toBe(400);
    await get.text();
  });

  it('throttles the first calls of an operation, and records everything', async () => {
    aws.throttle('DescribeSecret', 1);
    aws.secrets.add('db');
    const first = await send('secretsmanager.DescribeSecret', { SecretId: 'db' });
    const second = await send('secretsmanager.DescribeSecret', { SecretId: 'db' });
    expect(first).toMatchObject({
      status: 400,
      json: { __type: 'ThrottlingException', message: 'Rate exceeded' },
    });
    expect(second.json.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:db-\w{6}$/,
    );
    expect(aws.calls.map((c) => [c.service, c.operation, c.error, c.signed])).toEqual([
      ['secretsmanager', 'DescribeSecret', 'ThrottlingException', false],
      ['secretsmanager', 'DescribeSecret', undefined, false],
    ]);
    expect(aws.counts()).toEqual({ DescribeSecret: 1 });
    expect(aws.counts({ includeErrors: true })).toEqual({ DescribeSecret: 2 });
  });

  it('knows the writes', async () => {
    await ecs('RegisterTaskDefinition', td);
    await send('AmazonEC2ContainerRegistry_V20150921.PutImage', {});
    expect(aws.writes().map((c) => c.operation)).toEqual(['RegisterTaskDefinition', 'PutImage']);
    expect(WRITE_OPERATIONS.has('DescribeServices')).toBe(false);
  });

  it('serves log events, newest last, and a late stream as missing', async () => {
    aws.logs.put('/ecs/web', 'ecs/atlas/1', ['a', 'b', 'c']);
    aws.logs.delay('/ecs/web', 'ecs/atlas/1', 1);
    const logs = (body: unknown) => send('Logs_20140328.GetLogEvents', body);
    const request = { logGroupName: '/ecs/web', logStreamName: 'ecs/atlas/1', limit: 2 };
    expect((await logs(request)).json.__type).toBe('ResourceNotFoundException');
    const events = (await logs(request)).json.events as Array<{ message: string }>;
    expect(events.map((e) => e.message)).toEqual(['b', 'c']);
    expect((await logs({ ...request, logGroupName: 'nope' })).json.message).toBe(
      'The specified log group does not exist.',
    );
  });

  it('can be closed twice and started once', async () => {
    expect(await aws.start()).toBe(aws.url);
    await aws.close();
    await aws.close();
    expect(() => aws.url).toThrow('not started');
  });
});

describe('useFakeAwsEnv', () => {
  it('sets the SDK environment and puts it back', () => {
    const before = { ...process.env };
    const profile = process.env.AWS_PROFILE;
    process.env.AWS_PROFILE = 'real-profile';
    const restore = useFakeAwsEnv(aws, { AWS_MAX_ATTEMPTS: '2' });
    expect(process.env.AWS_ENDPOINT_URL).toBe(aws.url);
    expect(process.env.AWS_REGION).toBe('us-east-1');
    expect(process.env.AWS_PROFILE).toBeUndefined();
    expect(process.env.AWS_MAX_ATTEMPTS).toBe('2');
    restore();
    expect(process.env.AWS_PROFILE).toBe('real-profile');
    expect(process.env.AWS_ENDPOINT_URL).toBe(before.AWS_ENDPOINT_URL);
    if (profile === undefined) delete process.env.AWS_PROFILE;
    else process.env.AWS_PROFILE = profile;
  });
});
