// The two writes of a deployment: register the patched revision, then point the service at it.
// UpdateService only ever names a revision that RegisterTaskDefinition just returned.
import type {
  Deployment,
  RegisterTaskDefinitionRequest,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { isAwsError } from '../aws/errors';
import { errorMessage, RemoteError } from '../errors';
import type { ActionIO } from '../report/action-io';
import {
  stripReadOnly,
  type RegisterTaskDefinitionJson,
  type TaskDefinitionJson,
} from '../taskdef';
import { addMissingMembers } from '../taskdef/unknown-fields';
import type { EcsApi } from '../aws/api';
import { rawAnswerOf } from '../aws/raw-json';
import {
  carriedFields,
  checkRegisteredFields,
  explainRefusal,
  FieldsLostError,
} from './registered-fields';
import { toJson } from './resolve';

export interface RegisteredTaskDefinition {
  readonly taskDefinitionArn: string;
  /** As ECS registered it: the watcher reads the migration container's log configuration here. */
  readonly taskDefinition: TaskDefinitionJson;
}

/** RegisterTaskDefinition's input: no read-only fields; tags only when there are some. */
export function registerInput(td: RegisterTaskDefinitionJson): RegisterTaskDefinitionRequest {
  const input = stripReadOnly(toJson<RegisterTaskDefinitionJson>(td));
  if (!input.tags || input.tags.length === 0) delete input.tags;
  return input as unknown as RegisterTaskDefinitionRequest;
}

/**
 * Registers `td` with every field it holds (those the bundled SDK does not know are carried past
 * it), then checks that the revision ECS answered with holds them all: a revision that lost one
 * fails here, before anything runs it (FieldsLostError). `io`, when given, is told which fields
 * were carried.
 */
export async function registerTaskDefinition(
  ecs: EcsApi,
  td: RegisterTaskDefinitionJson,
  io?: Pick<ActionIO, 'info'>,
): Promise<RegisteredTaskDefinition> {
  const input = registerInput(td);
  let answer;
  try {
    answer = await ecs.registerTaskDefinition(input);
  } catch (error) {
    throw explainRefusal(error);
  }
  const registered = answer.taskDefinition as TaskDefinition | undefined;
  if (!registered?.taskDefinitionArn) {
    throw new RemoteError(
      'ecs:RegisterTaskDefinition',
      `task definition family ${td.family}`,
      'the answer holds no task definition ARN',
    );
  }
  const carried = carriedFields(answer);
  if (carried.length > 0) {
    io?.info(
      `Sent ${carried.length} field(s) the bundled AWS SDK does not know to ECS as they are: ${carried.join(', ')}`,
    );
  }
  checkRegisteredFields(input, answer, registered.taskDefinitionArn);
  return {
    taskDefinitionArn: registered.taskDefinitionArn,
    // With the fields the SDK's reading left out; the check above found every field sent.
    taskDefinition: addMissingMembers(
      toJson<TaskDefinitionJson>(registered),
      rawAnswerOf(answer)?.taskDefinition ?? {},
    ).value as TaskDefinitionJson,
  };
}

/** registerTaskDefinition for the service of `request`: a revision that lost a field says so. */
async function register(
  ecs: EcsApi,
  io: ActionIO,
  request: DeployRequest,
): Promise<RegisteredTaskDefinition> {
  try {
    return await registerTaskDefinition(ecs, request.taskDefinition, io);
  } catch (error) {
    if (!(error instanceof FieldsLostError)) throw error;
    throw new Error(
      `${error.message}\nService ${request.service} was not updated: it still runs ${request.previousTaskDefinitionArn}`,
      { cause: error },
    );
  }
}

export interface StartedDeployment {
  readonly deploymentId: string;
  /** When ECS created the deployment (its clock): service events from then on are ours. */
  readonly createdAt: Date | undefined;
  readonly serviceArn: string | undefined;
  /** The service deployment (ECS's deployment API) the update started, when the answer names it. */
  readonly serviceDeploymentArn: string | undefined;
}

/** The deployment UpdateService started: the PRIMARY one, running `taskDefinitionArn`. */
export function primaryDeployment(
  deployments: readonly Deployment[] | undefined,
  taskDefinitionArn: string,
): Deployment | undefined {
  const primaries = (deployments ?? []).filter((d) => d.status === 'PRIMARY');
  return primaries.find((d) => d.taskDefinition === taskDefinitionArn) ?? primaries[0];
}

export interface UpdateRequest {
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  readonly forceNewDeployment: boolean;
}

export async function updateService(
  ecs: EcsApi,
  request: UpdateRequest,
): Promise<StartedDeployment> {
  const answer = await ecs.updateService({
    cluster: request.cluster,
    service: request.service,
    taskDefinition: request.taskDefinitionArn,
    forceNewDeployment: request.forceNewDeployment,
  });
  const primary = primaryDeployment(answer.service?.deployments, request.taskDefinitionArn);
  if (!primary?.id) {
    throw new RemoteError(
      'ecs:UpdateService',
      `service ${request.service} in cluster ${request.cluster}`,
      'the answer names no PRIMARY deployment',
      'look at the service in the ECS console: the update may still have been applied',
    );
  }
  if (primary.taskDefinition !== request.taskDefinitionArn) {
    throw new RemoteError(
      'ecs:UpdateService',
      `service ${request.service} in cluster ${request.cluster}`,
      `the PRIMARY deployment ${primary.id} runs ${primary.taskDefinition ?? 'no task definition'}, not ${request.taskDefinitionArn}`,
      'another deployment raced this one: look at the service in the ECS console',
    );
  }
  return {
    deploymentId: primary.id,
    createdAt: primary.createdAt,
    serviceArn: answer.service?.serviceArn,
    serviceDeploymentArn: answer.service?.currentServiceDeployment,
  };
}

export interface DeployRequest {
  readonly cluster: string;
  readonly service: string;
  /** The patched task definition (patchTaskDefinition's result). */
  readonly taskDefinition: RegisterTaskDefinitionJson;
  readonly forceNewDeployment: boolean;
  /** What the service ran before: the rollback target (Preflight.previousTaskDefinitionArn). */
  readonly previousTaskDefinitionArn: string;
  /**
   * A registered revision that already is what `taskDefinition` describes (a redeploy, or a
   * promotion of the same artefact): the service is updated to it and nothing is registered.
   */
  readonly existing?: RegisteredTaskDefinition;
}

export interface Deployed {
  readonly taskDefinitionArn: string;
  readonly registeredTaskDefinition: TaskDefinitionJson;
  readonly deploymentId: string;
  readonly deploymentCreatedAt: Date | undefined;
  readonly previousTaskDefinitionArn: string;
  readonly serviceArn: string | undefined;
  readonly serviceDeploymentArn: string | undefined;
}

/**
 * Registers the revision (unless an existing one is given), then updates the service to it; a
 * failed registration stops here.
 */
export async function deploy(ecs: EcsApi, io: ActionIO, request: DeployRequest): Promise<Deployed> {
  const registered = request.existing ?? (await register(ecs, io, request));
  io.info(
    request.existing
      ? `Task definition ${registered.taskDefinitionArn} already holds this migration image and these changes: deploying it as it is, without a new revision`
      : `Registered task definition ${registered.taskDefinitionArn}`,
  );
  let started: StartedDeployment;
  try {
    started = await updateService(ecs, {
      cluster: request.cluster,
      service: request.service,
      taskDefinitionArn: registered.taskDefinitionArn,
      forceNewDeployment: request.forceNewDeployment,
    });
  } catch (error) {
    // An answer that does not show our deployment is its own report: the update may have landed.
    if (!isAwsError(error)) throw error;
    // The call failed: one message for the step, the failure and then what it leaves behind.
    throw new Error(
      `${errorMessage(error)}\nThe service was not updated: it still runs ${request.previousTaskDefinitionArn}${request.existing ? '' : `; ${registered.taskDefinitionArn} stays registered, unused`}`,
      { cause: error },
    );
  }
  io.info(
    `Updated service ${request.service}: deployment ${started.deploymentId} rolls out ${registered.taskDefinitionArn} (it ran ${request.previousTaskDefinitionArn})`,
  );
  return {
    taskDefinitionArn: registered.taskDefinitionArn,
    registeredTaskDefinition: registered.taskDefinition,
    deploymentId: started.deploymentId,
    deploymentCreatedAt: started.createdAt,
    previousTaskDefinitionArn: request.previousTaskDefinitionArn,
    serviceArn: started.serviceArn,
    serviceDeploymentArn: started.serviceDeploymentArn,
  };
}
