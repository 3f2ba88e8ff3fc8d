// CloudWatch Logs, Secrets Manager and ECR, as far as the action uses them.
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

export class FakeSecrets {
  private readonly secrets: { name: string; arn: string; deleted: boolean; value: string }[] = [];

  constructor(
    private readonly region: string,
    private readonly clock: LogicalClock,
  ) {}

  /**
   * Adds a secret; returns its full ARN (with the six random characters ECS wants). Its value is
   * only served by GetSecretValue, which the action never needs (ECS resolves the secret itself):
   * the secret audit plants a recognisable value here to prove it never reaches any output.
   */
  add(name: string, options: { deleted?: boolean; value?: string } = {}): string {
    const suffix = 'AbC123';
    const arn = `arn:aws:secretsmanager:${this.region}:${ACCOUNT_ID}:secret:${name}-${suffix}`;
    this.secrets.push({
      name,
      arn,
      deleted: options.deleted ?? false,
      value: options.value ?? 'postgres://app:fake-password@db.internal:5432/app',
    });
    return arn;
  }

  /** Replaces the value (SecretString) of a secret added before. */
  setValue(name: string, value: string): void {
    const secret = this.secrets.find((s) => s.name === name);
    if (!secret) throw new Error(`FakeSecrets: no secret ${name}`);
    secret.value = value;
  }

  handle(operation: string, body: JsonBody): JsonBody {
    if (operation !== 'DescribeSecret' && operation !== 'GetSecretValue') {
      throw new AwsFault(
        'UnknownOperationException',
        `fake Secrets Manager does not implement ${operation}`,
      );
    }
    const id = str(body, 'SecretId') ?? '';
    const secret = this.secrets.find(
      (s) =>
        s.name === id ||
        s.arn === id ||
        // A partial ARN: the full one without its random suffix.
        (id.startsWith('arn:') && s.arn.startsWith(`${id}-`) && s.arn.length === id.length + 7),
    );
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
      CreatedDate: this.clock.now() - 86_400,
      LastChangedDate: this.clock.now() - 3_600,
      ...(secret.deleted ? { DeletedDate: this.clock.now() - 60 } : {}),
      VersionIdsToStages: { [versionId]: ['AWSCURRENT'] },
    };
  }
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
