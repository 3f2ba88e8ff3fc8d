// The adapters over mocked SDK clients: inputs go through unchanged, outputs come back, and every
// failure becomes an AwsCallError with a fix.
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException as LogsNotFound,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCallError } from '../../src/aws/errors';
import {
  DEFAULT_MAX_ATTEMPTS,
  createAwsApis,
  createAwsClients,
  createEcrAuthApi,
  createEcsApi,
  createLogsApi,
  createSecretsApi,
} from '../../src/aws/clients';

const ecsMock = mockClient(ECSClient);
const logsMock = mockClient(CloudWatchLogsClient);
const secretsMock = mockClient(SecretsManagerClient);
const ecrMock = mockClient(ECRClient);

beforeEach(() => {
  ecsMock.reset();
  logsMock.reset();
  secretsMock.reset();
  ecrMock.reset();
});

afterAll(() => {
  ecsMock.restore();
  logsMock.restore();
  secretsMock.restore();
  ecrMock.restore();
});

const ecs = () => createEcsApi(new ECSClient({ region: 'us-east-1' }));
const meta = { $metadata: { httpStatusCode: 400 } };

async function rejection(promise: Promise<unknown>): Promise<AwsCallError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AwsCallError);
    return error as AwsCallError;
  }
  throw new Error('expected a rejection');
}

describe('ECS adapter', () => {
  it('sends each operation with its input and returns the output', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web' }] });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'web' } });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { revision: 2 } });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { serviceName: 'web' } });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ['t'] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: 't' }] });
    const api = ecs();
    await expect(
      api.describeServices({ cluster: 'prod', services: ['web'] }),
    ).resolves.toMatchObject({
      services: [{ serviceName: 'web' }],
    });
    await expect(
      api.describeTaskDefinition({ taskDefinition: 'web', include: ['TAGS'] }),
    ).resolves.toMatchObject({
      taskDefinition: { family: 'web' },
    });
    await expect(
      api.registerTaskDefinition({ family: 'web', containerDefinitions: [] }),
    ).resolves.toMatchObject({ taskDefinition: { revision: 2 } });
    await expect(api.updateService({ service: 'web', taskDefinition: 'x' })).resolves.toMatchObject(
      {
        service: { serviceName: 'web' },
      },
    );
    await expect(api.listTasks({ startedBy: 'ecs-svc/1' })).resolves.toEqual({ taskArns: ['t'] });
    await expect(api.describeTasks({ tasks: ['t'] })).resolves.toEqual({
      tasks: [{ taskArn: 't' }],
    });
    expect(ecsMock.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      services: ['web'],
    });
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      taskDefinition: 'web',
      include: ['TAGS'],
    });
  });

  it('turns an access denial into a fix naming the IAM action', async () => {
    ecsMock.on(UpdateServiceCommand).rejects(
      new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/deploy/gh is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/prod/web',
        ...meta,
      }),
    );
    const error = await rejection(ecs().updateService({ cluster: 'prod', service: 'web' }));
    expect(error.operation).toBe('ecs:UpdateService');
    expect(error.target).toBe('service web in cluster prod');
    expect(error.code).toBe('AccessDeniedException');
    expect(error.fix).toContain('allow ecs:UpdateService');
    expect(error.message).toContain('is not authorized to perform: ecs:UpdateService');
  });

  it('says what RegisterTaskDefinition needs besides itself', async () => {
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .rejects(new AccessDeniedException({ message: 'denied', ...meta }));
    const error = await rejection(
      ecs().registerTaskDefinition({ family: 'web', containerDefinitions: [] }),
    );
    expect(error.target).toBe('task definition family web');
    expect(error.fix).toContain('iam:PassRole');
  });

  it('explains a missing cluster and a missing service', async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', ...meta }));
    ecsMock
      .on(UpdateServiceCommand)
      .rejects(new ServiceNotFoundException({ message: 'Service not found.', ...meta }));
    const cluster = await rejection(ecs().describeServices({ services: ['web'] }));
    expect(cluster.target).toBe('service web in cluster default');
    expect(cluster.fix).toContain("'cluster' input");
    const service = await rejection(ecs().updateService({ cluster: 'prod', service: 'web' }));
    expect(service.fix).toContain("'service' and 'cluster' inputs");
  });

  it('names the tasks a ListTasks or DescribeTasks was about', async () => {
    ecsMock.on(ListTasksCommand).rejects(new Error('boom'));
    ecsMock.on(DescribeTasksCommand).rejects(new Error('boom'));
    expect(
      (await rejection(ecs().listTasks({ cluster: 'c', startedBy: 'ecs-svc/1' }))).target,
    ).toBe('tasks started by ecs-svc/1 in cluster c');
    expect((await rejection(ecs().describeTasks({ cluster: 'c', tasks: ['a', 'b'] }))).target).toBe(
      '2 task(s) in cluster c',
    );
  });
});

describe('Logs, Secrets Manager and ECR adapters', () => {
  it('reads log events and explains a missing stream', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ message: 'hi' }] })
      .rejects(new LogsNotFound({ message: 'The specified log stream does not exist.', ...meta }));
    const logs = createLogsApi(new CloudWatchLogsClient({ region: 'us-east-1' }));
    await expect(logs.getLogEvents({ logGroupName: 'g', logStreamName: 's' })).resolves.toEqual({
      events: [{ message: 'hi' }],
    });
    const error = await rejection(logs.getLogEvents({ logGroupName: 'g', logStreamName: 's' }));
    expect(error.code).toBe('ResourceNotFoundException');
    expect(error.target).toBe('log stream s in log group g');
    expect(error.fix).toContain('awslogs-group');
  });

  it('describes a secret and explains a missing one', async () => {
    secretsMock
      .on(DescribeSecretCommand, { SecretId: 'db' })
      .resolves({ ARN: 'arn:x', Name: 'db' });
    secretsMock.on(DescribeSecretCommand, { SecretId: 'nope' }).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        ...meta,
      }),
    );
    const secrets = createSecretsApi(new SecretsManagerClient({ region: 'us-east-1' }));
    await expect(secrets.describeSecret({ SecretId: 'db' })).resolves.toMatchObject({
      ARN: 'arn:x',
    });
    const error = await rejection(secrets.describeSecret({ SecretId: 'nope' }));
    expect(error.operation).toBe('secretsmanager:DescribeSecret');
    expect(error.target).toBe('secret nope');
    expect(error.fix).toContain("'database-url-secret'");
  });

  it('gets an ECR token, naming the region on failure', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).rejectsOnce(new Error('Region is missing'));
    const ecr = createEcrAuthApi(new ECRClient({ region: 'eu-west-1' }), 'eu-west-1');
    const error = await rejection(ecr.getAuthorizationToken({}));
    expect(error.target).toBe('ECR in eu-west-1');
    expect(error.fix).toContain('AWS_REGION');
  });
});

describe('createAwsClients', () => {
  it('sets the user agent and the retry, and neither endpoint nor credentials', async () => {
    const clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/9.9.9' });
    try {
      for (const client of [clients.ecs, clients.ecr, clients.secretsManager, clients.logs]) {
        expect(await client.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
        expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
        expect(client.config.customUserAgent).toEqual([['atlas-ecs-deploy/9.9.9']]);
        // Left to the SDK's own resolution (AWS_ENDPOINT_URL…, the credential chain).
        expect((client.config as { endpoint?: unknown }).endpoint).toBeUndefined();
        expect(client.config.isCustomEndpoint).toBe(false);
      }
    } finally {
      clients.destroy();
    }
  });

  it('takes other retry settings', async () => {
    const clients = createAwsClients({ userAgent: 'x', maxAttempts: 2, retryMode: 'adaptive' });
    try {
      expect(await clients.ecs.config.maxAttempts()).toBe(2);
      expect(((await clients.ecs.config.retryStrategy()) as { mode?: string }).mode).toBe(
        'adaptive',
      );
    } finally {
      clients.destroy();
    }
  });

  it('creates one client per other region, in that region', async () => {
    const clients = createAwsClients({ userAgent: 'x' });
    try {
      const ecr = clients.ecrInRegion('ap-southeast-2');
      expect(clients.ecrInRegion('ap-southeast-2')).toBe(ecr);
      expect(await ecr.config.region()).toBe('ap-southeast-2');
      const logs = clients.logsInRegion('eu-central-1');
      expect(clients.logsInRegion('eu-central-1')).toBe(logs);
      expect(await logs.config.region()).toBe('eu-central-1');
    } finally {
      clients.destroy();
    }
  });

  it('builds the APIs, reusing per-region ones', () => {
    const clients = createAwsClients({ userAgent: 'x' });
    try {
      const apis = createAwsApis(clients);
      expect(apis.ecrAuthInRegion('eu-west-1')).toBe(apis.ecrAuthInRegion('eu-west-1'));
      expect(apis.logsInRegion('eu-west-1')).toBe(apis.logsInRegion('eu-west-1'));
      expect(typeof apis.ecs.describeServices).toBe('function');
      expect(typeof apis.secrets.describeSecret).toBe('function');
    } finally {
      clients.destroy();
    }
  });
});
