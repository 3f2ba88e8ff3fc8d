// The pre-flight of input atlas-token-secret: resolved to its full ARN by DescribeSecret, as
// database-url-secret is, refused with its own input's name, and counted as a secret the
// execution role must fetch.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createEcsApi, createSecretsApi } from '../../src/aws/clients';
import { preflight, preflightRequest, type PreflightRequest } from '../../src/deploy/preflight';
import { ValidationErrors } from '../../src/errors';

const ecsMock = mockClient(ECSClient);
const secretsMock = mockClient(SecretsManagerClient);

const CURRENT = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const DB_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/atlas-token-XyZ789';

const apis = () => ({
  ecs: createEcsApi(new ECSClient({ region: 'us-east-1' })),
  secrets: createSecretsApi(new SecretsManagerClient({ region: 'us-east-1' })),
});

const request = (fields: Partial<PreflightRequest> = {}): PreflightRequest => ({
  cluster: 'prod',
  service: 'web',
  taskDefinition: { kind: 'service' },
  databaseUrlSecret: 'prod/db',
  atlasTokenSecret: 'prod/atlas-token',
  ...fields,
});

function taskDefinition(fields: Record<string, unknown> = {}) {
  return {
    taskDefinitionArn: CURRENT,
    family: 'web',
    revision: 7,
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
    ...fields,
  };
}

beforeEach(() => {
  ecsMock.reset();
  secretsMock.reset();
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'web',
        serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
        status: 'ACTIVE',
        desiredCount: 1,
        taskDefinition: CURRENT,
        deploymentController: { type: 'ECS' },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      },
    ],
  });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinition() });
  secretsMock
    .on(DescribeSecretCommand, { SecretId: 'prod/db' })
    .resolves({ ARN: DB_ARN, Name: 'prod/db' })
    .on(DescribeSecretCommand, { SecretId: 'prod/atlas-token' })
    .resolves({ ARN: TOKEN_ARN, Name: 'prod/atlas-token' });
});

afterAll(() => {
  ecsMock.restore();
  secretsMock.restore();
});

it('resolves both secrets to their full ARNs, a JSON key kept', async () => {
  const partial = TOKEN_ARN.slice(0, -7);
  secretsMock.on(DescribeSecretCommand, { SecretId: partial }).resolves({ ARN: TOKEN_ARN });
  const result = await preflight(request({ atlasTokenSecret: `${partial}:token::` }), apis());
  expect(result.databaseUrlSecretValueFrom).toBe(DB_ARN);
  expect(result.atlasTokenSecretValueFrom).toBe(`${TOKEN_ARN}:token::`);
  expect(secretsMock.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input)).toEqual([
    { SecretId: 'prod/db' },
    { SecretId: partial },
  ]);
  const byName = await preflight(request(), apis());
  expect(byName.atlasTokenSecretValueFrom).toBe(TOKEN_ARN);
});

it('a missing token secret is refused naming atlas-token-secret, with the other problems', async () => {
  secretsMock.on(DescribeSecretCommand, { SecretId: 'prod/atlas-token' }).rejects(
    new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    }),
  );
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: taskDefinition({ executionRoleArn: undefined }),
  });
  const error = await preflight(request(), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationErrors);
  const messages = (error as ValidationErrors).errors.map((e) => e.message);
  expect(messages).toEqual([
    expect.stringMatching(
      /^Input 'atlas-token-secret': no Secrets Manager secret "prod\/atlas-token" in this account and region\. Fix: create it/,
    ),
    expect.stringMatching(
      /^Input 'task-definition': web:7 has no executionRoleArn, and the migration container reads DATABASE_URL and ATLAS_TOKEN from secrets: ECS fetches secrets with the task execution role/,
    ),
  ]);
});

it('the request carries the input only when it is set', () => {
  const settings = {
    cluster: 'prod',
    service: 'web',
    taskDefinition: { kind: 'service' as const },
    databaseUrlSecret: undefined,
    imageRepository: undefined,
  };
  expect(preflightRequest({ ...settings, atlasTokenSecret: 'prod/atlas-token' })).toEqual({
    cluster: 'prod',
    service: 'web',
    taskDefinition: { kind: 'service' },
    atlasTokenSecret: 'prod/atlas-token',
  });
  expect(preflightRequest({ ...settings, atlasTokenSecret: undefined })).not.toHaveProperty(
    'atlasTokenSecret',
  );
});
