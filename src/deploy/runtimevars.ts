// The pre-flight of the env's runtimevars: each `data "runtimevar"` Atlas reads from AWS inside the
// task (`awssecretsmanager://NAME?region=R`, `awsparamstore://NAME?region=R`) is looked up, read
// only, in the region Atlas reads it in: secretsmanager:DescribeSecret, or ssm:GetParameter without
// decryption (the parameter's metadata, and its value still encrypted for a SecureString). A source
// that does not exist is a problem; a look-up this workflow's role is not allowed to make is only
// a warning, since the task role, not this role, is what reads it.
import { FileProblem } from '../errors';
import type { RuntimevarSource } from '../migrations/env-contract';
import type { ParametersApi, SecretsApi } from '../aws/api';
import { isAwsError } from '../aws/errors';
import { awsRuntimevars, type ContractWarning } from '../taskdef/env-contract-check';
import type { RuntimevarResource } from '../taskdef/secret-readers';

export interface RuntimevarApis {
  /** Secrets Manager in the default region. */
  readonly secrets: SecretsApi;
  secretsInRegion(region: string): SecretsApi;
  parametersInRegion(region: string | undefined): ParametersApi;
}

export interface RuntimevarCheck {
  readonly problems: readonly Error[];
  readonly warnings: readonly ContractWarning[];
  /** One per AWS runtimevar, with what the look-up found. */
  readonly resources: readonly RuntimevarResource[];
}

export interface RuntimevarCheckOptions {
  /** The task's region (the service's), where a URL without `?region=` is read. */
  readonly taskRegion?: string;
}

const DENIED = ['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation'];

export async function checkRuntimevars(
  runtimevars: readonly RuntimevarSource[],
  apis: RuntimevarApis,
  options: RuntimevarCheckOptions = {},
): Promise<RuntimevarCheck> {
  const sources = awsRuntimevars({ runtimevars });
  const outcomes = await Promise.all(sources.map((source) => lookUp(source, apis, options)));
  return {
    problems: outcomes.flatMap((o) => (o.problem ? [o.problem] : [])),
    warnings: outcomes.flatMap((o) => (o.warning ? [o.warning] : [])),
    resources: outcomes.map((o) => o.resource),
  };
}

interface Outcome {
  readonly resource: RuntimevarResource;
  readonly problem?: Error;
  readonly warning?: ContractWarning;
}

async function lookUp(
  source: RuntimevarSource,
  apis: RuntimevarApis,
  options: RuntimevarCheckOptions,
): Promise<Outcome> {
  const region = source.region ?? options.taskRegion;
  const resource: RuntimevarResource = { source, region };
  const where = describe(source, region);
  if (source.name === '' || /\$\{|%\{/.test(`${source.name}${source.region ?? ''}`)) {
    return {
      resource,
      warning: {
        location: source.at,
        message: `data "runtimevar" "${source.label}" names ${JSON.stringify(source.url)}, which Atlas computes when it runs, so whether it exists was not checked`,
      },
    };
  }
  try {
    if (source.scheme === 'awsparamstore') {
      const answer = await apis
        .parametersInRegion(region)
        .getParameter({ Name: source.name, WithDecryption: false });
      const parameter = answer.Parameter;
      return {
        resource: {
          ...resource,
          ...(parameter?.ARN ? { arn: parameter.ARN } : {}),
          ...(parameter?.Type ? { secureString: parameter.Type === 'SecureString' } : {}),
        },
      };
    }
    const api = region ? apis.secretsInRegion(region) : apis.secrets;
    const answer = await api.describeSecret({ SecretId: source.name });
    const found: RuntimevarResource = {
      ...resource,
      ...(answer.ARN ? { arn: answer.ARN } : {}),
      ...(answer.KmsKeyId ? { kmsKeyId: answer.KmsKeyId } : {}),
    };
    if (answer.DeletedDate) {
      return {
        resource: found,
        problem: new FileProblem(
          source.at,
          `data "runtimevar" "${source.label}" reads ${where}, which is scheduled for deletion, so Atlas could not read it in the task`,
          `restore it (aws secretsmanager restore-secret --secret-id ${source.name}${region ? ` --region ${region}` : ''}), or point the runtimevar's URL at another secret`,
        ),
      };
    }
    return { resource: found };
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException', 'ParameterNotFound')) {
      return { resource, problem: notFound(source, region, where) };
    }
    if (isAwsError(error, 'ParameterVersionNotFound')) {
      return {
        resource,
        problem: new FileProblem(
          source.at,
          `data "runtimevar" "${source.label}" reads ${where}, which has no such version (ssm:GetParameter: ParameterVersionNotFound)`,
          `correct the version after the ":" in the URL, or drop it to read the latest`,
        ),
      };
    }
    if (isAwsError(error, ...DENIED)) {
      const operation =
        source.scheme === 'awsparamstore' ? 'ssm:GetParameter' : 'secretsmanager:DescribeSecret';
      return {
        resource,
        warning: {
          location: source.at,
          message: `could not check that data "runtimevar" "${source.label}" (${where}) exists: ${operation} is not allowed for the role this workflow uses (allow it on that resource to have a missing one refused before the deploy); Atlas reads it in the task with the task role`,
        },
      };
    }
    return { resource, problem: error instanceof Error ? error : new Error(String(error)) };
  }
}

function notFound(
  source: RuntimevarSource,
  region: string | undefined,
  where: string,
): FileProblem {
  const inRegion = region ? ` --region ${region}` : '';
  const regionNote = source.region
    ? ''
    : ` (the URL has no ?region=, so Atlas reads it in the task's region${region ? `, ${region}` : ''})`;
  if (source.scheme === 'awsparamstore') {
    return new FileProblem(
      source.at,
      `data "runtimevar" "${source.label}" reads ${where}, which does not exist there${regionNote} (ssm:GetParameter: ParameterNotFound), so Atlas would fail in the task`,
      `create it (aws ssm put-parameter --name ${source.name} --type SecureString --value '<value>'${inRegion}), or correct the parameter's name or the ?region= of the URL in ${source.at.file}`,
    );
  }
  return new FileProblem(
    source.at,
    `data "runtimevar" "${source.label}" reads ${where}, which does not exist there${regionNote} (secretsmanager:DescribeSecret: ResourceNotFoundException), so Atlas would fail in the task`,
    `create it (aws secretsmanager create-secret --name ${source.name} --secret-string '<value>'${inRegion}), or correct the secret's name or the ?region= of the URL in ${source.at.file}`,
  );
}

function describe(source: RuntimevarSource, region: string | undefined): string {
  const what =
    source.scheme === 'awsparamstore'
      ? `SSM parameter "${source.name}"`
      : `Secrets Manager secret "${source.name}"`;
  return `${what} in ${region ?? "the task's region"}`;
}

/** The region of an ARN (`arn:aws:ecs:us-east-1:…`), if it has one. */
export function arnRegion(arn: string | undefined): string | undefined {
  const region = arn?.startsWith('arn:') ? arn.split(':')[3] : undefined;
  return region ? region : undefined;
}

/** The account of an ARN, if it has one. */
export function arnAccount(arn: string | undefined): string | undefined {
  const account = arn?.startsWith('arn:') ? arn.split(':')[4] : undefined;
  return account && /^\d{12}$/.test(account) ? account : undefined;
}
