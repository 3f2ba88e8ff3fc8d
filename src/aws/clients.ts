// SDK v3 clients with the standard configuration only: the credential chain, AWS_REGION, and
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> are all resolved by the SDK itself, so nothing here
// passes an endpoint or credentials. Adds a user agent, the SDK's standard retry (unless the
// workflow set AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, which then win) and a time limit per request, and
// adapts the clients to the narrow interfaces in api.ts, wrapping every error into an AwsCallError.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type {
  AwsApis,
  EcrAuthApi,
  EcrRepositoriesApi,
  EcsApi,
  EcsRevisionsApi,
  EcsServiceDeploymentsApi,
  EcsTaskRunnerApi,
  LogsApi,
  ParametersApi,
  SecretsApi,
} from './api';
import { carryUnknownFields } from './carry-fields';
import { wrapAwsError, type CallContext } from './errors';
import { keepRawAnswers } from './raw-json';

// The SDK's packages load on first use, not on import: the five together take ~100 ms to load,
// which would come before the run's first request (the base image's staging starts as soon as
// the inputs are read), and a dry run or a plan without AWS needs none of them. The bundler
// bundles a require as it does an import; Node caches it after the first call.
/* eslint-disable @typescript-eslint/no-require-imports */
const sdk = {
  ecs: () => require('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs'),
  ecr: () => require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr'),
  secretsManager: () =>
    require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager'),
  ssm: () => require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm'),
  logs: () =>
    require('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export type {
  AwsApis,
  EcrAuthApi,
  EcrRepositoriesApi,
  EcsApi,
  EcsRevisionsApi,
  EcsServiceDeploymentsApi,
  EcsTaskRunnerApi,
  LogsApi,
  ParametersApi,
  SecretsApi,
} from './api';

/** Attempts per call, the first included: ride out a burst of throttling while polling. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Longest one request may take, and longest to connect. The SDK waits forever by default, so an
 * endpoint that accepts the request and never answers would hold the step until the job times
 * out; past this limit the request fails (ETIMEDOUT), a transient error the SDK retries.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;

export interface AwsClientOptions {
  /** Appended to the SDK's user agent, e.g. `atlas-ecs-deploy/0.1.0`. */
  readonly userAgent: string;
  /** Default DEFAULT_MAX_ATTEMPTS. */
  readonly maxAttempts?: number;
  /** The SDK's retry mode; default `standard` (adaptive adds client-side rate limiting). */
  readonly retryMode?: 'standard' | 'adaptive';
  /** Default DEFAULT_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
  /** Where AWS_MAX_ATTEMPTS and AWS_RETRY_MODE are looked for; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly secretsManager: SecretsManagerClient;
  readonly logs: CloudWatchLogsClient;
  /** An ECR client for `region` (an ECR host of another region), created once per region. */
  ecrInRegion(region: string): ECRClient;
  /** A CloudWatch Logs client for `region` (an awslogs-region of its own), created once per region. */
  logsInRegion(region: string): CloudWatchLogsClient;
  /** A Secrets Manager client for `region` (a runtimevar's `?region=`), created once per region. */
  secretsManagerInRegion(region: string): SecretsManagerClient;
  /** An SSM client for `region`, or for the default region; created on first use. */
  ssmInRegion(region: string | undefined): SSMClient;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** `create(region)`, called once per region. */
function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const made = new Map<string, T>();
  return (region) => {
    let value = made.get(region);
    if (value === undefined) {
      value = create(region);
      made.set(region, value);
    }
    return value;
  };
}

/** `create(region)` once per region, the default region (undefined) included. */
function perOptionalRegion<T>(
  create: (region: string | undefined) => T,
): (region: string | undefined) => T {
  let fallback: { value: T } | undefined;
  const named = perRegion<T>(create);
  return (region) =>
    region === undefined ? (fallback ??= { value: create(undefined) }).value : named(region);
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  // Only what the SDK cannot know; region, endpoint and credentials stay its business, and so
  // do the retry settings when the workflow gave them in the SDK's own variables.
  const env = options.env ?? process.env;
  const maxAttempts =
    options.maxAttempts ?? (env.AWS_MAX_ATTEMPTS ? undefined : DEFAULT_MAX_ATTEMPTS);
  const retryMode = options.retryMode ?? (env.AWS_RETRY_MODE ? undefined : 'standard');
  const config = {
    customUserAgent: options.userAgent,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(retryMode === undefined ? {} : { retryMode }),
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS,
    },
  };
  const others: { destroy(): void }[] = [];
  const created = <T extends { destroy(): void }>(client: T): T => {
    others.push(client);
    return client;
  };
  let ecs: ECSClient | undefined;
  let ecr: ECRClient | undefined;
  let secretsManager: SecretsManagerClient | undefined;
  let logs: CloudWatchLogsClient | undefined;
  return {
    get ecs() {
      if (!ecs) {
        ecs = created(new (sdk.ecs().ECSClient)(config));
        // Task definitions may hold fields newer than the bundled SDK model: carry them to
        // RegisterTaskDefinition, and keep ECS's own JSON of the answers that hold task definitions.
        ecs.middlewareStack.use(carryUnknownFields());
        ecs.middlewareStack.use(keepRawAnswers(ecs.config.streamCollector));
      }
      return ecs;
    },
    get ecr() {
      return (ecr ??= created(new (sdk.ecr().ECRClient)(config)));
    },
    get secretsManager() {
      return (secretsManager ??= created(new (sdk.secretsManager().SecretsManagerClient)(config)));
    },
    get logs() {
      return (logs ??= created(new (sdk.logs().CloudWatchLogsClient)(config)));
    },
    ecrInRegion: perRegion((region) => created(new (sdk.ecr().ECRClient)({ ...config, region }))),
    logsInRegion: perRegion((region) =>
      created(new (sdk.logs().CloudWatchLogsClient)({ ...config, region })),
    ),
    secretsManagerInRegion: perRegion((region) =>
      created(new (sdk.secretsManager().SecretsManagerClient)({ ...config, region })),
    ),
    // Without a region, the SDK's own (AWS_REGION, the shared config) as for the other clients.
    ssmInRegion: perOptionalRegion((region) =>
      created(new (sdk.ssm().SSMClient)(region === undefined ? config : { ...config, region })),
    ),
    destroy() {
      for (const client of others) client.destroy();
    },
  };
}

/** Runs `send`, turning any failure into an AwsCallError for `context`. */
async function call<T>(context: CallContext, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw wrapAwsError(error, context);
  }
}

function inCluster(cluster: string | undefined): string {
  return `cluster ${cluster ?? 'default'}`;
}

export function createEcsApi(
  client: ECSClient,
): EcsApi & EcsTaskRunnerApi & EcsServiceDeploymentsApi & EcsRevisionsApi {
  const {
    DeregisterTaskDefinitionCommand,
    DescribeServiceDeploymentsCommand,
    DescribeServicesCommand,
    DescribeTaskDefinitionCommand,
    DescribeTasksCommand,
    ListServiceDeploymentsCommand,
    ListTaskDefinitionsCommand,
    ListTasksCommand,
    RegisterTaskDefinitionCommand,
    RunTaskCommand,
    StopServiceDeploymentCommand,
    UpdateServiceCommand,
  } = sdk.ecs();
  return {
    describeServices: (input) =>
      call(
        {
          operation: 'ecs:DescribeServices',
          target: `service ${(input.services ?? []).join(', ')} in ${inCluster(input.cluster)}`,
        },
        () => client.send(new DescribeServicesCommand(input)),
      ),
    describeTaskDefinition: (input) =>
      call(
        {
          operation: 'ecs:DescribeTaskDefinition',
          target: `task definition ${input.taskDefinition ?? ''}`,
        },
        () => client.send(new DescribeTaskDefinitionCommand(input)),
      ),
    registerTaskDefinition: (input) =>
      call(
        {
          operation: 'ecs:RegisterTaskDefinition',
          target: `task definition family ${input.family ?? ''}`,
          alsoNeeds:
            'iam:PassRole on its task and execution roles, and ecs:TagResource when it has tags',
        },
        () => client.send(new RegisterTaskDefinitionCommand(input)),
      ),
    updateService: (input) =>
      call(
        {
          operation: 'ecs:UpdateService',
          target: `service ${input.service ?? ''} in ${inCluster(input.cluster)}`,
        },
        () => client.send(new UpdateServiceCommand(input)),
      ),
    listTasks: (input) =>
      call(
        {
          operation: 'ecs:ListTasks',
          target: `tasks${input.startedBy ? ` started by ${input.startedBy}` : ''} in ${inCluster(input.cluster)}`,
        },
        () => client.send(new ListTasksCommand(input)),
      ),
    describeTasks: (input) =>
      call(
        {
          operation: 'ecs:DescribeTasks',
          target: `${(input.tasks ?? []).length} task(s) in ${inCluster(input.cluster)}`,
        },
        () => client.send(new DescribeTasksCommand(input)),
      ),
    // Not idempotent by itself: a caller that may retry passes a clientToken, and the SDK's own
    // retries (of a throttled or 5xx answer) send the same one, so they cannot start a second task.
    runTask: (input) =>
      call(
        {
          operation: 'ecs:RunTask',
          target: `task definition ${input.taskDefinition ?? ''} in ${inCluster(input.cluster)}`,
          alsoNeeds:
            'iam:PassRole on its task and execution roles, and ecs:TagResource when tags are propagated',
        },
        () => client.send(new RunTaskCommand(input)),
      ),
    listServiceDeployments: (input) =>
      call(
        {
          operation: 'ecs:ListServiceDeployments',
          target: `deployments of service ${input.service ?? ''} in ${inCluster(input.cluster)}`,
        },
        () => client.send(new ListServiceDeploymentsCommand(input)),
      ),
    describeServiceDeployments: (input) =>
      call(
        {
          operation: 'ecs:DescribeServiceDeployments',
          target: `service deployment ${(input.serviceDeploymentArns ?? []).join(', ')}`,
        },
        () => client.send(new DescribeServiceDeploymentsCommand(input)),
      ),
    stopServiceDeployment: (input) =>
      call(
        {
          operation: 'ecs:StopServiceDeployment',
          target: `service deployment ${input.serviceDeploymentArn ?? ''}`,
        },
        () => client.send(new StopServiceDeploymentCommand(input)),
      ),
    listTaskDefinitions: (input) =>
      call(
        {
          operation: 'ecs:ListTaskDefinitions',
          target: `task definitions of family ${input.familyPrefix ?? '(any)'}`,
        },
        () => client.send(new ListTaskDefinitionsCommand(input)),
      ),
    deregisterTaskDefinition: (input) =>
      call(
        {
          operation: 'ecs:DeregisterTaskDefinition',
          target: `task definition ${input.taskDefinition ?? ''}`,
        },
        () => client.send(new DeregisterTaskDefinitionCommand(input)),
      ),
  };
}

export function createLogsApi(client: CloudWatchLogsClient): LogsApi {
  const { GetLogEventsCommand } = sdk.logs();
  return {
    getLogEvents: (input) =>
      call(
        {
          operation: 'logs:GetLogEvents',
          target: `log stream ${input.logStreamName ?? ''} in log group ${input.logGroupName ?? input.logGroupIdentifier ?? ''}`,
          notFoundFix:
            'the log group or stream does not exist (yet): check the awslogs-group option and that the execution role may logs:CreateLogStream and logs:PutLogEvents there',
        },
        () => client.send(new GetLogEventsCommand(input)),
      ),
  };
}

export function createSecretsApi(client: SecretsManagerClient, region?: string): SecretsApi {
  const { DescribeSecretCommand } = sdk.secretsManager();
  return {
    describeSecret: (input) =>
      call(
        {
          operation: 'secretsmanager:DescribeSecret',
          target: `secret ${input.SecretId ?? ''}${region ? ` in ${region}` : ''}`,
          notFoundFix: region
            ? `no such secret in this account in ${region}: check its name and region`
            : "check 'database-url-secret': no such secret in this account and region (a secret of another account must be given by its full ARN, and shared through a resource policy)",
        },
        () => client.send(new DescribeSecretCommand(input)),
      ),
  };
}

export function createParametersApi(client: SSMClient, region?: string): ParametersApi {
  const { GetParameterCommand } = sdk.ssm();
  return {
    getParameter: (input) =>
      call(
        {
          operation: 'ssm:GetParameter',
          target: `parameter ${input.Name ?? ''}${region ? ` in ${region}` : ''}`,
        },
        () => client.send(new GetParameterCommand(input)),
      ),
  };
}

export function createEcrAuthApi(client: ECRClient, region?: string): EcrAuthApi {
  const { GetAuthorizationTokenCommand } = sdk.ecr();
  return {
    getAuthorizationToken: (input) =>
      call(
        {
          operation: 'ecr:GetAuthorizationToken',
          target: `ECR${region ? ` in ${region}` : ''}`,
        },
        () => client.send(new GetAuthorizationTokenCommand(input)),
      ),
  };
}

export function createEcrRepositoriesApi(client: ECRClient, region?: string): EcrRepositoriesApi {
  const { DescribeRepositoriesCommand, DescribeRepositoryCreationTemplatesCommand } = sdk.ecr();
  return {
    describeRepositories: (input) =>
      call(
        {
          operation: 'ecr:DescribeRepositories',
          target: `repository ${(input.repositoryNames ?? []).join(', ')} in ECR${input.registryId ? ` of account ${input.registryId}` : ''}${region ? ` in ${region}` : ''}`,
        },
        () => client.send(new DescribeRepositoriesCommand(input)),
      ),
    describeRepositoryCreationTemplates: (input) =>
      call(
        {
          operation: 'ecr:DescribeRepositoryCreationTemplates',
          target: `repository creation templates in ECR${region ? ` in ${region}` : ''}`,
        },
        () => client.send(new DescribeRepositoryCreationTemplatesCommand(input)),
      ),
  };
}

/** The interfaces over a set of clients; each is created on first use (with its client) and reused. */
export function createAwsApis(clients: AwsClients): AwsApis {
  let ecs: ReturnType<typeof createEcsApi> | undefined;
  let logs: LogsApi | undefined;
  let secrets: SecretsApi | undefined;
  return {
    get ecs() {
      return (ecs ??= createEcsApi(clients.ecs));
    },
    get logs() {
      return (logs ??= createLogsApi(clients.logs));
    },
    get secrets() {
      return (secrets ??= createSecretsApi(clients.secretsManager));
    },
    logsInRegion: perRegion((region) => createLogsApi(clients.logsInRegion(region))),
    secretsInRegion: perRegion((region) =>
      createSecretsApi(clients.secretsManagerInRegion(region), region),
    ),
    parametersInRegion: perOptionalRegion((region) =>
      createParametersApi(clients.ssmInRegion(region), region),
    ),
    ecrAuthInRegion: perRegion((region) => createEcrAuthApi(clients.ecrInRegion(region), region)),
    ecrInRegion: perRegion((region) =>
      createEcrRepositoriesApi(clients.ecrInRegion(region), region),
    ),
  };
}
