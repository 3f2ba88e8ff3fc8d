// A loopback AWS endpoint for tests: speaks AWS JSON 1.1 (`POST /`, `X-Amz-Target:
// <prefix>.<Operation>`, errors as `{__type, message}` with status 400) for ECS, CloudWatch Logs,
// Secrets Manager, SSM Parameter Store and ECR, so the real SDK clients reach it through
// AWS_ENDPOINT_URL and do their own serialising, signing, retrying and parsing. It keeps clusters,
// services, task definitions, tasks, log streams, secrets and parameters in memory (secrets and
// parameters per region: a request finds those of the region its SigV4 credential scope names),
// plays scenarios for new deployments, injects faults into the next calls of an operation (a
// status, a throttle, a dropped connection, a slow answer, a connection dropped after the work was
// done), and records every request so a test can assert that no write happened and count the
// attempts a fault cost.
//
//   const aws = new FakeAws();
//   await aws.start();
//   const restoreEnv = useFakeAwsEnv(aws);
//   ...
//   restoreEnv();
//   await aws.close();
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeEcs } from './fake-aws/ecs';
import {
  AwsFault,
  CONNECTION_RESET,
  DEFAULT_REGION,
  LogicalClock,
  RESET_AFTER_PROCESSING,
  type InjectedFault,
  type JsonBody,
} from './fake-aws/protocol';
import { FakeEcr, FakeLogs, FakeParameters, FakeSecrets } from './fake-aws/services';

export type {
  FakeDeployment,
  FakeService,
  FakeTask,
  Scenario,
  ScenarioContext,
} from './fake-aws/ecs';
export * as scenarios from './fake-aws/scenarios';
export * as standalone from './fake-aws/standalone';
export {
  DEFAULT_DATABASE_URL,
  FakeDatabase,
  ImageProjects,
  projectFromDirectory,
  projectFromFiles,
  runAtlas,
  type AtlasProject,
  type AtlasRun,
  type FakeDatabaseOptions,
} from './fake-atlas';
export { APP_CRASH_LOG, ATLAS_ERROR_LINE, ATLAS_FAILURE_LOG } from './fake-aws/scenarios';
export {
  ACCOUNT_ID,
  CONNECTION_RESET,
  RESET_AFTER_PROCESSING,
  type InjectedFault,
} from './fake-aws/protocol';

export type FakeAwsService = 'ecs' | 'logs' | 'secretsmanager' | 'ssm' | 'ecr';

const TARGET_PREFIXES: Record<string, FakeAwsService> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  Logs_20140328: 'logs',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
};

/** Operations that change something; a pre-flight or a dry run must send none of them. */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'RegisterTaskDefinition',
  'DeregisterTaskDefinition',
  'UpdateService',
  'CreateService',
  'DeleteService',
  'RunTask',
  'StartTask',
  'StopTask',
  'TagResource',
  'UntagResource',
  'PutImage',
  'InitiateLayerUpload',
  'UploadLayerPart',
  'CompleteLayerUpload',
  'BatchDeleteImage',
  'CreateRepository',
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecret',
  'CreateLogGroup',
  'CreateLogStream',
  'PutLogEvents',
]);

export interface RecordedCall {
  readonly service: FakeAwsService | undefined;
  readonly operation: string;
  readonly body: JsonBody;
  /** The region of the SigV4 credential scope the SDK signed with. */
  readonly region: string | undefined;
  readonly userAgent: string;
  readonly signed: boolean;
  /**
   * The error type answered, if any (ThrottlingException for an injected throttle), or
   * CONNECTION_RESET / RESET_AFTER_PROCESSING when the connection was dropped instead.
   */
  readonly error: string | undefined;
  /** The kind of fault injected into this call, if any (a slow answer has no error). */
  readonly fault?: InjectedFault['kind'];
}

export interface FakeAwsOptions {
  /** Region used in the ARNs of fixtures. Default us-east-1. */
  readonly region?: string;
}

export class FakeAws {
  readonly region: string;
  readonly clock = new LogicalClock();
  readonly logs: FakeLogs;
  readonly ecs: FakeEcs;
  readonly secrets: FakeSecrets;
  readonly parameters: FakeParameters;
  readonly ecr: FakeEcr;
  readonly calls: RecordedCall[] = [];
  private readonly faults = new Map<
    string,
    { fault: InjectedFault; remaining: number; skip: number }[]
  >();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server | undefined;
  private address: string | undefined;

  constructor(options: FakeAwsOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.logs = new FakeLogs(this.clock);
    this.ecs = new FakeEcs(this.region, this.clock, this.logs);
    this.secrets = new FakeSecrets(this.region, this.clock);
    this.parameters = new FakeParameters(this.region, this.clock);
    this.ecr = new FakeEcr(this.clock);
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get url(): string {
    if (!this.address) throw new Error('FakeAws: not started');
    return this.address;
  }

  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = http.createServer((req, res) => {
      void this.serve(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.address;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.address = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** The next `times` calls of `operation` answer ThrottlingException. */
  throttle(operation: string, times: number): void {
    this.fault(operation, { kind: 'throttle' }, times);
  }

  /**
   * Injects `fault` into the next `times` calls of `operation` (Infinity: every call from now on).
   * Faults queue per operation: the first one still due is used. `skip`: calls answered normally
   * before the fault starts.
   */
  fault(operation: string, fault: InjectedFault, times = 1, skip = 0): void {
    const queue = this.faults.get(operation) ?? [];
    queue.push({ fault, remaining: times, skip });
    this.faults.set(operation, queue);
  }

  /** Forgets every fault not yet injected. */
  clearFaults(): void {
    this.faults.clear();
  }

  private takeFault(operation: string): InjectedFault | undefined {
    const entry = this.faults.get(operation)?.find((f) => f.remaining > 0);
    if (!entry) return undefined;
    if (entry.skip > 0) {
      entry.skip--;
      return undefined;
    }
    entry.remaining--;
    return entry.fault;
  }

  /** Calls of an operation (or all), throttled ones included. */
  callsOf(operation?: string): RecordedCall[] {
    return operation ? this.calls.filter((c) => c.operation === operation) : [...this.calls];
  }

  /** Calls per operation, e.g. `{DescribeServices: 3, ListTasks: 3}`. */
  counts(options: { includeErrors?: boolean } = {}): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) {
      if (call.error && !options.includeErrors) continue;
      counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    }
    return counts;
  }

  /** Calls that would have changed something. */
  writes(): RecordedCall[] {
    return this.calls.filter((c) => WRITE_OPERATIONS.has(c.operation));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const dot = target.indexOf('.');
    const service = TARGET_PREFIXES[target.slice(0, dot)];
    const operation = dot > 0 ? target.slice(dot + 1) : target;
    const authorization = String(req.headers.authorization ?? '');
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1];
    const fault = this.takeFault(operation);
    const record = (body: JsonBody, error: string | undefined) => {
      this.clock.tick();
      this.calls.push({
        service,
        operation,
        body,
        region,
        userAgent: String(req.headers['user-agent'] ?? ''),
        signed: authorization.startsWith('AWS4-HMAC-SHA256'),
        error,
        ...(fault ? { fault: fault.kind } : {}),
      });
    };
    if (fault?.kind === 'reset') {
      record(parseBody(text), CONNECTION_RESET);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await this.wait(fault.ms);
    if (fault?.kind === 'hold') await fault.until.catch(() => undefined);
    if (!this.server) return;
    let body: JsonBody = {};
    let answer: { status: number; json: unknown };
    try {
      if (req.method !== 'POST' || req.url !== '/') {
        throw new AwsFault('UnknownOperationException', `${req.method} ${req.url} is not JSON 1.1`);
      }
      body = text.trim() === '' ? {} : (JSON.parse(text) as JsonBody);
      if (fault?.kind === 'throttle') throw new AwsFault('ThrottlingException', 'Rate exceeded');
      if (fault?.kind === 'status') {
        const type = fault.type ?? (fault.status >= 500 ? 'ServerException' : 'ClientException');
        throw new AwsFault(type, `injected ${fault.status} answer`, fault.status);
      }
      // A scenario playing Atlas needs the project files of the images: read them (from the
      // loopback registry) before the synchronous handler registers the task definition.
      if (service === 'ecs' && operation === 'RegisterTaskDefinition' && this.ecs.readsImages()) {
        await this.ecs.beforeRegister(body);
        if (!this.server) return;
      }
      answer = { status: 200, json: this.dispatch(service, operation, body, region) };
    } catch (error) {
      const failure =
        error instanceof AwsFault
          ? error
          : new AwsFault(
              'InternalFailure',
              error instanceof Error ? error.message : String(error),
              500,
            );
      answer = { status: failure.status, json: { __type: failure.type, message: failure.message } };
    }
    if (fault?.kind === 'reset-after-processing') {
      record(body, RESET_AFTER_PROCESSING);
      req.socket.destroy();
      return;
    }
    record(
      body,
      answer.status === 200 ? undefined : String((answer.json as { __type: string }).__type),
    );
    const payload = JSON.stringify(answer.json);
    res.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': `req-${this.calls.length}`,
    });
    res.end(payload);
  }

  /** A delay that close() cuts short. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private dispatch(
    service: FakeAwsService | undefined,
    operation: string,
    body: JsonBody,
    region: string | undefined,
  ): JsonBody {
    switch (service) {
      case 'ecs':
        return this.ecs.handle(operation, body);
      case 'logs':
        return this.logs.handle(operation, body);
      case 'secretsmanager':
        return this.secrets.handle(operation, body, region ?? this.region);
      case 'ssm':
        return this.parameters.handle(operation, body, region ?? this.region);
      case 'ecr':
        return this.ecr.handle(operation, body, region ?? this.region);
      default:
        throw new AwsFault('UnknownOperationException', `unknown X-Amz-Target ${operation}`);
    }
  }
}

/** A request body as far as it parses; a dropped call is recorded with what it asked for. */
function parseBody(text: string): JsonBody {
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as JsonBody);
  } catch {
    return {};
  }
}

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECS',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/**
 * Points the SDK's standard configuration at the fake: AWS_ENDPOINT_URL, AWS_REGION, static fake
 * credentials, and no shared config files or instance metadata. Returns a function that puts the
 * environment back. `overrides` set (a string) or unset (undefined) further variables.
 */
export function useFakeAwsEnv(
  fake: FakeAws | { url: string; region: string },
  overrides: Record<string, string | undefined> = {},
): () => void {
  const saved = new Map<string, string | undefined>();
  const keys = new Set([...ENV_KEYS, ...Object.keys(overrides)]);
  for (const key of keys) saved.set(key, process.env[key]);
  for (const key of ENV_KEYS) delete process.env[key];
  const values: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: fake.region,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...overrides,
  };
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
