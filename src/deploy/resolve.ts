// Read-only look-ups for the pre-flight: the service, the task definition to patch, the secret.
// Nothing here writes to AWS.
import type { Service, TaskDefinition, Tag as EcsTag } from '@aws-sdk/client-ecs';
import { InputError } from '../errors';
import type { TaskDefinitionSource } from '../inputs/settings';
import type { DescribedTaskDefinition, JsonValue, Tag, TaskDefinitionJson } from '../taskdef';
import { addMissingMembers, formatFieldPath } from '../taskdef/unknown-fields';
import type { EcsApi, SecretsApi } from '../aws/api';
import { isAwsError } from '../aws/errors';
import { rawAnswerOf } from '../aws/raw-json';

// ---------------------------------------------------------------------------------------------
// The service

export interface ServiceCheck {
  /** The service when DescribeServices found it (even if it is unusable). */
  readonly service: Service | undefined;
  /** Why it cannot be deployed to; empty when it can. */
  readonly problems: readonly Error[];
}

/** DescribeServices, then: found, ACTIVE, and rolled out by ECS itself. */
export async function checkService(
  ecs: EcsApi,
  cluster: string,
  serviceName: string,
): Promise<ServiceCheck> {
  const answer = await ecs.describeServices({ cluster, services: [serviceName] });
  const service = answer.services?.[0];
  if (!service) {
    const failure = answer.failures?.[0];
    const reason = failure
      ? `${failure.reason ?? 'unknown reason'}${failure.detail ? `: ${failure.detail}` : ''}`
      : 'not in the answer';
    return {
      service: undefined,
      problems: [
        new InputError(
          'service',
          `no service ${JSON.stringify(serviceName)} in cluster ${JSON.stringify(cluster)} (DescribeServices: ${reason})`,
          "check the service name and the 'cluster' input, and that AWS_REGION is the region the service runs in",
        ),
      ],
    };
  }
  return { service, problems: serviceProblems(service, serviceName) };
}

/** Why an existing service cannot take a deployment from this action. */
export function serviceProblems(service: Service, serviceName: string): Error[] {
  const problems: Error[] = [];
  const name = JSON.stringify(service.serviceName ?? serviceName);
  if (service.status !== undefined && service.status !== 'ACTIVE') {
    problems.push(
      new InputError(
        'service',
        `service ${name} is ${service.status}${service.status === 'DRAINING' ? ' (being deleted)' : ' (deleted)'}, not ACTIVE`,
        'recreate the service, or point the input at an active one',
      ),
    );
  }
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller === 'CODE_DEPLOY') {
    problems.push(
      new InputError(
        'service',
        `service ${name} uses the CODE_DEPLOY deployment controller: CodeDeploy owns its blue/green rollouts, and ECS refuses UpdateService with a new task definition for it`,
        'deploy the patched task definition (output task-definition-file with dry-run) through a CodeDeploy deployment, e.g. aws-actions/amazon-ecs-deploy-task-definition with codedeploy-appspec, or switch the service to the ECS deployment controller',
      ),
    );
  } else if (controller === 'EXTERNAL') {
    problems.push(
      new InputError(
        'service',
        `service ${name} uses the EXTERNAL deployment controller: task sets are created by the external controller, and the service has no task definition for this action to replace`,
        'give the patched task definition (output task-definition-file with dry-run) to that controller to create a task set, or switch the service to the ECS deployment controller',
      ),
    );
  } else if (controller !== 'ECS') {
    problems.push(
      new InputError(
        'service',
        `service ${name} uses the ${controller} deployment controller, which this action does not know`,
        'use a service with the ECS deployment controller',
      ),
    );
  }
  if (problems.length === 0 && !service.taskDefinition) {
    problems.push(
      new InputError(
        'service',
        `service ${name} has no task definition`,
        'create the service with a task definition first',
      ),
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The task definition

/** What DescribeTaskDefinition is asked for; undefined for a file. */
export function taskDefinitionIdentifier(
  source: TaskDefinitionSource,
  serviceTaskDefinition: string | undefined,
): string | undefined {
  switch (source.kind) {
    case 'service':
      return serviceTaskDefinition;
    case 'family':
      return source.family;
    case 'family-revision':
      return `${source.family}:${source.revision}`;
    case 'arn':
      return source.arn;
    case 'file':
      return undefined;
  }
}

/** A value from the SDK as plain JSON (dates become ISO strings, undefined members vanish). */
export function toJson<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** DescribeTaskDefinition with its tags, as the JSON model the patcher works on. */
export async function describeTaskDefinition(
  ecs: EcsApi,
  identifier: string,
  input: 'task-definition' | 'service' = 'task-definition',
): Promise<DescribedTaskDefinition> {
  let answer;
  try {
    answer = await ecs.describeTaskDefinition({ taskDefinition: identifier, include: ['TAGS'] });
  } catch (error) {
    // ECS answers a missing task definition with a ClientException ("Unable to describe task
    // definition."), not a dedicated code.
    if (isAwsError(error, 'ClientException', 'InvalidParameterException')) {
      throw new InputError(
        input,
        `task definition ${JSON.stringify(identifier)} cannot be described (${error.causeMessage})`,
        'check the family, revision or ARN, and that it is in this account and region',
      );
    }
    throw error;
  }
  const td = answer.taskDefinition as TaskDefinition | undefined;
  if (!td) {
    throw new InputError(
      input,
      `DescribeTaskDefinition returned no task definition for ${JSON.stringify(identifier)}`,
      'check the family, revision or ARN',
    );
  }
  const tags = answer.tags as EcsTag[] | undefined;
  return {
    taskDefinition: withFieldsTheSdkDropped(
      toJson<TaskDefinitionJson>(td),
      rawAnswerOf(answer)?.taskDefinition,
      `DescribeTaskDefinition of ${JSON.stringify(identifier)}`,
      input,
    ),
    tags: tags ? toJson<Tag[]>(tags) : undefined,
  };
}

/**
 * The SDK's reading of a task definition, plus the fields of ECS's own JSON (`raw`, absent when
 * the answer did not come through the SDK client's middleware) that the bundled model does not
 * know, at every depth: a field ECS added after this SDK must survive into the patched revision.
 */
export function withFieldsTheSdkDropped(
  parsed: TaskDefinitionJson,
  raw: JsonValue | undefined,
  answer: string,
  input: 'task-definition' | 'service',
): TaskDefinitionJson {
  if (raw === undefined) return parsed;
  const merged = addMissingMembers(parsed, raw);
  if (merged.uncarried.length > 0) {
    throw new InputError(
      input,
      `${answer} holds ${merged.uncarried
        .map(
          (f) =>
            `${formatFieldPath(f.path)} as ${f.source}, which the bundled AWS SDK reads as ${f.target}`,
        )
        .join('; ')}: the new revision could not keep it as ECS has it`,
      'give the task definition as a file (task-definition input) with that field as the ECS API reference defines it',
    );
  }
  return merged.value as TaskDefinitionJson;
}

/** `family:revision` of a described task definition, or its family. */
export function taskDefinitionLabel(td: TaskDefinitionJson): string {
  const revision = td.revision;
  return typeof revision === 'number' ? `${td.family}:${revision}` : td.family;
}

// ---------------------------------------------------------------------------------------------
// The secret

export interface SecretReference {
  /** What DescribeSecret is asked for: a name, a partial or a full ARN. */
  readonly secretId: string;
  /** `json-key:version-stage:version-id` after a full ARN, as ECS's valueFrom takes it. */
  readonly suffix: string | undefined;
}

/**
 * Splits `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:stage:id]`; a name (which
 * cannot hold a colon) is taken whole.
 */
export function parseSecretReference(value: string): SecretReference {
  if (!value.startsWith('arn:')) return { secretId: value, suffix: undefined };
  const parts = value.split(':');
  const arn = parts.slice(0, 7).join(':');
  const rest = parts.slice(7);
  return {
    secretId: arn,
    suffix: rest.length > 0 && rest.some((p) => p !== '') ? rest.join(':') : undefined,
  };
}

/** The valueFrom ECS needs: the secret's full ARN, then the JSON key/stage/id suffix if any. */
export function secretValueFrom(fullArn: string, suffix: string | undefined): string {
  if (suffix === undefined) return fullArn;
  const fields = suffix.split(':');
  while (fields.length < 3) fields.push('');
  return `${fullArn}:${fields.join(':')}`;
}

export interface ResolvedSecret {
  readonly arn: string;
  readonly name: string | undefined;
  readonly valueFrom: string;
}

/**
 * DescribeSecret by name or ARN: the secret exists, is not being deleted; its full ARN. `input`
 * is the input that named it, for the messages.
 */
export async function resolveSecret(
  secrets: SecretsApi,
  value: string,
  input: 'database-url-secret' | 'atlas-token-secret' = 'database-url-secret',
): Promise<ResolvedSecret> {
  const reference = parseSecretReference(value);
  let answer;
  try {
    answer = await secrets.describeSecret({ SecretId: reference.secretId });
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new InputError(
        input,
        `no Secrets Manager secret ${JSON.stringify(reference.secretId)} in this account and region`,
        'create it (aws secretsmanager create-secret --name … --secret-string …), or check the name and AWS_REGION; a secret of another account needs its full ARN',
      );
    }
    throw error;
  }
  if (!answer.ARN) {
    throw new InputError(
      input,
      `DescribeSecret returned no ARN for ${JSON.stringify(reference.secretId)}`,
      'give the secret by its full ARN',
    );
  }
  if (answer.DeletedDate) {
    throw new InputError(
      input,
      `secret ${JSON.stringify(answer.Name ?? reference.secretId)} is scheduled for deletion`,
      'restore it (aws secretsmanager restore-secret) or use another secret',
    );
  }
  return {
    arn: answer.ARN,
    name: answer.Name,
    valueFrom: secretValueFrom(answer.ARN, reference.suffix),
  };
}
