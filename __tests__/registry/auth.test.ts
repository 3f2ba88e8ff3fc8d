// Authentication against a real registry with htpasswd basic auth (the way ECR answers too), and
// the Bearer token flow through the test proxy's token server: credentials from a Docker config
// file, a credential helper, an injected ECR getter; masking; clear errors with fixes.

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteError } from '../../src/errors';
import {
  parseWwwAuthenticate,
  scopeStrings,
  type EcrCredentialsGetter,
} from '../../src/registry/auth';
import { RegistryError } from '../../src/registry/errors';
import { readDockerCredentials } from '../../src/registry/docker-config';
import { pullBaseImage } from '../../src/registry/pull';
import { pushImage } from '../../src/registry/push';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { makeImage, pushable, randomLayer } from '../helpers/images';
import { freePort, startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';

const USER = 'ci-user';
const PASSWORD = 's3cret-Pa55word';
const ECR = { accountId: '123456789012', region: 'eu-west-1' };
const amd64 = { os: 'linux', architecture: 'amd64' };

let secured: RegistryServer;
let open: RegistryServer;
let proxy: FaultProxy;
let bearerProxy: FaultProxy;
let root: string;

beforeAll(async () => {
  [secured, open] = await Promise.all([
    startRegistry({ htpasswd: { username: USER, password: PASSWORD } }),
    startRegistry(),
  ]);
  proxy = await startFaultProxy({ upstream: secured.url });
  bearerProxy = await startFaultProxy({
    upstream: open.url,
    bearer: { username: USER, password: PASSWORD, anonymousPull: true, refreshToken: 'refresh-me' },
  });
  root = await mkdtemp(join(tmpdir(), 'registry-auth-test-'));
});

afterAll(async () => {
  await proxy?.stop();
  await bearerProxy?.stop();
  await secured?.stop();
  await open?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.reset();
  bearerProxy.reset();
});

let dirCount = 0;
async function dockerConfig(content: unknown): Promise<string> {
  const dir = join(root, `config-${++dirCount}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(content));
  return dir;
}

function basic(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

function expectNoSecretsIn(lines: string[], secrets: string[]): void {
  for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
}

describe('basic auth (htpasswd) from a Docker config file', () => {
  it('pushes and pulls with auths[host].auth, masking the password and the Basic value', async () => {
    const dir = await dockerConfig({ auths: { [proxy.host]: { auth: basic(USER, PASSWORD) } } });
    const { client, masked, logs } = testClient(dir);
    const target = { registry: proxy.host, repository: 'auth/app' };
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(20_000)] });
    const pushLines: string[] = [];
    await pushImage(client, target, pushable(image), ['v1'], (m) => pushLines.push(m));
    const pulled = await pullBaseImage(client, { ...target, tag: 'v1' }, amd64);
    expect(pulled.manifestDescriptor.digest).toBe(image.manifestDescriptor.digest);

    expect(masked).toEqual(expect.arrayContaining([PASSWORD, basic(USER, PASSWORD)]));
    expectNoSecretsIn([...logs, ...pushLines], [PASSWORD, basic(USER, PASSWORD)]);
    expect(logs).toContain(
      `${proxy.host}: using credentials from auths in ${join(dir, 'config.json')}`,
    );
    // One challenge, then the Basic header goes along with every request.
    expect(proxy.records.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('accepts username/password fields and a scheme-qualified key', async () => {
    const dir = await dockerConfig({
      auths: { [`http://${proxy.host}/v1/`]: { username: USER, password: PASSWORD } },
    });
    const { client } = testClient(dir);
    await expect(
      client.headBlob({ registry: proxy.host, repository: 'auth/app' }, `sha256:${'0'.repeat(64)}`),
    ).resolves.toBeUndefined();
  });

  it('fails on a wrong password with the registry, the source and the fix', async () => {
    const dir = await dockerConfig({ auths: { [proxy.host]: { auth: basic(USER, 'wrong') } } });
    const { client } = testClient(dir);
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(100)] });
    const error = await pushImage(
      client,
      { registry: proxy.host, repository: 'auth/app' },
      pushable(image),
      ['v1'],
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toBeInstanceOf(RegistryError);
    const message = (error as Error).message;
    expect(message).toContain(`on ${proxy.host}/auth/app failed`);
    expect(message).toContain(
      `${proxy.host} refused the credentials from auths in ${join(dir, 'config.json')}`,
    );
    expect(message).toMatch(/Fix: check the docker login for 127\.0\.0\.1:\d+/);
    expect(message).not.toContain('wrong');
    expect((error as RegistryError).status).toBe(401);
  });

  it('fails clearly when the registry wants a login and the config has none', async () => {
    const dir = await dockerConfig({ auths: {} });
    const { client } = testClient(dir);
    await expect(
      client.getManifest({ registry: proxy.host, repository: 'auth/app', tag: 'v1' }),
    ).rejects.toThrow(
      new RegExp(
        `${proxy.host} requires a login and none was found \\(no entry for ${proxy.host} in .*config\\.json\\)`,
      ),
    );
  });

  it('runs a credential helper from credHelpers with the host on stdin', async () => {
    const bin = join(root, 'bin');
    await mkdir(bin, { recursive: true });
    const seen = join(root, 'helper-stdin');
    await writeFile(
      join(bin, 'docker-credential-testhelper'),
      `#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > '${seen}'\nprintf '{"ServerURL":"x","Username":"${USER}","Secret":"${PASSWORD}"}'\n`,
    );
    await chmod(join(bin, 'docker-credential-testhelper'), 0o755);
    const dir = await dockerConfig({ credHelpers: { [proxy.host]: 'testhelper' } });
    const { client, masked } = testClient(dir, {
      dockerConfig: { env: { DOCKER_CONFIG: dir, PATH: `${bin}:/usr/bin:/bin` }, homeDir: dir },
    });
    await expect(
      client.headManifest({ registry: proxy.host, repository: 'auth/app' }, 'v1'),
    ).resolves.toMatchObject({ digest: expect.stringMatching(/^sha256:/) });
    expect(await readFile(seen, 'utf8')).toBe(proxy.host);
    expect(masked).toContain(PASSWORD);
  });

  it('names a credential helper that is not installed', async () => {
    const dir = await dockerConfig({ credHelpers: { [proxy.host]: 'absent' } });
    const { client } = testClient(dir);
    await expect(
      client.getManifest({ registry: proxy.host, repository: 'auth/app', tag: 'v1' }),
    ).rejects.toThrow(
      /docker-credential-absent .* is not on PATH; install it or remove it from the config/,
    );
  });

  it('warns about a missing credsStore and goes on anonymously', async () => {
    const dir = await dockerConfig({ credsStore: 'desktop' });
    const { client, logs } = testClient(dir, {
      dockerConfig: { env: { DOCKER_CONFIG: dir, PATH: '' }, homeDir: dir },
    });
    await expect(
      client.headBlob({ registry: open.host, repository: 'any/repo' }, `sha256:${'1'.repeat(64)}`),
    ).resolves.toBeUndefined();
    await expect(
      client.getManifest({ registry: proxy.host, repository: 'auth/app', tag: 'v1' }),
    ).rejects.toThrow(/requires a login and none was found/);
    expect(
      logs.some((l) => l.startsWith('Warning:') && l.includes('docker-credential-desktop')),
    ).toBe(true);
  });
});

describe('ECR credentials (injected getter)', () => {
  const identifyEcrRegistry = (registry: string) => (registry === proxy.host ? ECR : undefined);

  it('gets the login once, sends Basic without waiting for a challenge, and masks it', async () => {
    const getter = jest.fn<ReturnType<EcrCredentialsGetter>, Parameters<EcrCredentialsGetter>>(
      async () => ({ username: USER, password: PASSWORD }),
    );
    const dir = await dockerConfig({});
    const { client, masked, logs } = testClient(dir, {
      ecrCredentials: getter,
      identifyEcrRegistry,
    });
    const target = { registry: proxy.host, repository: 'ecr/app' };
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(10_000)] });
    await pushImage(client, target, pushable(image), ['v1'], () => undefined);
    await pushImage(client, target, pushable(image), ['v1'], () => undefined);
    expect(getter).toHaveBeenCalledTimes(1);
    expect(getter).toHaveBeenCalledWith(proxy.host, ECR);
    expect(proxy.records.filter((r) => r.status === 401)).toHaveLength(0);
    expect(masked).toEqual(expect.arrayContaining([PASSWORD, basic(USER, PASSWORD)]));
    expectNoSecretsIn(logs, [PASSWORD]);
  });

  it('explains a rejected ECR token with the IAM actions to check', async () => {
    const dir = await dockerConfig({});
    const { client } = testClient(dir, {
      ecrCredentials: async () => ({ username: 'AWS', password: 'expired-token' }),
      identifyEcrRegistry,
    });
    await expect(
      client.headManifest({ registry: proxy.host, repository: 'ecr/app' }, 'v1'),
    ).rejects.toThrow(
      /Fix: check that the workflow's AWS credentials can call ecr:GetAuthorizationToken for account 123456789012/,
    );
  });

  it.each([
    ['HEAD', /\/blobs\/sha256/, 'ecr:BatchCheckLayerAvailability'],
    [
      'POST',
      /\/blobs\/uploads\/$/,
      'ecr:InitiateLayerUpload, ecr:UploadLayerPart and ecr:CompleteLayerUpload',
    ],
    ['PUT', /\/manifests\//, 'ecr:PutImage'],
  ])('maps 403 DENIED on %s to the missing IAM action', async (method, path, action) => {
    const dir = await dockerConfig({});
    const { client } = testClient(dir, {
      ecrCredentials: async () => ({ username: USER, password: PASSWORD }),
      identifyEcrRegistry,
    });
    proxy.addRule({
      method,
      path,
      times: 1,
      action: {
        kind: 'status',
        status: 403,
        body: JSON.stringify({
          errors: [
            {
              code: 'DENIED',
              message: `User: arn:aws:sts::123456789012:assumed-role/ci is not authorized`,
            },
          ],
        }),
      },
    });
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(1000)] });
    const error = (await pushImage(
      client,
      { registry: proxy.host, repository: `ecr/denied-${method.toLowerCase()}` },
      pushable(image),
      ['v1'],
      () => undefined,
    ).catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.status).toBe(403);
    expect(error.codes).toEqual(method === 'HEAD' ? [] : ['DENIED']); // a HEAD answer has no body
    expect(error.message).toContain(`Fix: allow ${action}`);
    expect(error.message).toContain(`on ${proxy.host}/ecr/denied-${method.toLowerCase()} failed`);
  });

  it('maps 403 on a pull to ecr:BatchGetImage and ecr:GetDownloadUrlForLayer', async () => {
    const dir = await dockerConfig({});
    const { client } = testClient(dir, {
      ecrCredentials: async () => ({ username: USER, password: PASSWORD }),
      identifyEcrRegistry,
    });
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\//,
      action: {
        kind: 'status',
        status: 403,
        body: '{"errors":[{"code":"DENIED","message":"not authorized"}]}',
      },
    });
    await expect(
      pullBaseImage(client, { registry: proxy.host, repository: 'ecr/app', tag: 'v1' }, amd64),
    ).rejects.toThrow(
      /get manifest v1 on .* failed: GET answered HTTP 403 \(DENIED: not authorized\)\. Fix: allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer/,
    );
  });

  it('says how to create a missing ECR repository (NAME_UNKNOWN)', async () => {
    const dir = await dockerConfig({});
    const { client } = testClient(dir, {
      ecrCredentials: async () => ({ username: USER, password: PASSWORD }),
      identifyEcrRegistry,
    });
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\//,
      action: { kind: 'status', status: 404, body: '' },
    });
    proxy.addRule({
      method: 'HEAD',
      path: /\/blobs\//,
      action: { kind: 'status', status: 404, body: '' },
    });
    proxy.addRule({
      method: 'POST',
      path: /\/blobs\/uploads\//,
      action: {
        kind: 'status',
        status: 404,
        body: JSON.stringify({
          errors: [
            {
              code: 'NAME_UNKNOWN',
              message:
                "The repository with name 'team/migrations' does not exist in the registry with id '123456789012'",
            },
          ],
        }),
      },
    });
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(100)] });
    await expect(
      pushImage(
        client,
        { registry: proxy.host, repository: 'team/migrations' },
        pushable(image),
        [],
        () => undefined,
        { concurrency: 1 },
      ),
    ).rejects.toThrow(
      "Fix: the repository 'team/migrations' does not exist in ECR registry 123456789012 (eu-west-1); create it with `aws ecr create-repository --repository-name team/migrations --region eu-west-1`",
    );
  });

  it('wraps a failing ECR getter into an auth error', async () => {
    const dir = await dockerConfig({});
    const { client } = testClient(dir, {
      ecrCredentials: async () => {
        throw new Error(
          'AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken',
        );
      },
      identifyEcrRegistry,
    });
    await expect(
      client.headBlob({ registry: proxy.host, repository: 'ecr/app' }, `sha256:${'2'.repeat(64)}`),
    ).rejects.toThrow(/getting an ECR authorization token for .* failed: AccessDeniedException/);
  });
});

describe('Bearer token flow', () => {
  it('fetches one pull,push token for a push, cached per scope, with Basic credentials', async () => {
    const dir = await dockerConfig({
      auths: { [bearerProxy.host]: { auth: basic(USER, PASSWORD) } },
    });
    const { client, masked, logs } = testClient(dir);
    const target = { registry: bearerProxy.host, repository: 'token/app' };
    const image = makeImage({
      architecture: 'amd64',
      layers: [randomLayer(10_000), randomLayer(500)],
    });
    await pushImage(client, target, pushable(image), ['v1'], () => undefined);
    expect(bearerProxy.tokenRequests()).toBe(1);
    expect(client.stats.tokenRequests).toBe(1);
    const tokenRecord = bearerProxy.records.find((r) => r.url.startsWith('/token'))!;
    expect(new URL(tokenRecord.url, 'http://x').searchParams.getAll('scope')).toEqual([
      'repository:token/app:pull,push',
    ]);
    expect(tokenRecord.authorization).toBe(true);
    expect(bearerProxy.records.filter((r) => r.status === 401)).toHaveLength(1);
    // The token is masked like the password; nothing secret is logged.
    expect(masked.length).toBeGreaterThanOrEqual(3);
    expectNoSecretsIn(logs, masked);

    // A revoked token is refreshed once, transparently.
    bearerProxy.revokeTokens();
    await expect(client.headManifest(target, 'v1', 'push')).resolves.toMatchObject({
      digest: image.manifestDescriptor.digest,
    });
    expect(bearerProxy.tokenRequests()).toBe(2);
  });

  it('pulls anonymously and accepts access_token', async () => {
    const dir = await dockerConfig({
      auths: { [bearerProxy.host]: { auth: basic(USER, PASSWORD) } },
    });
    const writer = testClient(dir).client;
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(1000)] });
    await pushImage(
      writer,
      { registry: bearerProxy.host, repository: 'token/public' },
      pushable(image),
      ['v1'],
      () => undefined,
    );

    const anonymousProxy = await startFaultProxy({
      upstream: open.url,
      bearer: { username: USER, password: PASSWORD, anonymousPull: true, accessTokenField: true },
    });
    try {
      const { client } = testClient(await dockerConfig({}));
      const source = await pullBaseImage(
        client,
        { registry: anonymousProxy.host, repository: 'token/public', tag: 'v1' },
        amd64,
      );
      expect(source.manifestDescriptor.digest).toBe(image.manifestDescriptor.digest);
      const tokenRecord = anonymousProxy.records.find((r) => r.url.startsWith('/token'))!;
      expect(tokenRecord.authorization).toBe(false);
      // An anonymous token cannot push: the error says so and names the fix.
      await expect(
        client.putManifest(
          { registry: anonymousProxy.host, repository: 'token/public' },
          'v2',
          image.manifestBytes,
          image.manifestDescriptor.mediaType,
        ),
      ).rejects.toThrow(
        /refused the request even after authenticating.*Fix: check the docker login/,
      );
    } finally {
      await anonymousProxy.stop();
    }
  });

  it('exchanges an identity token (OAuth2 refresh token) for an access token', async () => {
    const dir = await dockerConfig({
      auths: { [bearerProxy.host]: { identitytoken: 'refresh-me' } },
    });
    const { client, masked } = testClient(dir);
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(1000)] });
    const target = { registry: bearerProxy.host, repository: 'token/identity' };
    await pushImage(client, target, pushable(image), ['v1'], () => undefined);
    const tokenRecords = bearerProxy.records.filter((r) => r.url.startsWith('/token'));
    expect(tokenRecords.map((r) => r.method)).toEqual(['POST']);
    expect(masked).toContain('refresh-me');
  });

  it('reports a token server that refuses the credentials', async () => {
    const dir = await dockerConfig({
      auths: { [bearerProxy.host]: { auth: basic(USER, 'nope') } },
    });
    const { client } = testClient(dir);
    await expect(
      client.getManifest({ registry: bearerProxy.host, repository: 'token/app', tag: 'v1' }),
    ).rejects.toThrow(
      /the token server http:\/\/127\.0\.0\.1:\d+ refused the credentials for .* \(HTTP 401; from auths in/,
    );
  });
});

describe('connection failures', () => {
  it('names the host when nothing listens there', async () => {
    const port = await freePort();
    const { client } = testClient(await dockerConfig({}));
    await expect(
      client.headManifest({ registry: `127.0.0.1:${port}`, repository: 'x/y' }, 'v1'),
    ).rejects.toThrow(
      new RegExp(
        `check manifest v1 on 127\\.0\\.0\\.1:${port}/x/y failed: HEAD http://127\\.0\\.0\\.1:${port}/v2/x/y/manifests/v1: 127\\.0\\.0\\.1:${port} refused the connection.*Fix: check that the host 127\\.0\\.0\\.1:${port} is spelled right and reachable`,
      ),
    );
  });

  it('uses https for registries that are not loopback', async () => {
    const urls: string[] = [];
    const { client } = testClient(await dockerConfig({}), {
      fetch: async (url) => {
        urls.push(url);
        throw Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('self-signed certificate'), {
            code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
          }),
        });
      },
    });
    await expect(
      client.headManifest({ registry: 'registry.example.com', repository: 'x/y' }, 'v1'),
    ).rejects.toThrow(
      /the TLS connection to registry\.example\.com failed.*Fix: check the TLS certificate of registry\.example\.com/,
    );
    expect(urls).toEqual(['https://registry.example.com/v2/x/y/manifests/v1']);
  });
});

describe('parsing', () => {
  it('parses WWW-Authenticate challenges with quoted commas', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull,push',
        },
      },
    ]);
    expect(
      parseWwwAuthenticate(
        'Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
      ),
    ).toEqual([
      {
        scheme: 'basic',
        params: {
          realm: 'https://1.dkr.ecr.us-east-1.amazonaws.com/',
          service: 'ecr.amazonaws.com',
        },
      },
    ]);
    expect(parseWwwAuthenticate('Basic realm=test, Bearer realm="r"')).toEqual([
      { scheme: 'basic', params: { realm: 'test' } },
      { scheme: 'bearer', params: { realm: 'r' } },
    ]);
  });

  it('merges scopes per repository', () => {
    expect(
      scopeStrings([
        { repository: 'b/app', actions: ['push'] },
        { repository: 'a/base', actions: ['pull'] },
        { repository: 'b/app', actions: ['pull'] },
      ]),
    ).toEqual(['repository:a/base:pull', 'repository:b/app:pull,push']);
  });

  it("reads Docker Hub's legacy key and identity tokens from the Docker config", async () => {
    const dir = await dockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: basic('hubuser', 'hubpass') },
        'ghcr.io': { identitytoken: 'refresh-me' },
      },
    });
    const options = { env: { DOCKER_CONFIG: dir }, homeDir: dir };
    await expect(readDockerCredentials('registry-1.docker.io', options)).resolves.toMatchObject({
      credentials: { username: 'hubuser', password: 'hubpass' },
    });
    await expect(readDockerCredentials('ghcr.io', options)).resolves.toMatchObject({
      credentials: { identityToken: 'refresh-me' },
    });
    await expect(readDockerCredentials('quay.io', options)).resolves.toEqual({
      source: `no entry for quay.io in ${join(dir, 'config.json')}`,
    });
  });

  it('falls back to ~/.docker/config.json without DOCKER_CONFIG', async () => {
    const home = join(root, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'example.com': { username: 'u', password: 'p' } } }),
    );
    await expect(
      readDockerCredentials('example.com', { env: {}, homeDir: home }),
    ).resolves.toMatchObject({
      credentials: { username: 'u', password: 'p' },
    });
  });
});
