// The pre-flight's ECR repository check over mocked SDK clients: an ECR image-repository must
// exist before anything is built or pushed; a denied check only warns; other registries are not
// asked about at all.
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createEcrRepositoriesApi,
  createEcsApi,
  createSecretsApi,
  type EcrRepositoriesApi,
} from '../../src/aws/clients';
import { AwsCallError } from '../../src/aws/errors';
import { checkEcrRepository, preflight, preflightRequest } from '../../src/deploy/preflight';
import { InputError, ValidationErrors } from '../../src/errors';

const ecsMock = mockClient(ECSClient);
const secretsMock = mockClient(SecretsManagerClient);
const ecrMock = mockClient(ECRClient);

const CURRENT = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const ECR_REPOSITORY = '210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/migrations';
const meta = { $metadata: { httpStatusCode: 400 } };

/** The APIs, recording which regions ECR was asked for. */
function apis(regions: string[] = []) {
  return {
    ecs: createEcsApi(new ECSClient({ region: 'us-east-1' })),
    secrets: createSecretsApi(new SecretsManagerClient({ region: 'us-east-1' })),
    ecrInRegion: (region: string): EcrRepositoriesApi => {
      regions.push(region);
      return createEcrRepositoriesApi(new ECRClient({ region }), region);
    },
  };
}

const request = (imageRepository?: string) =>
  preflightRequest({
    cluster: 'prod',
    service: 'web',
    taskDefinition: { kind: 'service' },
    databaseUrlSecret: undefined,
    imageRepository,
  });

beforeEach(() => {
  ecsMock.reset();
  secretsMock.reset();
  ecrMock.reset();
  ecrMock
    .on(DescribeRepositoryCreationTemplatesCommand)
    .resolves({ repositoryCreationTemplates: [] });
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
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: CURRENT,
      family: 'web',
      revision: 7,
      containerDefinitions: [{ name: 'web', image: 'nginx', essential: true }],
    },
  });
  ecrMock.on(DescribeRepositoriesCommand).resolves({
    repositories: [{ repositoryName: 'team/migrations', registryId: '210987654321' }],
  });
});

afterAll(() => {
  ecsMock.restore();
  secretsMock.restore();
  ecrMock.restore();
});

it('takes image-repository from the settings', () => {
  expect(request(ECR_REPOSITORY).imageRepository).toBe(ECR_REPOSITORY);
  expect(request(undefined)).not.toHaveProperty('imageRepository');
});

it("asks the host's account and region for the repository, and goes on when it exists", async () => {
  const regions: string[] = [];
  const result = await preflight(request(ECR_REPOSITORY), apis(regions));
  expect(regions).toEqual(['eu-west-1']);
  expect(ecrMock.commandCalls(DescribeRepositoriesCommand).map((c) => c.args[0].input)).toEqual([
    { registryId: '210987654321', repositoryNames: ['team/migrations'] },
  ]);
  expect(result.warnings).toEqual([]);
});

it('refuses a repository that does not exist, naming it, its account and region, and the fix', async () => {
  ecrMock.on(DescribeRepositoriesCommand).rejects(
    new RepositoryNotFoundException({
      message:
        "The repository with name 'team/migrations' does not exist in the registry with id '210987654321'",
      ...meta,
    }),
  );
  const error = await preflight(request(ECR_REPOSITORY), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(error.input).toBe('image-repository');
  expect(error.message).toBe(
    'Input \'image-repository\': no ECR repository "team/migrations" in account 210987654321, region eu-west-1 (210987654321.dkr.ecr.eu-west-1.amazonaws.com), and no repository creation template that creates it on push. Fix: create it (aws ecr create-repository --repository-name team/migrations --region eu-west-1), or check the name, the account and the region in the host',
  );
});

describe('a missing repository that ECR creates on push', () => {
  const missing = () =>
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: 'not found', ...meta }));

  it.each([
    ['a template for its prefix', 'team'],
    ['a ROOT template', 'ROOT'],
  ])('goes on when %s applies to CREATE_ON_PUSH', async (_label, prefix) => {
    missing();
    ecrMock
      .on(DescribeRepositoryCreationTemplatesCommand)
      .resolvesOnce({
        repositoryCreationTemplates: [{ prefix: 'other', appliedFor: ['CREATE_ON_PUSH'] }],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        repositoryCreationTemplates: [
          { prefix: 'team', appliedFor: ['PULL_THROUGH_CACHE'] },
          { prefix, appliedFor: ['REPLICATION', 'CREATE_ON_PUSH'] },
        ],
      });
    const result = await preflight(request(ECR_REPOSITORY), apis());
    expect(result.warnings).toEqual([]);
    expect(ecrMock.commandCalls(DescribeRepositoryCreationTemplatesCommand)).toHaveLength(2);
  });

  it('refuses it when the only templates are for pull-through cache or another prefix', async () => {
    missing();
    ecrMock.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: [
        { prefix: 'team', appliedFor: ['PULL_THROUGH_CACHE'] },
        { prefix: 'tea', appliedFor: ['CREATE_ON_PUSH'] },
      ],
    });
    const error = await preflight(request(ECR_REPOSITORY), apis()).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
  });

  it('warns and goes on when the templates cannot be read', async () => {
    missing();
    ecrMock
      .on(DescribeRepositoryCreationTemplatesCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', ...meta }));
    const result = await preflight(request(ECR_REPOSITORY), apis());
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^ECR repository "team\/migrations" does not exist, and whether a repository creation template creates it on push could not be checked \(.*ecr:DescribeRepositoryCreationTemplates.*\); the push will tell$/,
      ),
    ]);
  });
});

it('reports a missing repository together with the other pre-flight problems', async () => {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [],
    failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web', reason: 'MISSING' }],
  });
  ecrMock
    .on(DescribeRepositoriesCommand)
    .rejects(new RepositoryNotFoundException({ message: 'not found', ...meta }));
  const error = await preflight(request(ECR_REPOSITORY), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationErrors);
  const inputs = (error as ValidationErrors).errors.map((e) => (e as InputError).input);
  expect(inputs).toEqual(['service', 'image-repository']);
});

it('only warns when the check is denied: the push itself will tell', async () => {
  ecrMock
    .on(DescribeRepositoriesCommand)
    .rejects(
      Object.assign(
        new Error(
          'User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:eu-west-1:210987654321:repository/team/migrations',
        ),
        { name: 'AccessDeniedException', ...meta },
      ),
    );
  const result = await preflight(request(ECR_REPOSITORY), apis());
  expect(result.warnings).toEqual([
    'could not check that the ECR repository "team/migrations" exists in account 210987654321, region eu-west-1: ecr:DescribeRepositories is not allowed (the push will tell); allow it on the repository to have a missing one reported before the build',
  ]);
});

it('passes any other failure on as the AWS error it is', async () => {
  ecrMock
    .on(DescribeRepositoriesCommand)
    .rejects(Object.assign(new Error('bad'), { name: 'InvalidParameterException', ...meta }));
  const error = await preflight(request(ECR_REPOSITORY), apis()).catch((e) => e);
  expect(error).toBeInstanceOf(AwsCallError);
  expect(error.message).toContain(
    'ecr:DescribeRepositories on repository team/migrations in ECR of account 210987654321 in eu-west-1 failed',
  );
});

it.each([
  ['a loopback registry', '127.0.0.1:5000/team/migrations'],
  ['another registry', 'ghcr.io/acme/migrations'],
  ['no image-repository', undefined],
])('does not ask ECR for %s', async (_label, repository) => {
  const regions: string[] = [];
  await preflight(request(repository), apis(regions));
  expect(regions).toEqual([]);
  expect(ecrMock.calls()).toHaveLength(0);
});

it('needs the ECR API when the repository is on ECR', async () => {
  await expect(checkEcrRepository(ECR_REPOSITORY, apis())).resolves.toBeUndefined();
  const { ecs, secrets } = apis();
  await expect(checkEcrRepository(ECR_REPOSITORY, { ecs, secrets })).rejects.toThrow(
    'needs the ECR API of its region',
  );
});
