// The narrow AWS surface the deploy code depends on: one method per operation it calls, taking the
// SDK's input and returning the SDK's output. Adapters (clients.ts) implement them over the real
// clients; tests pass plain objects. Every method rejects with an AwsCallError (errors.ts).
import type { GetLogEventsRequest, GetLogEventsResponse } from '@aws-sdk/client-cloudwatch-logs';
import type {
  DescribeRepositoriesRequest,
  DescribeRepositoriesResponse,
  DescribeRepositoryCreationTemplatesRequest,
  DescribeRepositoryCreationTemplatesResponse,
  GetAuthorizationTokenRequest,
  GetAuthorizationTokenResponse,
} from '@aws-sdk/client-ecr';
import type {
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  DescribeTasksRequest,
  DescribeTasksResponse,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ListTaskDefinitionsRequest,
  ListTaskDefinitionsResponse,
  ListTasksRequest,
  ListTasksResponse,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  RunTaskRequest,
  RunTaskResponse,
  StopServiceDeploymentRequest,
  StopServiceDeploymentResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import type {
  DescribeSecretRequest,
  DescribeSecretResponse,
} from '@aws-sdk/client-secrets-manager';
import type { GetParameterRequest, GetParameterResult } from '@aws-sdk/client-ssm';

export interface EcsApi {
  describeServices(input: DescribeServicesRequest): Promise<DescribeServicesResponse>;
  describeTaskDefinition(
    input: DescribeTaskDefinitionRequest,
  ): Promise<DescribeTaskDefinitionResponse>;
  registerTaskDefinition(
    input: RegisterTaskDefinitionRequest,
  ): Promise<RegisterTaskDefinitionResponse>;
  updateService(input: UpdateServiceRequest): Promise<UpdateServiceResponse>;
  listTasks(input: ListTasksRequest): Promise<ListTasksResponse>;
  describeTasks(input: DescribeTasksRequest): Promise<DescribeTasksResponse>;
}

/**
 * Starting a standalone task: only mode run-task does, so it is kept apart from EcsApi (whose
 * implementations, real and fake, need not grow a method they never use).
 */
export interface EcsTaskRunnerApi {
  runTask(input: RunTaskRequest): Promise<RunTaskResponse>;
}

/**
 * ECS's service-deployment API (2025): a deployment's status, lifecycle stage, circuit breaker and
 * alarms, and a rollback that ECS runs itself. Older regions, emulators and narrow IAM policies
 * lack it, so its callers fall back to DescribeServices and UpdateService.
 */
export interface EcsServiceDeploymentsApi {
  listServiceDeployments(
    input: ListServiceDeploymentsRequest,
  ): Promise<ListServiceDeploymentsResponse>;
  describeServiceDeployments(
    input: DescribeServiceDeploymentsRequest,
  ): Promise<DescribeServiceDeploymentsResponse>;
  stopServiceDeployment(
    input: StopServiceDeploymentRequest,
  ): Promise<StopServiceDeploymentResponse>;
}

/**
 * Listing and deregistering task-definition revisions: only input deregister-revisions does, so it
 * is kept apart from EcsApi like EcsTaskRunnerApi.
 */
export interface EcsRevisionsApi {
  listTaskDefinitions(input: ListTaskDefinitionsRequest): Promise<ListTaskDefinitionsResponse>;
  deregisterTaskDefinition(
    input: DeregisterTaskDefinitionRequest,
  ): Promise<DeregisterTaskDefinitionResponse>;
}

export interface LogsApi {
  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse>;
}

export interface SecretsApi {
  describeSecret(input: DescribeSecretRequest): Promise<DescribeSecretResponse>;
}

/** SSM Parameter Store: the pre-flight checks that an `awsparamstore://` runtimevar exists. */
export interface ParametersApi {
  getParameter(input: GetParameterRequest): Promise<GetParameterResult>;
}

export interface EcrAuthApi {
  getAuthorizationToken(
    input: GetAuthorizationTokenRequest,
  ): Promise<GetAuthorizationTokenResponse>;
}

/** An ECR registry's repositories: the pre-flight checks that the push target exists. */
export interface EcrRepositoriesApi {
  describeRepositories(input: DescribeRepositoriesRequest): Promise<DescribeRepositoriesResponse>;
  /** Templates with `CREATE_ON_PUSH` make ECR create a missing repository on the first push. */
  describeRepositoryCreationTemplates(
    input: DescribeRepositoryCreationTemplatesRequest,
  ): Promise<DescribeRepositoryCreationTemplatesResponse>;
}

/** Everything deploy/ needs, with clients for other regions where a resource names its own. */
export interface AwsApis {
  readonly ecs: EcsApi & EcsTaskRunnerApi & EcsServiceDeploymentsApi & EcsRevisionsApi;
  readonly logs: LogsApi;
  readonly secrets: SecretsApi;
  /** Secrets Manager in `region`: a runtimevar's `?region=` is where Atlas reads the secret. */
  secretsInRegion(region: string): SecretsApi;
  /** SSM Parameter Store in `region`, or in the default region. */
  parametersInRegion(region: string | undefined): ParametersApi;
  /** CloudWatch Logs in `region` (an awslogs-region other than the default one). */
  logsInRegion(region: string): LogsApi;
  /** ECR in `region`: a registry host names its region, and its token only works there. */
  ecrAuthInRegion(region: string): EcrAuthApi;
  /** ECR's repositories in `region` (the region of the image-repository host). */
  ecrInRegion(region: string): EcrRepositoriesApi;
}
