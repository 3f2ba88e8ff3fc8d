// The env's runtime contract (migrations/env-contract.ts) against the migration container the
// action is about to register: every `getenv` the env reaches has a value there, the env has a
// url, a runtimevar read with AWS credentials has a task role to read it with, and an Atlas Cloud
// directory has a token. Pure: the task definition and the inputs in, the problems out; nothing here calls AWS
// (deploy/runtimevars.ts checks that the runtimevars' secrets exist).
import { FileProblem, formatLocation, InputError, type FileLocation } from '../errors';
import type { EnvContract, EnvGetenv, RuntimevarSource } from '../migrations/env-contract';
import { findContainer } from './dependencies';
import { ATLAS_TOKEN, DATABASE_URL } from './patch-options';
import type { ContainerDefinitionJson, TaskDefinitionJson } from './types';

/** The runtimevar schemes Atlas reads with the container's AWS credentials (the task role). */
export const AWS_RUNTIMEVAR_SCHEMES = ['awssecretsmanager', 'awsparamstore'] as const;
export type AwsRuntimevarScheme = (typeof AWS_RUNTIMEVAR_SCHEMES)[number];

/**
 * Variables every ECS task's containers have without the task definition setting them: the ECS
 * agent sets the region and the metadata endpoints (Fargate and EC2 alike), the image and the
 * runtime set the rest.
 */
const RUNTIME_VARIABLES = new Set([
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'ECS_CONTAINER_METADATA_URI',
  'ECS_CONTAINER_METADATA_URI_V4',
  'ECS_AGENT_URI',
  'HOSTNAME',
  'HOME',
  'PATH',
]);
/** Set by the ECS agent only when the task has a task role. */
const TASK_ROLE_VARIABLES = new Set(['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']);

/** The inputs that hand the migration container a variable through ECS `secrets`. */
export const VARIABLE_INPUTS: Readonly<
  Record<string, 'database-url-secret' | 'atlas-token-secret'>
> = {
  [DATABASE_URL]: 'database-url-secret',
  [ATLAS_TOKEN]: 'atlas-token-secret',
};

export interface EnvContractTarget {
  /** The task definition the migration container's revision is built from. */
  readonly taskDefinition: TaskDefinitionJson;
  /** Names the task definition in messages: its file, or `task definition <family>:<revision>`. */
  readonly source: string;
  /** Input container-name. */
  readonly containerName: string;
  /** Input atlas-env, for messages. */
  readonly env: string;
  /** Whether input database-url-secret is set (DATABASE_URL then comes from it). */
  readonly databaseUrlSecret: boolean;
  /** Whether input atlas-token-secret is set (ATLAS_TOKEN then comes from it). */
  readonly atlasTokenSecret: boolean;
}

/** Where the migration container gets a variable from. */
export type VariableSource =
  | { readonly kind: 'input'; readonly input: 'database-url-secret' | 'atlas-token-secret' }
  | { readonly kind: 'environment' | 'secrets'; readonly container: string };

/** Worth telling the user, not worth stopping for; annotated at `location`. */
export interface ContractWarning {
  readonly location: FileLocation;
  readonly message: string;
}

export interface EnvContractCheck {
  /** Each a FileProblem (at atlas.hcl's line, or the task definition) or an InputError. */
  readonly problems: readonly Error[];
  readonly warnings: readonly ContractWarning[];
}

/**
 * The variables the migration container will have, and where from: what a migration container of
 * that name already carries in the task definition (the patch keeps its `environment` and
 * `secrets`), then the secret inputs, which replace an entry of the same name. An `environment`
 * entry with an empty value gives Atlas the same empty string as no entry, so it does not count.
 */
export function migrationContainerVariables(
  target: Omit<EnvContractTarget, 'env' | 'source'>,
): ReadonlyMap<string, VariableSource> {
  const variables = new Map<string, VariableSource>();
  const container = findContainer(target.taskDefinition, target.containerName);
  for (const entry of container?.environment ?? []) {
    if (typeof entry.name !== 'string') continue;
    if (typeof entry.value === 'string' && entry.value !== '') {
      variables.set(entry.name, { kind: 'environment', container: container!.name });
    } else {
      variables.delete(entry.name);
    }
  }
  for (const secret of container?.secrets ?? []) {
    if (typeof secret.name === 'string' && typeof secret.valueFrom === 'string') {
      variables.set(secret.name, { kind: 'secrets', container: container!.name });
    }
  }
  if (target.databaseUrlSecret) {
    variables.set(DATABASE_URL, { kind: 'input', input: 'database-url-secret' });
  }
  if (target.atlasTokenSecret) {
    variables.set(ATLAS_TOKEN, { kind: 'input', input: 'atlas-token-secret' });
  }
  return variables;
}

/** The runtimevars Atlas reads with the task's AWS credentials. */
export function awsRuntimevars(contract: Pick<EnvContract, 'runtimevars'>): RuntimevarSource[] {
  return contract.runtimevars.filter((r) => isAwsScheme(r.scheme));
}

function isAwsScheme(scheme: string): scheme is AwsRuntimevarScheme {
  return (AWS_RUNTIMEVAR_SCHEMES as readonly string[]).includes(scheme);
}

/** Every problem of the contract against the target, together. */
export function checkEnvContract(
  contract: EnvContract,
  target: EnvContractTarget,
): EnvContractCheck {
  const problems: Error[] = [];
  const warnings: ContractWarning[] = [];
  const variables = migrationContainerVariables(target);
  const container = findContainer(target.taskDefinition, target.containerName);
  const hasTaskRole = nonEmpty(target.taskDefinition.taskRoleArn);

  for (const [name, reads] of groupByName(contract.getenvs)) {
    if (variables.has(name) || RUNTIME_VARIABLES.has(name)) continue;
    if (TASK_ROLE_VARIABLES.has(name) && hasTaskRole) continue;
    const unused = unusedByMigrateApply(reads);
    if (unused) {
      warnings.push({
        location: reads[0]!.at,
        message: `env "${target.env}" reads getenv("${name}") for ${unused}, which the migration container will not have: Atlas gets an empty string there, which 'migrate apply' does not use`,
      });
      continue;
    }
    const files = environmentFiles(container);
    if (files.length > 0) {
      warnings.push({
        location: reads[0]!.at,
        message: `getenv("${name}") is not set in the environment or secrets of container "${container!.name}"; it may come from its environmentFiles (${files.join(', ')}), which this action cannot read: Atlas gets an empty string if it does not`,
      });
      continue;
    }
    problems.push(missingVariable(name, reads, target, container));
  }

  for (const at of contract.withoutUrl ?? []) {
    problems.push(
      new FileProblem(
        at,
        `env "${target.env}" sets no url, so 'atlas migrate apply --env ${target.env}' would stop with 'required flag(s) "url" not set' (the action does not pass --url: it would put the database URL in the task definition in plain text)`,
        `add url = getenv("DATABASE_URL") to this env block and set input 'database-url-secret', or read the URL from Secrets Manager with a data "runtimevar" and url = data.runtimevar.<label>`,
      ),
    );
  }
  for (const program of contract.externalPrograms ?? []) {
    const command = program.program ? ` (${program.program.join(' ')})` : '';
    warnings.push({
      location: program.at,
      message: `data "${program.type}" "${program.label}" runs a program${command} inside the migration container when Atlas evaluates env "${target.env}": the image is atlas-image plus your files, so that program must be in atlas-image`,
    });
  }

  if (contract.cloudDirectory && !variables.has(ATLAS_TOKEN)) {
    const cloud = contract.cloudDirectory;
    const what =
      cloud.kind === 'remote_dir'
        ? `a data "remote_dir" (name "${cloud.name}"${cloud.tag ? `, tag "${cloud.tag}"` : ''})`
        : `atlas://${cloud.name}${cloud.tag ? `?tag=${cloud.tag}` : ''}`;
    problems.push(
      new InputError(
        'atlas-token-secret',
        `is required: env "${target.env}" reads its migration directory from Atlas Cloud (${what}, ${formatLocation(cloud.at)}), which Atlas can only pull with an Atlas Cloud token in ATLAS_TOKEN`,
        `create a bot token in Atlas Cloud (Settings > Bots), store it in Secrets Manager (aws secretsmanager create-secret --name <name> --secret-string <token>) and set input 'atlas-token-secret' to that secret's name or ARN: it reaches the migration container as ATLAS_TOKEN through ECS secrets`,
      ),
    );
  }

  const aws = awsRuntimevars(contract);
  const computed = (contract.unresolvedRuntimevars ?? []).filter(
    (r) => r.scheme === undefined || isAwsScheme(r.scheme),
  );
  for (const r of computed) {
    warnings.push({
      location: r.at,
      message: `data "runtimevar" "${r.label}" reads ${r.expression}, which Atlas computes when it runs, so whether it exists was not checked${r.scheme ? '' : ' (nor whether it is read from AWS)'}`,
    });
  }
  const needRole = [
    ...aws.map((r) => ({ text: `${r.url}, ${formatLocation(r.at)}`, label: r.label })),
    ...computed
      .filter((r) => r.scheme !== undefined)
      .map((r) => ({ text: `${r.expression}, ${formatLocation(r.at)}`, label: r.label })),
  ];
  if (needRole.length > 0 && !hasTaskRole) {
    const reads = needRole.map((r) => `data "runtimevar" "${r.label}" (${r.text})`).join(', ');
    const may = [
      ...aws.map(readPermission),
      ...(computed.some((r) => r.scheme !== undefined) && aws.length === 0
        ? [
            'read the secrets and parameters those URLs name (secretsmanager:GetSecretValue, ssm:GetParameter; kms:Decrypt with a customer managed key)',
          ]
        : []),
    ];
    problems.push(
      new FileProblem(
        { file: target.source },
        `has no "taskRoleArn", but env "${target.env}" reads ${reads} inside the migration container, where Atlas has only the task role's credentials (the execution role only serves ECS's own secrets)`,
        `set "taskRoleArn" to a role that ecs-tasks.amazonaws.com can assume and that may ${may.join('; and ')}`,
      ),
    );
  }
  return { problems, warnings };
}

/** The IAM a role needs to read a runtimevar's source, for messages. */
export function readPermission(source: RuntimevarSource): string {
  return source.scheme === 'awsparamstore'
    ? `ssm:GetParameter the parameter "${source.name}" (and kms:Decrypt with its key, for a SecureString)`
    : `secretsmanager:GetSecretValue the secret "${source.name}" (and kms:Decrypt with its key, if it is a customer managed one)`;
}

function missingVariable(
  name: string,
  reads: readonly EnvGetenv[],
  target: EnvContractTarget,
  container: ContainerDefinitionJson | undefined,
): FileProblem {
  const at: FileLocation = reads[0]!.at;
  const also =
    reads.length > 1
      ? ` (also on line ${reads
          .slice(1)
          .map((r) => r.at.line)
          .join(', ')})`
      : '';
  const empty = container?.environment?.some((e) => e.name === name)
    ? `its "environment" entry in container "${container.name}" of ${target.source} is empty`
    : 'the migration container will not have it';
  const input = VARIABLE_INPUTS[name];
  const fix = input
    ? `set input '${input}' to the Secrets Manager secret that holds ${name === DATABASE_URL ? 'the database URL' : 'the Atlas Cloud bot token'} (its name or ARN): it reaches the migration container as ${name} through ECS secrets`
    : container
      ? `add ${name} to the "environment" (or, for a secret value, the "secrets") of container "${container.name}" in ${target.source}: the action keeps what the migration container already carries`
      : `add a container "${target.containerName}" (the migration container, "essential": false) with ${name} in its "environment" (or, for a secret value, its "secrets") to ${target.source}: the action fills in its image and command and keeps the rest`;
  return new FileProblem(
    at,
    `env "${target.env}" reads getenv("${name}")${also}, but ${empty}, so Atlas would get an empty string`,
    fix,
  );
}

/**
 * Env attributes `migrate apply` evaluates but does not use: an empty value there is harmless
 * (the dev database, the desired schema, the env's lint and diff policies).
 */
const UNUSED_BY_APPLY = [/^dev$/, /^schema(\.|$)/, /^src$/, /^lint(\.|$)/, /^diff(\.|$)/];

/** The attributes, when every read of the variable reaches only attributes apply does not use. */
function unusedByMigrateApply(reads: readonly EnvGetenv[]): string | undefined {
  const via = reads.flatMap((r) => r.via ?? []);
  if (reads.some((r) => (r.via ?? []).length === 0)) return undefined;
  if (!via.every((v) => UNUSED_BY_APPLY.some((re) => re.test(v)))) return undefined;
  return [...new Set(via)].map((v) => `\`${v}\``).join(', ');
}

function groupByName(getenvs: readonly EnvGetenv[]): Map<string, EnvGetenv[]> {
  const byName = new Map<string, EnvGetenv[]>();
  for (const read of getenvs) {
    const list = byName.get(read.name) ?? [];
    if (!list.some((r) => r.at.line === read.at.line && r.at.file === read.at.file)) {
      list.push(read);
    }
    byName.set(read.name, list);
  }
  return byName;
}

function environmentFiles(container: ContainerDefinitionJson | undefined): string[] {
  const files = container?.environmentFiles;
  if (!Array.isArray(files)) return [];
  return files
    .map((f) =>
      typeof f === 'object' && f !== null && !Array.isArray(f) && typeof f.value === 'string'
        ? f.value
        : undefined,
    )
    .filter((v): v is string => v !== undefined);
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
