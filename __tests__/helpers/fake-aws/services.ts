// CloudWatch Logs, Secrets Manager, SSM Parameter Store and ECR, as far as the action uses them.
import { ACCOUNT_ID, AwsFault, num, str, type JsonBody, type LogicalClock } from './protocol';

interface Stream {
  events: { timestamp: number; message: string; ingestionTime: number }[];
  /** GetLogEvents answers ResourceNotFoundException this many more times (a stream not created yet). */
  hiddenReads: number;
}

export class FakeLogs {
  private readonly groups = new Map<string, Map<string, Stream>>();

  constructor(private readonly clock: LogicalClock) {}

  addGroup(group: string): void {
    if (!this.groups.has(group)) this.groups.set(group, new Map());
  }

  private stream(group: string, name: string): Stream {
    this.addGroup(group);
    const streams = this.groups.get(group)!;
    let stream = streams.get(name);
    if (!stream) {
      stream = { events: [], hiddenReads: 0 };
      streams.set(name, stream);
    }
    return stream;
  }

  put(group: string, stream: string, lines: readonly string[]): void {
    const target = this.stream(group, stream);
    const ms = Math.round(this.clock.now() * 1000);
    for (const message of lines) target.events.push({ timestamp: ms, message, ingestionTime: ms });
  }

  delay(group: string, stream: string, reads: number): void {
    this.stream(group, stream).hiddenReads = reads;
  }

  handle(operation: string, body: JsonBody): JsonBody {
    if (operation !== 'GetLogEvents') {
      throw new AwsFault('UnknownOperationException', `fake Logs does not implement ${operation}`);
    }
    const groupName = str(body, 'logGroupName') ?? str(body, 'logGroupIdentifier') ?? '';
    const group = this.groups.get(groupName);
    if (!group)
      throw new AwsFault('ResourceNotFoundException', 'The specified log group does not exist.');
    const stream = group.get(str(body, 'logStreamName') ?? '');
    if (!stream || stream.hiddenReads > 0) {
      if (stream) stream.hiddenReads--;
      throw new AwsFault('ResourceNotFoundException', 'The specified log stream does not exist.');
    }
    const limit = num(body, 'limit') ?? 10_000;
    const events =
      body.startFromHead === true ? stream.events.slice(0, limit) : stream.events.slice(-limit);
    return {
      events,
      nextForwardToken: `f/${String(stream.events.length).padStart(56, '0')}`,
      nextBackwardToken: `b/${String(0).padStart(56, '0')}`,
    };
  }
}

interface StoredSecret {
  name: string;
  arn: string;
  /** The region the secret lives in: only requests signed for it find it. */
  region: string;
  deleted: boolean;
  value: string;
  kmsKeyId: string | undefined;
  /** DescribeSecret answers AccessDeniedException (the caller's policy does not allow it). */
  denied: boolean;
}

export interface FakeSecretOptions {
  deleted?: boolean;
  value?: string;
  /** Default: the fake's region. */
  region?: string;
  /** A customer managed key, answered as DescribeSecret's KmsKeyId. */
  kmsKeyId?: string;
  /** The caller may not describe it: AccessDeniedException. */
  denied?: boolean;
}

/**
 * Secrets Manager per region: a secret is found by a request signed for its own region only, by
 * its name, its full ARN or its partial ARN (the full one without the random suffix), as the
 * service finds them; anything else is ResourceNotFoundException.
 */
export class FakeSecrets {
  private readonly secrets: StoredSecret[] = [];

  constructor(
    private readonly region: string,
    private readonly clock: LogicalClock,
  ) {}

  /**
   * Adds a secret; returns its full ARN (with the six random characters ECS wants). Its value is
   * only served by GetSecretValue, which the action never needs (ECS resolves the secret itself):
   * the secret audit plants a recognisable value here to prove it never reaches any output.
   */
  add(name: string, options: FakeSecretOptions = {}): string {
    const suffix = 'AbC123';
    const region = options.region ?? this.region;
    const arn = `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${name}-${suffix}`;
    this.secrets.push({
      name,
      arn,
      region,
      deleted: options.deleted ?? false,
      value: options.value ?? 'postgres://app:fake-password@db.internal:5432/app',
      kmsKeyId: options.kmsKeyId,
      denied: options.denied ?? false,
    });
    return arn;
  }

  /** Replaces the value (SecretString) of a secret added before. */
  setValue(name: string, value: string): void {
    const secret = this.secrets.find((s) => s.name === name);
    if (!secret) throw new Error(`FakeSecrets: no secret ${name}`);
    secret.value = value;
  }

  handle(operation: string, body: JsonBody, region: string = this.region): JsonBody {
    if (operation !== 'DescribeSecret' && operation !== 'GetSecretValue') {
      throw new AwsFault(
        'UnknownOperationException',
        `fake Secrets Manager does not implement ${operation}`,
      );
    }
    const id = str(body, 'SecretId') ?? '';
    const secret = this.secrets.find(
      (s) =>
        s.region === region &&
        (s.name === id ||
          s.arn === id ||
          // A partial ARN: the full one without its random suffix.
          (id.startsWith('arn:') && s.arn.startsWith(`${id}-`) && s.arn.length === id.length + 7)),
    );
    if (secret?.denied) {
      throw new AwsFault(
        'AccessDeniedException',
        `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/github-deploy/GitHubActions is not authorized to perform: secretsmanager:${operation} on resource: ${id} because no identity-based policy allows the secretsmanager:${operation} action`,
      );
    }
    if (!secret) {
      throw new AwsFault(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    const versionId = 'a1b2c3d4-0000-4000-8000-000000000001';
    if (operation === 'GetSecretValue') {
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: this.clock.now() - 3_600,
      };
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      CreatedDate: this.clock.now() - 86_400,
      LastChangedDate: this.clock.now() - 3_600,
      ...(secret.deleted ? { DeletedDate: this.clock.now() - 60 } : {}),
      VersionIdsToStages: { [versionId]: ['AWSCURRENT'] },
    };
  }
}

interface StoredParameter {
  name: string;
  region: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  denied: boolean;
}

export interface FakeParameterOptions {
  /** Default: the fake's region. */
  region?: string;
  /** Default SecureString. */
  type?: StoredParameter['type'];
  value?: string;
  /** The caller may not read it: AccessDeniedException. */
  denied?: boolean;
}

/**
 * SSM Parameter Store's GetParameter, per region: `Name` is the parameter's name or its ARN,
 * optionally with `:<version>`; a SecureString read without decryption comes back encrypted. A
 * name no request region holds is ParameterNotFound (which AWS answers without a message), a
 * version it does not have ParameterVersionNotFound.
 */
export class FakeParameters {
  private readonly parameters: StoredParameter[] = [];

  constructor(
    private readonly region: string,
    private readonly clock: LogicalClock,
  ) {}

  /** Adds a parameter (version 1); returns its ARN. */
  add(name: string, options: FakeParameterOptions = {}): string {
    const region = options.region ?? this.region;
    this.parameters.push({
      name,
      region,
      type: options.type ?? 'SecureString',
      value: options.value ?? 'postgres://app:fake-password@db.internal:5432/app',
      denied: options.denied ?? false,
    });
    return parameterArn(region, name);
  }

  handle(operation: string, body: JsonBody, region: string = this.region): JsonBody {
    if (operation !== 'GetParameter') {
      throw new AwsFault('UnknownOperationException', `fake SSM does not implement ${operation}`);
    }
    const requested = str(body, 'Name') ?? '';
    const versioned = /^(.*):(\d+)$/.exec(requested);
    const name = versioned ? versioned[1]! : requested;
    const parameter = this.parameters.find(
      (p) => p.region === region && (p.name === name || parameterArn(p.region, p.name) === name),
    );
    if (parameter?.denied) {
      throw new AwsFault(
        'AccessDeniedException',
        `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/github-deploy/GitHubActions is not authorized to perform: ssm:GetParameter on resource: ${parameterArn(region, name)} because no identity-based policy allows the ssm:GetParameter action`,
      );
    }
    if (!parameter) throw new AwsFault('ParameterNotFound', '');
    if (versioned && versioned[2] !== '1') {
      throw new AwsFault(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${versioned[2]} of ${name}. Verify the version and try again.`,
      );
    }
    const decrypt = body.WithDecryption === true;
    return {
      Parameter: {
        Name: parameter.name,
        Type: parameter.type,
        Value:
          parameter.type === 'SecureString' && !decrypt
            ? Buffer.from(`encrypted:${parameter.name}`).toString('base64')
            : parameter.value,
        Version: 1,
        LastModifiedDate: this.clock.now() - 86_400,
        ARN: parameterArn(parameter.region, parameter.name),
        DataType: 'text',
      },
    };
  }
}

/** `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`, the name's leading slash not doubled. */
export function parameterArn(region: string, name: string): string {
  return `arn:aws:ssm:${region}:${ACCOUNT_ID}:parameter/${name.replace(/^\//, '')}`;
}

export class FakeEcr {
  /**
   * The password every token carries (the token is base64 of `AWS:<password>`); tests assert it
   * was masked, and the secret audit plants a random one here.
   */
  password = 'ecr-password-0123456789abcdef';
  /** GetAuthorizationToken answers so far: how many tokens reached the caller. */
  tokensIssued = 0;

  /** Repository names DescribeRepositories finds; any other name is RepositoryNotFoundException. */
  readonly repositories = new Set<string>();
  /** Repository creation templates (`{ prefix, appliedFor: ['CREATE_ON_PUSH'] }` and the like). */
  readonly creationTemplates: { prefix: string; appliedFor: string[] }[] = [];

  constructor(private readonly clock: LogicalClock) {}

  handle(operation: string, body: JsonBody, region: string): JsonBody {
    if (operation === 'DescribeRepositories') return this.describeRepositories(body, region);
    if (operation === 'DescribeRepositoryCreationTemplates') {
      return { registryId: ACCOUNT_ID, repositoryCreationTemplates: this.creationTemplates };
    }
    if (operation !== 'GetAuthorizationToken') {
      throw new AwsFault('UnknownOperationException', `fake ECR does not implement ${operation}`);
    }
    this.tokensIssued++;
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${this.password}`).toString('base64'),
          expiresAt: this.clock.now() + 12 * 3600,
          proxyEndpoint: `https://${ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`,
        },
      ],
    };
  }

  private describeRepositories(body: JsonBody, region: string): JsonBody {
    const registryId = str(body, 'registryId') ?? ACCOUNT_ID;
    const names = Array.isArray(body.repositoryNames) ? (body.repositoryNames as string[]) : [];
    const missing = names.find((name) => registryId !== ACCOUNT_ID || !this.repositories.has(name));
    if (missing !== undefined) {
      throw new AwsFault(
        'RepositoryNotFoundException',
        `The repository with name '${missing}' does not exist in the registry with id '${registryId}'`,
      );
    }
    return {
      repositories: names.map((name) => ({
        repositoryName: name,
        registryId,
        repositoryArn: `arn:aws:ecr:${region}:${registryId}:repository/${name}`,
        repositoryUri: `${registryId}.dkr.ecr.${region}.amazonaws.com/${name}`,
      })),
    };
  }
}
