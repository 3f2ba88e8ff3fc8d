// Everything checked before the first write: the service exists, is ACTIVE and rolled out by ECS;
// the task definition to patch; the database URL and Atlas token secrets; the execution role that
// secrets need; the ECR repository the image goes to (when image-repository is an ECR host).
// Read-only by construction: it only has Describe* calls to make. Independent problems are
// reported together.
import type {
  CapacityProviderStrategyItem,
  DeploymentCircuitBreaker,
  NetworkConfiguration,
  Service,
} from '@aws-sdk/client-ecs';
import { errorMessage, InputError, ValidationErrors } from '../errors';
import type { Settings, TaskDefinitionSource } from '../inputs/settings';
import type { DescribedTaskDefinition } from '../taskdef';
import type { EcrRepositoriesApi, EcsApi, SecretsApi } from '../aws/api';
import { isAwsError } from '../aws/errors';
import { parseEcrHost, parseRepository } from '../registry/reference';
import {
  checkWaitCoversRollout,
  deploymentStrategy,
  type DeploymentStrategy,
} from './deployment-strategy';
import {
  checkService,
  describeTaskDefinition,
  resolveSecret,
  taskDefinitionIdentifier,
  taskDefinitionLabel,
  type ResolvedSecret,
} from './resolve';

export interface PreflightRequest {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinition: TaskDefinitionSource;
  /** The parsed file, when `taskDefinition` is a file (the caller reads and parses it). */
  readonly taskDefinitionFile?: DescribedTaskDefinition;
  /** Name, ARN or `ARN:json-key:stage:id` of the database URL secret. */
  readonly databaseUrlSecret?: string;
  /** Name, ARN or `ARN:json-key:stage:id` of the Atlas Cloud token secret. */
  readonly atlasTokenSecret?: string;
  /** Where the image is pushed; an ECR repository is checked to exist. */
  readonly imageRepository?: string;
  /** The wait for the rollout, when the step waits: it must outlast the service's bake times. */
  readonly wait?: { readonly timeoutMinutes: number };
}

export interface Preflight {
  readonly cluster: string;
  readonly clusterArn: string | undefined;
  readonly serviceName: string;
  readonly serviceArn: string;
  /** What the service runs now: the rollback target. */
  readonly previousTaskDefinitionArn: string;
  readonly desiredCount: number;
  readonly networkConfiguration: NetworkConfiguration | undefined;
  readonly launchType: string | undefined;
  /**
   * The service's capacity providers (then it has no launchType): with networkConfiguration,
   * launchType and platformVersion, where a run-task migration task is placed.
   */
  readonly capacityProviderStrategy: readonly CapacityProviderStrategyItem[] | undefined;
  /** The service's Fargate platform version (`LATEST`, `1.4.0`, …), when it has one. */
  readonly platformVersion: string | undefined;
  readonly circuitBreaker: DeploymentCircuitBreaker | undefined;
  /** How the service rolls out a revision: ROLLING, BLUE_GREEN, LINEAR or CANARY, bake times. */
  readonly strategy: DeploymentStrategy;
  /** The task definition to patch, with its tags. */
  readonly taskDefinition: DescribedTaskDefinition;
  /** `family:revision` or the file it came from, for messages. */
  readonly taskDefinitionLabel: string;
  /** valueFrom for DATABASE_URL: the secret's full ARN (plus the JSON key suffix, if given). */
  readonly databaseUrlSecretValueFrom: string | undefined;
  /** valueFrom for ATLAS_TOKEN, likewise (absent without atlas-token-secret). */
  readonly atlasTokenSecretValueFrom?: string | undefined;
  /** Worth telling the user, not worth stopping for. */
  readonly warnings: readonly string[];
}

export interface PreflightApis {
  readonly ecs: EcsApi;
  readonly secrets: SecretsApi;
  /** Needed only when the request's imageRepository is an ECR host. */
  ecrInRegion?(region: string): EcrRepositoriesApi;
}

/** The request from the settings; `file` is the parsed task definition file, if that is the source. */
export function preflightRequest(
  settings: Pick<
    Settings,
    | 'cluster'
    | 'service'
    | 'taskDefinition'
    | 'databaseUrlSecret'
    | 'atlasTokenSecret'
    | 'imageRepository'
  > &
    Partial<Pick<Settings, 'mode' | 'waitForServiceStability' | 'waitTimeoutMinutes'>>,
  file?: DescribedTaskDefinition,
): PreflightRequest {
  if (!settings.service) {
    throw new InputError(
      'service',
      'is required to deploy',
      'name the ECS service, or set dry-run to only render the task definition',
    );
  }
  return {
    cluster: settings.cluster,
    service: settings.service,
    taskDefinition: settings.taskDefinition,
    ...(file ? { taskDefinitionFile: file } : {}),
    ...(settings.databaseUrlSecret ? { databaseUrlSecret: settings.databaseUrlSecret } : {}),
    ...(settings.atlasTokenSecret ? { atlasTokenSecret: settings.atlasTokenSecret } : {}),
    ...(settings.imageRepository ? { imageRepository: settings.imageRepository } : {}),
    // Plan mode never updates the service, so nothing waits for a rollout.
    ...(settings.waitForServiceStability &&
    settings.waitTimeoutMinutes !== undefined &&
    settings.mode !== 'plan'
      ? { wait: { timeoutMinutes: settings.waitTimeoutMinutes } }
      : {}),
  };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

export async function preflight(
  request: PreflightRequest,
  apis: PreflightApis,
): Promise<Preflight> {
  const source = request.taskDefinition;
  if (source.kind === 'file' && !request.taskDefinitionFile) {
    throw new Error('preflight: a task definition file must be parsed by the caller');
  }

  const serviceCheck = checkService(apis.ecs, request.cluster, request.service);
  const secret: Promise<Settled<ResolvedSecret | undefined>> = settle(
    request.databaseUrlSecret
      ? resolveSecret(apis.secrets, request.databaseUrlSecret, 'database-url-secret')
      : Promise.resolve(undefined),
  );
  const token: Promise<Settled<ResolvedSecret | undefined>> = settle(
    request.atlasTokenSecret
      ? resolveSecret(apis.secrets, request.atlasTokenSecret, 'atlas-token-secret')
      : Promise.resolve(undefined),
  );
  // The service's own task definition waits for the service; any other source is independent.
  const taskDefinition: Promise<Settled<DescribedTaskDefinition> | undefined> =
    source.kind === 'file'
      ? Promise.resolve({ ok: true, value: request.taskDefinitionFile! })
      : source.kind === 'service'
        ? serviceCheck.then(
            (check) =>
              check.problems.length === 0 && check.service?.taskDefinition
                ? settle(describeTaskDefinition(apis.ecs, check.service.taskDefinition, 'service'))
                : undefined,
            () => undefined,
          )
        : settle(describeTaskDefinition(apis.ecs, taskDefinitionIdentifier(source, undefined)!));

  const repository = settle(checkEcrRepository(request.imageRepository, apis));

  const [service, secretResult, tokenResult, tdResult, repositoryResult] = await Promise.all([
    settle(serviceCheck),
    secret,
    token,
    taskDefinition,
    repository,
  ]);

  const problems: Error[] = [];
  if (!service.ok) problems.push(service.error);
  else problems.push(...service.value.problems);
  if (!secretResult.ok) problems.push(secretResult.error);
  if (!tokenResult.ok) problems.push(tokenResult.error);
  if (tdResult && !tdResult.ok) problems.push(tdResult.error);
  if (!repositoryResult.ok) problems.push(repositoryResult.error);

  const described = tdResult?.ok ? tdResult.value : undefined;
  const resolvedSecret = secretResult.ok ? secretResult.value : undefined;
  const resolvedToken = tokenResult.ok ? tokenResult.value : undefined;
  const label = described
    ? source.kind === 'file'
      ? `${taskDefinitionLabel(described.taskDefinition)} (from the file)`
      : taskDefinitionLabel(described.taskDefinition)
    : '';
  if (described) {
    const withSecrets = described.taskDefinition.containerDefinitions
      .filter((c) => (c.secrets ?? []).length > 0)
      .map((c) => c.name);
    const migrationSecrets = [
      ...(request.databaseUrlSecret ? ['DATABASE_URL'] : []),
      ...(request.atlasTokenSecret ? ['ATLAS_TOKEN'] : []),
    ];
    if (
      (migrationSecrets.length > 0 || withSecrets.length > 0) &&
      !described.taskDefinition.executionRoleArn
    ) {
      const who =
        migrationSecrets.length > 0
          ? `the migration container reads ${migrationSecrets.join(' and ')} from ${migrationSecrets.length > 1 ? 'secrets' : 'a secret'}`
          : `container(s) ${withSecrets.map((n) => JSON.stringify(n)).join(', ')} read secrets`;
      problems.push(
        new InputError(
          'task-definition',
          `${label} has no executionRoleArn, and ${who}: ECS fetches secrets with the task execution role`,
          'set executionRoleArn to a role that ecs-tasks.amazonaws.com can assume and that may secretsmanager:GetSecretValue the secret (and kms:Decrypt its key, if customer managed)',
        ),
      );
    }
  }

  const strategy = deploymentStrategy(
    service.ok ? service.value.service?.deploymentConfiguration : undefined,
  );
  const tooShort = checkWaitCoversRollout(strategy, request.service, request.wait);
  if (tooShort) problems.push(tooShort);

  if (problems.length > 0) {
    throw problems.length === 1 ? problems[0]! : new ValidationErrors(problems);
  }
  const svc = service.ok ? service.value.service : undefined;
  if (!svc || !described) throw new Error('preflight: no problem reported, yet nothing resolved');
  return {
    cluster: request.cluster,
    clusterArn: svc.clusterArn,
    serviceName: svc.serviceName ?? request.service,
    serviceArn: svc.serviceArn ?? request.service,
    previousTaskDefinitionArn: svc.taskDefinition!,
    desiredCount: svc.desiredCount ?? 0,
    networkConfiguration: svc.networkConfiguration,
    launchType: svc.launchType,
    capacityProviderStrategy: svc.capacityProviderStrategy,
    platformVersion: svc.platformVersion,
    circuitBreaker: svc.deploymentConfiguration?.deploymentCircuitBreaker,
    strategy,
    taskDefinition: described,
    taskDefinitionLabel: label,
    databaseUrlSecretValueFrom: resolvedSecret?.valueFrom,
    atlasTokenSecretValueFrom: resolvedToken?.valueFrom,
    warnings: [
      ...serviceWarnings(svc),
      ...(repositoryResult.ok && repositoryResult.value ? [repositoryResult.value] : []),
    ],
  };
}

/**
 * An ECR image-repository must exist before anything is built or pushed: ECR does not create a
 * repository on push, and learning it from a refused upload comes after the build. Resolves to a
 * warning when the check itself is not allowed (the push still tells), to nothing otherwise.
 */
export async function checkEcrRepository(
  imageRepository: string | undefined,
  apis: PreflightApis,
): Promise<string | undefined> {
  const parsed = imageRepository ? parseRepository(imageRepository) : undefined;
  const ecr = parsed ? parseEcrHost(parsed.registry) : undefined;
  if (!parsed || !ecr) return undefined;
  if (!apis.ecrInRegion) {
    throw new Error('preflight: an ECR image-repository needs the ECR API of its region');
  }
  const name = parsed.repository;
  const api = apis.ecrInRegion(ecr.region);
  try {
    await api.describeRepositories({ registryId: ecr.accountId, repositoryNames: [name] });
    return undefined;
  } catch (error) {
    if (isAwsError(error, 'RepositoryNotFoundException')) {
      const template = await createOnPushTemplate(api, name);
      if (template.found) return undefined;
      if (template.unknown) return template.unknown;
      throw new InputError(
        'image-repository',
        `no ECR repository ${JSON.stringify(name)} in account ${ecr.accountId}, region ${ecr.region} (${parsed.registry}), and no repository creation template that creates it on push`,
        `create it (aws ecr create-repository --repository-name ${name} --region ${ecr.region}), or check the name, the account and the region in the host`,
      );
    }
    if (isAwsError(error, 'AccessDeniedException')) {
      return `could not check that the ECR repository ${JSON.stringify(name)} exists in account ${ecr.accountId}, region ${ecr.region}: ecr:DescribeRepositories is not allowed (the push will tell); allow it on the repository to have a missing one reported before the build`;
    }
    throw error;
  }
}

/**
 * Whether a repository creation template applied for CREATE_ON_PUSH covers `name` (its prefix is
 * a leading path of the name, or ROOT), so that ECR creates the repository on the first push.
 * When the templates cannot be read, `unknown` is the warning to give instead of failing.
 */
async function createOnPushTemplate(
  api: EcrRepositoriesApi,
  name: string,
): Promise<{ found: boolean; unknown?: string }> {
  try {
    let nextToken: string | undefined;
    do {
      const page = await api.describeRepositoryCreationTemplates({
        ...(nextToken ? { nextToken } : {}),
      });
      const covers = (page.repositoryCreationTemplates ?? []).some(
        (t) =>
          (t.appliedFor ?? []).includes('CREATE_ON_PUSH') &&
          (t.prefix === 'ROOT' || (t.prefix !== undefined && name.startsWith(`${t.prefix}/`))),
      );
      if (covers) return { found: true };
      nextToken = page.nextToken;
    } while (nextToken);
    return { found: false };
  } catch (error) {
    return {
      found: false,
      unknown: `ECR repository ${JSON.stringify(name)} does not exist, and whether a repository creation template creates it on push could not be checked (${errorMessage(error)}); the push will tell`,
    };
  }
}

function serviceWarnings(service: Service): string[] {
  const warnings: string[] = [];
  const name = service.serviceName ?? 'the service';
  const deployments = service.deployments ?? [];
  if (deployments.length > 1 || deployments.some((d) => d.rolloutState === 'IN_PROGRESS')) {
    const list = deployments
      .map((d) => `${d.id} ${d.status}${d.rolloutState ? ` ${d.rolloutState}` : ''}`)
      .join(', ');
    warnings.push(`${name} has a deployment in progress (${list}); this deployment replaces it`);
  }
  if (!service.deploymentConfiguration?.deploymentCircuitBreaker?.enable) {
    warnings.push(
      `${name} has no deployment circuit breaker: when the app keeps failing after a good migration, ECS retries until wait-timeout-minutes ends the wait (enable it with rollback in the service's deploymentConfiguration)`,
    );
  }
  if ((service.desiredCount ?? 0) === 0) {
    warnings.push(`${name} has a desired count of 0: no task starts, so no migration runs`);
  }
  return warnings;
}
