// Who reads which secret when the migration runs, for the summary and the log: ECS fetches the
// container's `secrets` (DATABASE_URL, ATLAS_TOKEN) with the task execution role before the
// container starts; Atlas reads a `data "runtimevar"` itself, inside the container, with the task
// role. Pure.
import { formatLocation } from '../errors';
import type { RuntimevarSource } from '../migrations/env-contract';
import type { TaskDefinitionJson } from './types';

/** A runtimevar's secret or parameter, as far as the pre-flight found it. */
export interface RuntimevarResource {
  readonly source: RuntimevarSource;
  /** The region Atlas reads it in: the URL's `?region=`, else the task's (when known). */
  readonly region: string | undefined;
  /** Its ARN, from DescribeSecret or GetParameter; absent when it was not looked up. */
  readonly arn?: string;
  /** A KMS key other than the AWS managed one (DescribeSecret's KmsKeyId). */
  readonly kmsKeyId?: string;
  /** An SSM SecureString: decrypting it needs kms:Decrypt. */
  readonly secureString?: boolean;
}

export interface SecretReadersInput {
  readonly taskDefinition: TaskDefinitionJson;
  readonly runtimevars: readonly RuntimevarResource[];
  /** valueFrom of DATABASE_URL (input database-url-secret), if set. */
  readonly databaseUrl?: string;
  /** valueFrom of ATLAS_TOKEN (input atlas-token-secret), if set. */
  readonly atlasToken?: string;
  /** The account the task runs in, for ARN patterns (else the roles' account). */
  readonly accountId?: string;
}

export interface SecretReader {
  readonly role: 'task role' | 'execution role';
  /** Absent when the task definition has none (a problem reported elsewhere). */
  readonly roleArn: string | undefined;
  readonly actions: readonly string[];
  /** An ARN, or an ARN pattern (`…:secret:NAME-??????`) when the secret was not looked up. */
  readonly resource: string;
  /** What reads it: `data "runtimevar" "url" (atlas.hcl:2)`, `DATABASE_URL (database-url-secret)`. */
  readonly reason: string;
  /** A KMS key to allow kms:Decrypt with, or a sentence saying when that is needed. */
  readonly kms?: string;
}

const GET_SECRET = 'secretsmanager:GetSecretValue';
const GET_PARAMETER = 'ssm:GetParameter';

export function secretReaders(input: SecretReadersInput): SecretReader[] {
  const td = input.taskDefinition;
  const taskRole = text(td.taskRoleArn);
  const executionRole = text(td.executionRoleArn);
  const account = input.accountId ?? accountOf(taskRole) ?? accountOf(executionRole) ?? '<account>';
  const partition = partitionOf(taskRole) ?? partitionOf(executionRole) ?? 'aws';
  const readers: SecretReader[] = [];
  for (const resource of input.runtimevars) {
    const { source } = resource;
    const region = resource.region ?? '<region>';
    const reason = `data "runtimevar" "${source.label}" (${formatLocation(source.at)}), read by Atlas in the container`;
    if (source.scheme === 'awsparamstore') {
      readers.push({
        role: 'task role',
        roleArn: taskRole,
        actions: [GET_PARAMETER],
        resource:
          resource.arn ??
          (source.name.startsWith('arn:')
            ? source.name
            : `arn:${partition}:ssm:${region}:${account}:parameter/${source.name.replace(/^\//, '')}`),
        reason,
        kms:
          resource.secureString === false
            ? undefined
            : resource.secureString
              ? 'kms:Decrypt with the key of this SecureString'
              : 'kms:Decrypt with its key, if it is a SecureString',
      });
    } else if (source.scheme === 'awssecretsmanager') {
      readers.push({
        role: 'task role',
        roleArn: taskRole,
        actions: [GET_SECRET],
        resource: resource.arn ?? secretPattern(source.name, partition, region, account),
        reason,
        ...(resource.kmsKeyId ? { kms: `kms:Decrypt with ${resource.kmsKeyId}` } : {}),
      });
    }
  }
  for (const [name, input_, valueFrom] of [
    ['DATABASE_URL', 'database-url-secret', input.databaseUrl],
    ['ATLAS_TOKEN', 'atlas-token-secret', input.atlasToken],
  ] as const) {
    if (!valueFrom) continue;
    readers.push({
      role: 'execution role',
      roleArn: executionRole,
      actions: [GET_SECRET],
      resource: valueFrom.startsWith('arn:')
        ? valueFrom.split(':').slice(0, 7).join(':')
        : secretPattern(valueFrom, partition, '<region>', account),
      reason: `${name} (${input_}), fetched by ECS when the task starts`,
    });
  }
  return readers;
}

/** The log lines: one per reader. */
export function secretReaderLines(readers: readonly SecretReader[]): string[] {
  return readers.map(
    (r) =>
      `The ${r.role} ${r.roleArn ?? '(none set)'} must be allowed ${r.actions.join(', ')} on ${r.resource}${r.kms ? ` (and ${r.kms})` : ''}: ${r.reason}`,
  );
}

/** The summary's section; empty when nothing reads a secret. */
export function renderSecretReaders(readers: readonly SecretReader[]): string {
  if (readers.length === 0) return '';
  const lines = [
    '### Secrets and the roles that read them',
    '',
    '| Role | Must be allowed | On | For |',
    '|---|---|---|---|',
  ];
  for (const r of readers) {
    const actions = [...r.actions.map((a) => `\`${a}\``), ...(r.kms ? [cell(r.kms)] : [])];
    lines.push(
      `| ${r.role} ${r.roleArn ? `\`${cell(r.roleArn)}\`` : '(none set)'} | ${actions.join(', ')} | \`${cell(r.resource)}\` | ${cell(r.reason)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * IAM's pattern for a secret by name: Secrets Manager appends six random characters to the name
 * in the ARN.
 */
function secretPattern(name: string, partition: string, region: string, account: string): string {
  if (name.startsWith('arn:')) return name.split(':').slice(0, 7).join(':');
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`;
}

function accountOf(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

function partitionOf(arn: string | undefined): string | undefined {
  return arn?.startsWith('arn:') ? arn.split(':')[1] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
