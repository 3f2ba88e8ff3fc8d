// The real SDK clients, configured only by the environment, against the loopback AWS endpoint:
// endpoint and region from env, user agent, the standard retry riding out throttling, and the
// errors a misconfigured runner gets.
import { createAwsApis, createAwsClients, type AwsClients } from '../../src/aws/clients';
import { AwsCallError } from '../../src/aws/errors';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';

let aws: FakeAws;
let restoreEnv: (() => void) | undefined;
let clients: AwsClients | undefined;

beforeEach(async () => {
  aws = new FakeAws();
  await aws.start();
  const td = aws.ecs.addTaskDefinition({
    family: 'web',
    containerDefinitions: [{ name: 'web', image: 'nginx' }],
  });
  aws.ecs.addService({ cluster: 'prod', name: 'web', taskDefinition: td });
});

afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  restoreEnv?.();
  restoreEnv = undefined;
  jest.restoreAllMocks();
  await aws.close();
});

function apis(env: Record<string, string | undefined> = {}) {
  restoreEnv = useFakeAwsEnv(aws, env);
  clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/1.2.3' });
  return createAwsApis(clients);
}

it('reaches AWS_ENDPOINT_URL in AWS_REGION, signed, with the user agent', async () => {
  const { ecs, secrets, logs } = apis();
  aws.secrets.add('db');
  aws.logs.put('/ecs/web', 'ecs/web/1', ['hello']);
  await ecs.describeServices({ cluster: 'prod', services: ['web'] });
  await secrets.describeSecret({ SecretId: 'db' });
  await logs.getLogEvents({ logGroupName: '/ecs/web', logStreamName: 'ecs/web/1' });
  expect(aws.calls.map((c) => [c.service, c.operation, c.region, c.signed])).toEqual([
    ['ecs', 'DescribeServices', 'us-east-1', true],
    ['secretsmanager', 'DescribeSecret', 'us-east-1', true],
    ['logs', 'GetLogEvents', 'us-east-1', true],
  ]);
  for (const call of aws.calls) expect(call.userAgent).toContain('atlas-ecs-deploy/1.2.3');
});

it('honours a per-service endpoint (AWS_ENDPOINT_URL_ECS)', async () => {
  const other = new FakeAws();
  await other.start();
  try {
    const td = other.ecs.addTaskDefinition({
      family: 'api',
      containerDefinitions: [{ name: 'api', image: 'nginx' }],
    });
    other.ecs.addService({ cluster: 'prod', name: 'api', taskDefinition: td });
    const { ecs, secrets } = apis({ AWS_ENDPOINT_URL_ECS: other.url });
    aws.secrets.add('db');
    const answer = await ecs.describeServices({ cluster: 'prod', services: ['api'] });
    expect(answer.services?.[0]?.serviceName).toBe('api');
    await secrets.describeSecret({ SecretId: 'db' });
    expect(other.calls.map((c) => c.operation)).toEqual(['DescribeServices']);
    expect(aws.calls.map((c) => c.operation)).toEqual(['DescribeSecret']);
  } finally {
    await other.close();
  }
});

it('rides out throttling with the standard retry', async () => {
  // The SDK's backoff is a random fraction of 1 s, 2 s…: pin the fraction so the test waits ms.
  jest.spyOn(Math, 'random').mockReturnValue(0.001);
  const { ecs } = apis();
  aws.throttle('DescribeServices', 3);
  const answer = await ecs.describeServices({ cluster: 'prod', services: ['web'] });
  expect(answer.services?.[0]?.serviceName).toBe('web');
  expect(aws.callsOf('DescribeServices').map((c) => c.error)).toEqual([
    'ThrottlingException',
    'ThrottlingException',
    'ThrottlingException',
    undefined,
  ]);
});

it('gives up after the attempts with a transient AwsCallError', async () => {
  jest.spyOn(Math, 'random').mockReturnValue(0.001);
  const { ecs } = apis();
  aws.throttle('DescribeServices', 10);
  const error = await ecs.describeServices({ cluster: 'prod', services: ['web'] }).catch((e) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error).toMatchObject({ code: 'ThrottlingException', transient: true, httpStatus: 400 });
  expect(aws.callsOf('DescribeServices')).toHaveLength(5);
});

it('does not retry a client error', async () => {
  const { ecs } = apis();
  const error = await ecs.describeServices({ cluster: 'nope', services: ['web'] }).catch((e) => e);
  expect(error).toMatchObject({ code: 'ClusterNotFoundException', transient: false });
  expect(error.fix).toContain("'cluster' input");
  expect(aws.calls).toHaveLength(1);
});

it('explains a missing region', async () => {
  const { ecs } = apis({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
  const error = await ecs.describeServices({ cluster: 'prod', services: ['web'] }).catch((e) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error.fix).toContain('AWS_REGION');
  expect(aws.calls).toHaveLength(0);
});

it('explains missing credentials', async () => {
  const { ecs } = apis({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
  const error = await ecs.describeServices({ cluster: 'prod', services: ['web'] }).catch((e) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error.code).toBe('CredentialsProviderError');
  expect(error.fix).toContain('configure-aws-credentials');
  expect(aws.calls).toHaveLength(0);
});
