import type { GetAuthorizationTokenResponse } from '@aws-sdk/client-ecr';
import type { EcrAuthApi } from '../../src/aws/api';
import { createAwsApis, createAwsClients } from '../../src/aws/clients';
import { TOKEN_REFRESH_MARGIN_MS, createEcrCredentialGetter } from '../../src/aws/ecr-auth';
import { RemoteError } from '../../src/errors';
import { FakeAws, useFakeAwsEnv } from '../helpers/fake-aws';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const PASSWORD = 'eyJwYXlsb2FkIjoi-secret';
const TOKEN = Buffer.from(`AWS:${PASSWORD}`).toString('base64');

function fakeEcr(answers: Array<GetAuthorizationTokenResponse | Error>) {
  const regions: string[] = [];
  const factory = (region: string): EcrAuthApi => ({
    getAuthorizationToken: async () => {
      regions.push(region);
      const answer = answers.shift();
      if (!answer) throw new Error('no more answers');
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  return { factory, regions };
}

const tokenAnswer = (
  token = TOKEN,
  expiresAt: Date | null = new Date(Date.UTC(2024, 0, 1, 12)),
): GetAuthorizationTokenResponse => ({
  authorizationData: [
    {
      authorizationToken: token,
      ...(expiresAt ? { expiresAt } : {}),
      proxyEndpoint: `https://${HOST}`,
    },
  ],
});

const NOW = Date.UTC(2024, 0, 1, 0);

describe('createEcrCredentialGetter', () => {
  it('decodes AWS:<password> and masks the token and the password before returning', async () => {
    const { factory, regions } = fakeEcr([tokenAnswer()]);
    const masked: string[] = [];
    const get = createEcrCredentialGetter(factory, (s) => masked.push(s), { now: () => NOW });
    await expect(get(HOST)).resolves.toEqual({ username: 'AWS', password: PASSWORD });
    expect(masked).toEqual([TOKEN, PASSWORD]);
    expect(regions).toEqual(['us-east-1']);
  });

  it("asks ECR in the host's own region", async () => {
    const { factory, regions } = fakeEcr([tokenAnswer(), tokenAnswer()]);
    const get = createEcrCredentialGetter(factory, () => undefined, { now: () => NOW });
    await get('210987654321.dkr.ecr.ap-southeast-2.amazonaws.com');
    await get('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(regions).toEqual(['ap-southeast-2', 'eu-west-1']);
  });

  it('takes the location from the caller for a stand-in host', async () => {
    const { factory, regions } = fakeEcr([tokenAnswer()]);
    const get = createEcrCredentialGetter(factory, () => undefined, { now: () => NOW });
    await get('127.0.0.1:5000', { accountId: '123456789012', region: 'eu-north-1' });
    expect(regions).toEqual(['eu-north-1']);
  });

  it('reuses a token per region, also for concurrent callers', async () => {
    const { factory, regions } = fakeEcr([tokenAnswer()]);
    const get = createEcrCredentialGetter(factory, () => undefined, { now: () => NOW });
    const [a, b] = await Promise.all([
      get(HOST),
      get(HOST.replace('123456789012', '999999999999')),
    ]);
    expect(a).toEqual(b);
    await get(HOST);
    expect(regions).toEqual(['us-east-1']);
  });

  it('fetches a new token when the old one is about to expire', async () => {
    const expiry = new Date(NOW + TOKEN_REFRESH_MARGIN_MS + 60_000);
    const other = Buffer.from('AWS:second').toString('base64');
    const { factory, regions } = fakeEcr([tokenAnswer(TOKEN, expiry), tokenAnswer(other)]);
    let now = NOW;
    const get = createEcrCredentialGetter(factory, () => undefined, { now: () => now });
    expect((await get(HOST)).password).toBe(PASSWORD);
    now += 30_000;
    expect((await get(HOST)).password).toBe(PASSWORD);
    now += 60_000;
    expect((await get(HOST)).password).toBe('second');
    expect(regions).toHaveLength(2);
  });

  it('keeps a token without expiry', async () => {
    const { factory, regions } = fakeEcr([tokenAnswer(TOKEN, null)]);
    const get = createEcrCredentialGetter(factory, () => undefined);
    await get(HOST);
    await get(HOST);
    expect(regions).toHaveLength(1);
  });

  it('does not remember a failure', async () => {
    const { factory, regions } = fakeEcr([new Error('throttled'), tokenAnswer()]);
    const get = createEcrCredentialGetter(factory, () => undefined, { now: () => NOW });
    await expect(get(HOST)).rejects.toThrow('throttled');
    await expect(get(HOST)).resolves.toMatchObject({ username: 'AWS' });
    expect(regions).toHaveLength(2);
  });

  it('refuses a host that is not ECR', async () => {
    const { factory } = fakeEcr([]);
    const get = createEcrCredentialGetter(factory, () => undefined);
    await expect(get('ghcr.io')).rejects.toThrow(RemoteError);
    await expect(get('ghcr.io')).rejects.toThrow('not an ECR registry host');
  });

  it('refuses an answer without a token', async () => {
    const { factory } = fakeEcr([{ authorizationData: [] }]);
    const get = createEcrCredentialGetter(factory, () => undefined);
    await expect(get(HOST)).rejects.toThrow('holds no authorization token');
  });

  it('refuses a malformed token without showing it, masked all the same', async () => {
    const bad = Buffer.from('no-colon-here').toString('base64');
    const { factory } = fakeEcr([tokenAnswer(bad)]);
    const masked: string[] = [];
    const get = createEcrCredentialGetter(factory, (s) => masked.push(s));
    const error = await get(HOST).catch((e: Error) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toContain('value hidden');
    expect((error as Error).message).not.toContain(bad);
    expect(masked).toEqual([bad]);
  });
});

describe('ECR credentials through the SDK', () => {
  let aws: FakeAws;
  let restoreEnv: () => void;

  beforeEach(async () => {
    aws = new FakeAws();
    await aws.start();
    restoreEnv = useFakeAwsEnv(aws);
  });

  afterEach(async () => {
    restoreEnv();
    await aws.close();
  });

  it('signs GetAuthorizationToken for the registry region and decodes the answer', async () => {
    const clients = createAwsClients({ userAgent: 'atlas-ecs-deploy/test' });
    try {
      const apis = createAwsApis(clients);
      const masked: string[] = [];
      const get = createEcrCredentialGetter(apis.ecrAuthInRegion, (s) => masked.push(s));
      const credentials = await get('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      expect(credentials).toEqual({ username: 'AWS', password: aws.ecr.password });
      expect(masked).toContain(aws.ecr.password);
      expect(masked).toContain(Buffer.from(`AWS:${aws.ecr.password}`).toString('base64'));
      expect(aws.calls.map((c) => [c.operation, c.region, c.signed])).toEqual([
        ['GetAuthorizationToken', 'eu-west-1', true],
      ]);
      expect(aws.writes()).toEqual([]);
    } finally {
      clients.destroy();
    }
  });
});
