// The SDK clients' answers to faults that the matrices found wanting: the workflow's own retry
// settings (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) win over the action's defaults, and a request that
// gets no answer fails after a time limit and is retried, instead of holding the step forever.
import { createAwsApis, createAwsClients, DEFAULT_MAX_ATTEMPTS } from '../../src/aws/clients';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';

describe('retry settings', () => {
  it('keeps its default when the workflow sets none', async () => {
    const clients = createAwsClients({ userAgent: 'x', env: {} });
    try {
      expect(await clients.ecs.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
    } finally {
      clients.destroy();
    }
  });

  it('honours AWS_MAX_ATTEMPTS and AWS_RETRY_MODE from the environment', async () => {
    const restore = useFakeAwsEnv(
      { url: 'http://127.0.0.1:9', region: 'us-east-1' },
      { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'adaptive' },
    );
    const clients = createAwsClients({ userAgent: 'x' });
    try {
      for (const client of [clients.ecs, clients.logs, clients.secretsManager, clients.ecr]) {
        expect(await client.config.maxAttempts()).toBe(2);
        expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
      }
    } finally {
      clients.destroy();
      restore();
    }
  });
});

describe('a request that gets no answer', () => {
  let aws: FakeAws;
  let restore: () => void;

  beforeEach(async () => {
    aws = new FakeAws();
    await aws.start();
    restore = useFakeAwsEnv(aws);
  });
  afterEach(async () => {
    restore();
    await aws.close();
  });

  it('times out and is sent again', async () => {
    aws.secrets.add('prod/db');
    aws.fault('DescribeSecret', { kind: 'slow', ms: 20_000 });
    const clients = createAwsClients({ userAgent: 'x', requestTimeoutMs: 1500 });
    try {
      const answer = await createAwsApis(clients).secrets.describeSecret({ SecretId: 'prod/db' });
      expect(answer.Name).toBe('prod/db');
      // The stalled call is recorded only once its 20 s are up: the answer came from the retry.
      expect(aws.callsOf('DescribeSecret').map((c) => c.fault)).toEqual([undefined]);
    } finally {
      clients.destroy();
    }
  });

  it('fails naming the operation once the attempts are spent', async () => {
    aws.secrets.add('prod/db');
    aws.fault('DescribeSecret', { kind: 'slow', ms: 20_000 }, Infinity);
    const clients = createAwsClients({ userAgent: 'x', requestTimeoutMs: 1000, maxAttempts: 2 });
    try {
      await expect(
        createAwsApis(clients).secrets.describeSecret({ SecretId: 'prod/db' }),
      ).rejects.toMatchObject({
        name: 'AwsCallError',
        code: 'ETIMEDOUT',
        transient: true,
        message: expect.stringMatching(/secretsmanager:DescribeSecret.*prod\/db/),
      });
    } finally {
      clients.destroy();
    }
  });
});
