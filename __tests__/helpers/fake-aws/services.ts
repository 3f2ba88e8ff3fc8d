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
  private readonly secrets: { name: string; arn: string; deleted: boolean }[] = [];

  constructor(
    private readonly region: string,
    private readonly clock: LogicalClock,
  ) {}

  /** Adds a secret; returns its full ARN (with the six random characters ECS wants). */
  add(name: string, options: { deleted?: boolean } = {}): string {
    const suffix = 'AbC123';
    const arn = `arn:aws:secretsmanager:${this.region}:${ACCOUNT_ID}:secret:${name}-${suffix}`;
    this.secrets.push({ name, arn, deleted: options.deleted ?? false });
    return arn;
  }

  handle(operation: string, body: JsonBody): JsonBody {
    if (operation !== 'DescribeSecret') {
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
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: this.clock.now() - 86_400,
      LastChangedDate: this.clock.now() - 3_600,
      ...(secret.deleted ? { DeletedDate: this.clock.now() - 60 } : {}),
      VersionIdsToStages: { 'a1b2c3d4-0000-4000-8000-000000000001': ['AWSCURRENT'] },
    };
  }
}

export class FakeEcr {
  /** The password every token carries; tests assert it was masked. */
  password = 'ecr-password-0123456789abcdef';

  constructor(private readonly clock: LogicalClock) {}

  handle(operation: string, _body: JsonBody, region: string): JsonBody {
    if (operation !== 'GetAuthorizationToken') {
      throw new AwsFault('UnknownOperationException', `fake ECR does not implement ${operation}`);
    }
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
}
