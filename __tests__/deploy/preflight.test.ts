// The pre-flight over mocked SDK clients: what it resolves, what it refuses (together), and that
// it never sends anything but Describe calls.
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createEcsApi, createSecretsApi } from '../../src/aws/clients';
import { AwsCallError } from '../../src/aws/errors';
import {
  preflight,
  preflightRequest,
  type Preflight,
  type PreflightRequest,
} from '../../src/deploy/preflight';
import { migrationRunTaskInput, type MigrationTaskRequest } from '../../src/deploy/run-task';
import { InputError, ValidationErrors } from '../../src/errors';

const ecsMock = mockClient(ECSClient);
const secretsMock = mockClient(SecretsManagerClient);

const CURRENT = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123';
const meta = { $metadata: { httpStatusCode: 400 } };

const apis = () => ({
  ecs: createEcsApi(new ECSClient({ region: 'us-east-1' })),
  secrets: createSecretsApi(new SecretsManagerClient({ region: 'us-east-1' })),
});

function service(fields: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    status: 'ACTIVE',
    desiredCount: 2,
    launchType: 'FARGATE',
    taskDefinition: CURRENT,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    networkConfiguration: {
      awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] },
    },
    deployments: [
      { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: CURRENT, rolloutState: 'COMPLETED' },
    ],
    ...fields,
  };
}

const taskDefinition = (fields: Record<string, unknown> = {}) => ({
  taskDefinitionArn: CURRENT,
  family: 'web',
  revision: 7,
  status: 'ACTIVE' as const,
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
  ...fields,
});

const request = (fields: Partial<PreflightRequest> = {}): PreflightRequest => ({
  cluster: 'prod',
  service: 'web',
  taskDefinition: { kind: 'service' },
  databaseUrlSecret: 'prod/db',
  ...fields,
});

beforeEach(() => {
  ecsMock.reset();
  secretsMock.reset();
  ecsMock.on(DescribeServicesCommand).resolves({ services: [service()], failures: [] });
  ecsMock
    .on(DescribeTaskDefinitionCommand)
    .resolves({ taskDefinition: taskDefinition(), tags: [{ key: 'team', value: 'db' }] });
  secretsMock.on(DescribeSecretCommand).resolves({ ARN: SECRET_ARN, Name: 'prod/db' });
});

afterAll(() => {
  ecsMock.restore();
  secretsMock.restore();
});

function onlyReads(): void {
  const names = [...ecsMock.calls(), ...secretsMock.calls()].map(
    (call) => (call.args[0] as { constructor: { name: string } }).constructor.name,
  );
  for (const name of names) expect(name).toMatch(/^Describe\w+Command$/);
}

it("resolves the service, its current task definition with tags, and the secret's ARN", async () => {
  const result = await preflight(request(), apis());
  expect(result).toMatchObject({
    cluster: 'prod',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
    previousTaskDefinitionArn: CURRENT,
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    circuitBreaker: { enable: true, rollback: true },
    taskDefinitionLabel: 'web:7',
    databaseUrlSecretValueFrom: SECRET_ARN,
    warnings: [],
  });
  expect(result.taskDefinition.tags).toEqual([{ key: 'team', value: 'db' }]);
  expect(result.taskDefinition.taskDefinition.family).toBe('web');
  expect(ecsMock.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({
    cluster: 'prod',
    services: ['web'],
  });
  expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
    taskDefinition: CURRENT,
    include: ['TAGS'],
  });
  expect(secretsMock.commandCalls(DescribeSecretCommand)[0]!.args[0].input).toEqual({
    SecretId: 'prod/db',
  });
  onlyReads();
});

/** A run-task migration task placed by the pre-flight's answer. */
const runTaskRequest = (placement: Preflight): MigrationTaskRequest => ({
  preflight: placement,
  taskDefinition: {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web-migrate:1',
    taskDefinition: { networkMode: 'awsvpc', containerDefinitions: [{ name: 'atlas' }] },
  },
  containerName: 'atlas',
  clientToken: 'token-1',
});

it("takes the service's capacity provider strategy and platform version, for RunTask", async () => {
  const strategy = [
    { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0 },
    { capacityProvider: 'FARGATE', weight: 1, base: 1 },
  ];
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      service({
        launchType: undefined,
        capacityProviderStrategy: strategy,
        platformVersion: '1.4.0',
      }),
    ],
    failures: [],
  });
  const result = await preflight(request(), apis());
  expect(result).toMatchObject({
    launchType: undefined,
    capacityProviderStrategy: strategy,
    platformVersion: '1.4.0',
  });
  // A Preflight is the migration task's placement: RunTask runs where the service runs.
  const input = migrationRunTaskInput(runTaskRequest(result));
  expect(input).toMatchObject({
    cluster: 'prod',
    capacityProviderStrategy: strategy,
    platformVersion: '1.4.0',
    networkConfiguration: {
      awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] },
    },
  });
  expect(input).not.toHaveProperty('launchType');
});

it('has neither for a service on a launch type with no platform version', async () => {
  const result = await preflight(request(), apis());
  expect(result.capacityProviderStrategy).toBeUndefined();
  expect(result.platformVersion).toBeUndefined();
  expect(migrationRunTaskInput(runTaskRequest(result))).toMatchObject({ launchType: 'FARGATE' });
});

it.each([
  [{ kind: 'family', family: 'web' } as const, 'web'],
  [{ kind: 'family-revision', family: 'web', revision: 5 } as const, 'web:5'],
  [
    { kind: 'arn', arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:5' } as const,
    'arn:aws:ecs:us-east-1:123456789012:task-definition/web:5',
  ],
])('describes a task definition given as %j', async (source, identifier) => {
  await preflight(request({ taskDefinition: source }), apis());
  expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
    taskDefinition: identifier,
    include: ['TAGS'],
  });
});

it('uses a parsed file without describing any task definition', async () => {
  const file = {
    taskDefinition: {
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'x' }],
      executionRoleArn: 'r',
    },
    tags: undefined,
  };
  const result = await preflight(
    request({ taskDefinition: { kind: 'file', path: '/w/td.json' }, taskDefinitionFile: file }),
    apis(),
  );
  expect(result.taskDefinition).toBe(file);
  expect(result.taskDefinitionLabel).toBe('web (from the file)');
  expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(0);
});

it('keeps the JSON key suffix of a secret given by ARN', async () => {
  const result = await preflight(request({ databaseUrlSecret: `${SECRET_ARN}:url::` }), apis());
  expect(secretsMock.commandCalls(DescribeSecretCommand)[0]!.args[0].input).toEqual({
    SecretId: SECRET_ARN,
  });
  expect(result.databaseUrlSecretValueFrom).toBe(`${SECRET_ARN}:url::`);
});

it('skips the secret when none is given', async () => {
  const result = await preflight(request({ databaseUrlSecret: undefined }), apis());
  expect(result.databaseUrlSecretValueFrom).toBeUndefined();
  expect(secretsMock.calls()).toHaveLength(0);
});

it('reports a missing service clearly (DescribeServices failures MISSING)', async () => {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [],
    failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web', reason: 'MISSING' }],
  });
  const error = await preflight(request(), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error.message).toBe(
    'Input \'service\': no service "web" in cluster "prod" (DescribeServices: MISSING). Fix: check the service name and the \'cluster\' input, and that AWS_REGION is the region the service runs in',
  );
  expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(0);
});

it('passes a missing cluster on with its fix', async () => {
  ecsMock
    .on(DescribeServicesCommand)
    .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', ...meta }));
  const error = await preflight(request(), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error.message).toContain("Fix: check the 'cluster' input");
});

it('refuses CODE_DEPLOY and a missing secret together, writing nothing', async () => {
  ecsMock
    .on(DescribeServicesCommand)
    .resolves({ services: [service({ deploymentController: { type: 'CODE_DEPLOY' } })] });
  secretsMock.on(DescribeSecretCommand).rejects(
    new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      ...meta,
    }),
  );
  const error = await preflight(request(), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationErrors);
  const messages = (error as ValidationErrors).errors.map((e) => e.message);
  expect(messages).toHaveLength(2);
  expect(messages[0]).toContain('CODE_DEPLOY deployment controller');
  expect(messages[1]).toContain(
    'Input \'database-url-secret\': no Secrets Manager secret "prod/db"',
  );
  onlyReads();
});

it('reports a DRAINING service and an undescribable task definition together', async () => {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [service({ status: 'DRAINING' })] });
  ecsMock
    .on(DescribeTaskDefinitionCommand)
    .rejects(
      Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }),
    );
  const error = await preflight(
    request({ taskDefinition: { kind: 'family-revision', family: 'web', revision: 99 } }),
    apis(),
  ).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationErrors);
  expect(error.message).toContain('is DRAINING');
  expect(error.message).toContain('"web:99" cannot be described');
});

it("does not describe the service's task definition when the service is unusable", async () => {
  ecsMock
    .on(DescribeServicesCommand)
    .resolves({ services: [service({ deploymentController: { type: 'EXTERNAL' } })] });
  const error = await preflight(request({ databaseUrlSecret: undefined }), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error.message).toContain('EXTERNAL deployment controller');
  expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(0);
});

it('requires an execution role when the migration reads a secret', async () => {
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: taskDefinition({ executionRoleArn: undefined }),
  });
  const error = await preflight(request(), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error.input).toBe('task-definition');
  expect(error.message).toContain('web:7 has no executionRoleArn');
  expect(error.message).toContain('DATABASE_URL');
});

it('requires an execution role when another container reads secrets', async () => {
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: taskDefinition({
      executionRoleArn: undefined,
      containerDefinitions: [
        { name: 'web', image: 'x', secrets: [{ name: 'K', valueFrom: 'arn:s' }] },
      ],
    }),
  });
  const error = await preflight(request({ databaseUrlSecret: undefined }), apis()).catch((e) => e);
  expect(error.message).toContain('container(s) "web" read secrets');
});

it('warns about a deployment in progress, no circuit breaker, and a desired count of 0', async () => {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      service({
        desiredCount: 0,
        deploymentConfiguration: {},
        deployments: [
          { id: 'ecs-svc/2', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
          { id: 'ecs-svc/1', status: 'ACTIVE', rolloutState: 'COMPLETED' },
        ],
      }),
    ],
  });
  const { warnings } = await preflight(request(), apis());
  expect(warnings).toHaveLength(3);
  expect(warnings[0]).toContain(
    'deployment in progress (ecs-svc/2 PRIMARY IN_PROGRESS, ecs-svc/1 ACTIVE COMPLETED)',
  );
  expect(warnings[1]).toContain('no deployment circuit breaker');
  expect(warnings[2]).toContain('desired count of 0');
});

describe('preflightRequest', () => {
  const settings = {
    cluster: 'prod',
    service: 'web',
    taskDefinition: { kind: 'service' } as const,
    databaseUrlSecret: 'prod/db',
  };

  it('takes what the pre-flight needs from the settings', () => {
    expect(preflightRequest(settings)).toEqual(request());
    const file = { taskDefinition: { family: 'web', containerDefinitions: [] }, tags: undefined };
    expect(preflightRequest({ ...settings, databaseUrlSecret: undefined }, file)).toEqual({
      cluster: 'prod',
      service: 'web',
      taskDefinition: { kind: 'service' },
      taskDefinitionFile: file,
    });
  });

  it('needs a service', () => {
    expect(() => preflightRequest({ ...settings, service: undefined })).toThrow(
      "Input 'service': is required to deploy",
    );
  });
});

it('refuses a file source without the parsed file', async () => {
  await expect(
    preflight(request({ taskDefinition: { kind: 'file', path: '/td.json' } }), apis()),
  ).rejects.toThrow('must be parsed by the caller');
});
