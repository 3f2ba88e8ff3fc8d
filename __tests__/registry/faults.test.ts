// Faults injected between the client and a real registry: each ends in a success after a retry
// or in a clean failure that leaves no manifest behind. Sleeps are injected (recorded, never
// waited), timeouts are a few hundred milliseconds.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteError } from '../../src/errors';
import { ImageError } from '../../src/image/image-error';
import { pullBaseImage } from '../../src/registry/pull';
import { pushImage } from '../../src/registry/push';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { makeImage, pushable, randomLayer, streamOf, type TestImage } from '../helpers/images';
import { readAll } from '../image/helpers';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';

let registry: RegistryServer;
let proxy: FaultProxy;
let configDir: string;

const amd64 = { os: 'linux', architecture: 'amd64' };
const LAYER = 200_000;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy({ upstream: registry.url });
  configDir = await mkdtemp(join(tmpdir(), 'faults-docker-config-'));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());
afterEach(() => proxy.reset());

let repoCount = 0;
function freshRepo() {
  return { registry: proxy.host, repository: `faults/app-${++repoCount}` };
}

function newImage(): TestImage {
  return makeImage({ architecture: 'amd64', layers: [randomLayer(LAYER)] });
}

/** Asks the registry directly (not through the proxy) whether a manifest exists. */
async function manifestStatus(repository: string, reference: string): Promise<number> {
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return response.status;
}

describe('push under faults', () => {
  it('retries a 500 once and succeeds, logging the attempt', async () => {
    const target = freshRepo();
    const image = newImage();
    proxy.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      action: {
        kind: 'status',
        status: 500,
        body: '{"errors":[{"code":"UNKNOWN","message":"storage hiccup"}]}',
      },
    });
    const { client, logs, sleeps } = testClient(configDir);
    await pushImage(client, target, pushable(image), ['v1'], () => undefined, { concurrency: 1 });
    expect(sleeps).toHaveLength(1);
    expect(logs).toEqual([
      expect.stringMatching(
        new RegExp(
          `^upload blob sha256:[0-9a-f]{64} on ${target.registry}/${target.repository}: attempt 1/4 failed \\(PATCH answered HTTP 500 \\(UNKNOWN: storage hiccup\\)\\), retrying in 0\\.\\ds$`,
        ),
      ),
    ]);
    expect(await manifestStatus(target.repository, 'v1')).toBe(200);
  });

  it('honours Retry-After on a 429', async () => {
    const target = freshRepo();
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\//,
      action: {
        kind: 'status',
        status: 429,
        headers: { 'Retry-After': '3' },
        body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
      },
    });
    const { client, sleeps, logs } = testClient(configDir);
    await pushImage(client, target, pushable(newImage()), ['v1'], () => undefined);
    expect(sleeps).toEqual([3000]);
    expect(logs[0]).toMatch(/attempt 1\/4 failed \(HEAD answered HTTP 429\), retrying in 3\.0s$/);
  });

  it('gives up at once when Retry-After is beyond the time budget', async () => {
    const target = freshRepo();
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\//,
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '600' } },
    });
    const { client, sleeps } = testClient(configDir);
    await expect(
      pushImage(client, target, pushable(newImage()), ['v1'], () => undefined),
    ).rejects.toThrow(/HEAD answered HTTP 429\. Fix: .* is throttling requests/);
    expect(sleeps).toEqual([]);
  });

  it('restarts an upload whose connection was reset mid-body', async () => {
    const target = freshRepo();
    const image = newImage();
    proxy.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      when: (req) => Number(req.headers['content-length']) === LAYER,
      action: { kind: 'reset-request', afterBytes: 60_000 },
    });
    const { client, logs } = testClient(configDir);
    const blobs = pushable(image);
    let opens = 0;
    blobs.blobs = blobs.blobs.map((b) => ({
      ...b,
      open: () => {
        if (b.descriptor.size === LAYER) opens++;
        return b.open();
      },
    }));
    await pushImage(client, target, blobs, ['v1'], () => undefined, { concurrency: 1 });
    expect(opens).toBe(2); // the body came from its opener again, not from a consumed stream
    expect(logs).toEqual([
      expect.stringMatching(
        /: attempt 1\/4 failed \(PATCH .*: the connection to .* was dropped .*\), retrying in/,
      ),
    ]);
    // The retry opened a new session: two POSTs and two PATCHes for the first blob.
    expect(proxy.counts((r) => r.method === 'POST' || r.method === 'PATCH')).toEqual({
      POST: 3,
      PATCH: 3,
    });
    const layer = image.layers[0]!;
    const pulled = await pullBaseImage(client, { ...target, tag: 'v1' }, amd64);
    expect((await readAll(pulled.openBlob(layer.descriptor))).equals(layer.bytes)).toBe(true);
  });

  it('leaves no manifest behind when a blob keeps failing (500)', async () => {
    const target = freshRepo();
    const image = newImage();
    const layerDigest = image.layers[0]!.descriptor.digest;
    proxy.addRule({
      method: 'HEAD',
      path: new RegExp(`/blobs/${layerDigest}`),
      times: 100,
      action: { kind: 'status', status: 503 },
    });
    const { client, sleeps } = testClient(configDir);
    const lines: string[] = [];
    const error = await pushImage(client, target, pushable(image), ['v1'], (m) =>
      lines.push(m),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toBe(
      `check blob ${layerDigest} on ${target.registry}/${target.repository} failed: HEAD answered HTTP 503. Fix: ${target.registry} failed on its side; retry later`,
    );
    expect(sleeps).toHaveLength(3); // 4 attempts, bounded
    expect(lines).toContain(
      `${target.registry}/${target.repository}: a blob could not be pushed, so no manifest or tag was put`,
    );
    expect(
      proxy.records.filter((r) => r.url.includes('/manifests/') && r.method === 'PUT'),
    ).toEqual([]);
    expect(await manifestStatus(target.repository, image.manifestDescriptor.digest)).toBe(404);
    expect(await manifestStatus(target.repository, 'v1')).toBe(404);
  });

  it('leaves no manifest behind when every upload attempt is reset', async () => {
    const target = freshRepo();
    const image = newImage();
    proxy.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      times: 100,
      action: { kind: 'reset-request', afterBytes: 1000 },
    });
    const { client } = testClient(configDir);
    await expect(
      pushImage(client, target, pushable(image), ['v1'], () => undefined),
    ).rejects.toThrow(
      /upload blob sha256:[0-9a-f]{64} on .* failed: PATCH .*: the connection to .* was dropped.*Fix: the connection to .* kept dropping after it was made; retry later/,
    );
    expect(await manifestStatus(target.repository, image.manifestDescriptor.digest)).toBe(404);
    expect(await manifestStatus(target.repository, 'v1')).toBe(404);
  });
});

describe('upload sources', () => {
  it('refuses to send bytes that do not match the descriptor, without retrying', async () => {
    const target = freshRepo();
    const image = newImage();
    const blobs = pushable(image);
    let opens = 0;
    blobs.blobs = blobs.blobs.map((b) =>
      b.descriptor.size === LAYER
        ? { ...b, open: () => (opens++, streamOf(flipByte(image.layers[0]!.bytes))) }
        : b,
    );
    const { client, sleeps } = testClient(configDir);
    await expect(pushImage(client, target, blobs, ['v1'], () => undefined)).rejects.toThrow(
      new RegExp(
        `upload blob ${image.layers[0]!.descriptor.digest} on .* failed: blob .* content hashes to sha256:`,
      ),
    );
    expect(opens).toBe(1);
    expect(sleeps).toEqual([]);
    expect(await manifestStatus(target.repository, 'v1')).toBe(404);
    expect(await manifestStatus(target.repository, image.manifestDescriptor.digest)).toBe(404);
  });
});

describe('pull under faults', () => {
  const image = makeImage({ architecture: 'amd64', layers: [randomLayer(LAYER)] });
  const repository = 'faults/base';
  const layer = image.layers[0]!;

  beforeAll(async () => {
    const { client } = testClient(configDir);
    await pushImage(
      client,
      { registry: proxy.host, repository },
      pushable(image),
      ['v1'],
      () => undefined,
    );
  });

  const ref = () => ({ registry: proxy.host, repository, tag: 'v1' });

  it('retries a 500 on a manifest GET', async () => {
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\/v1/,
      action: { kind: 'status', status: 500 },
    });
    const { client, sleeps } = testClient(configDir);
    const source = await pullBaseImage(client, ref(), amd64);
    expect(source.manifestDescriptor.digest).toBe(image.manifestDescriptor.digest);
    expect(sleeps).toHaveLength(1);
  });

  it('resumes a blob GET reset mid-body with a Range request', async () => {
    const { client, logs } = testClient(configDir);
    const source = await pullBaseImage(client, ref(), amd64);
    proxy.reset();
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      action: { kind: 'reset-response', afterBytes: 70_000 },
    });
    expect((await readAll(source.openBlob(layer.descriptor))).equals(layer.bytes)).toBe(true);
    const gets = proxy.records.filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(2);
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(gets[1]!.range!)![1])).toBeGreaterThan(0);
    expect(logs[0]).toMatch(/get blob sha256:.*: attempt 1\/4 failed \(GET .*dropped/);
  });

  it('retries a manifest GET reset mid-body', async () => {
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\/v1/,
      action: { kind: 'reset-response', afterBytes: 100 },
    });
    const { client } = testClient(configDir);
    const fetched = await client.getManifest(ref());
    expect(fetched.bytes.equals(image.manifestBytes)).toBe(true);
    expect(proxy.counts()).toEqual({ GET: 2 });
  });

  // Idle timeouts of a second or more: a loaded 2-core machine can leave a healthy answer idle
  // for a few hundred milliseconds, which a shorter one would take for a stall.
  it('abandons a body that stalls beyond the timeout, then resumes', async () => {
    const { client, logs } = testClient(configDir, { timeoutMs: 1500 });
    const source = await pullBaseImage(client, ref(), amd64);
    proxy.reset();
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      action: { kind: 'stall-response', afterBytes: 50_000, ms: 120_000 },
    });
    expect((await readAll(source.openBlob(layer.descriptor))).equals(layer.bytes)).toBe(true);
    // Resumed after the idle timeout, not after the stall's two minutes (beyond jest's 30 s).
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/attempt 1\/4 failed \(GET .*: no progress for 1\.5s\)/);
    expect(proxy.records[1]!.range).toMatch(/^bytes=\d+-$/);
  });

  it('fails cleanly when a blob keeps stalling', async () => {
    const { client } = testClient(configDir, { timeoutMs: 1000, retry: { attempts: 2 } });
    const source = await pullBaseImage(client, ref(), amd64);
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      times: 10,
      action: { kind: 'stall-response', afterBytes: 0, ms: 120_000 },
    });
    await expect(readAll(source.openBlob(layer.descriptor))).rejects.toThrow(
      /get blob sha256:.* failed: GET .*: no progress for 1s\. Fix: check that .* is reachable from this runner and not overloaded/,
    );
  });

  it('rejects a blob whose bytes were rewritten', async () => {
    const { client } = testClient(configDir);
    const source = await pullBaseImage(client, ref(), amd64);
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      action: { kind: 'rewrite-response', rewrite: (body) => flipByte(body) },
    });
    const error = await readAll(source.openBlob(layer.descriptor)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as Error).message).toContain(`content hashes to sha256:`);
    expect((error as Error).message).toContain(`expected ${layer.descriptor.digest}`);
  });

  it('relays a verified base blob without hashing it again, and its own check still fails a lie', async () => {
    const { client } = testClient(configDir);
    const source = await pullBaseImage(client, ref(), amd64);
    proxy.addRule({
      method: 'GET',
      path: /\/blobs\//,
      action: { kind: 'rewrite-response', rewrite: (body) => flipByte(body) },
    });
    const target = freshRepo();
    const blobs = pushable(image);
    // As pushable-image.ts gives a base layer, less `from` (a mount would skip the upload).
    blobs.blobs = blobs.blobs.map((b) =>
      b.descriptor.digest === layer.descriptor.digest
        ? { descriptor: b.descriptor, open: () => source.openBlob(b.descriptor), verified: true }
        : b,
    );
    await expect(pushImage(client, target, blobs, ['v1'], () => undefined)).rejects.toThrow(
      /content hashes to sha256:/,
    );
    expect(await manifestStatus(target.repository, 'v1')).toBe(404);
    expect(await manifestStatus(target.repository, image.manifestDescriptor.digest)).toBe(404);
  });

  it('rejects a manifest whose bytes do not match the digest asked for', async () => {
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\/sha256:/,
      action: {
        kind: 'rewrite-response',
        rewrite: (body) =>
          Buffer.from(body.toString().replace('"schemaVersion":2', '"schemaVersion":2 ')),
      },
    });
    const { client } = testClient(configDir);
    await expect(
      client.getManifest({
        registry: proxy.host,
        repository,
        digest: image.manifestDescriptor.digest,
      }),
    ).rejects.toThrow(
      new RegExp(
        `get manifest ${image.manifestDescriptor.digest} on .* failed: manifest .* hashes to sha256:[0-9a-f]{64}, not ${image.manifestDescriptor.digest}`,
      ),
    );
  });

  it('rejects a manifest by tag that does not match Docker-Content-Digest', async () => {
    proxy.addRule({
      method: 'GET',
      path: /\/manifests\/v1/,
      action: {
        kind: 'rewrite-response',
        rewrite: (body) =>
          Buffer.from(body.toString().replace('"schemaVersion":2', '"schemaVersion":2 ')),
      },
    });
    const { client } = testClient(configDir);
    await expect(pullBaseImage(client, ref(), amd64)).rejects.toThrow(
      new RegExp(
        `the registry reports digest ${image.manifestDescriptor.digest}, but the bytes hash to`,
      ),
    );
  });

  it('rejects a config blob that was rewritten', async () => {
    proxy.addRule({
      method: 'GET',
      path: new RegExp(`/blobs/${image.config.descriptor.digest}`),
      action: { kind: 'rewrite-response', rewrite: flipByte },
    });
    const { client } = testClient(configDir);
    await expect(pullBaseImage(client, ref(), amd64)).rejects.toThrow(/content hashes to/);
  });
});

describe('redirected blob GETs', () => {
  let secured: RegistryServer;
  let front: FaultProxy;
  let storage: FaultProxy;
  const USER = 'u';
  const PASSWORD = 'redirect-pass';
  const basicValue = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

  beforeAll(async () => {
    secured = await startRegistry({ htpasswd: { username: USER, password: PASSWORD } });
    front = await startFaultProxy({ upstream: secured.url });
    // Plays S3: another origin, which has its own access to the blobs.
    storage = await startFaultProxy({
      upstream: secured.url,
      upstreamAuthorization: `Basic ${basicValue}`,
    });
  });

  afterAll(async () => {
    await front?.stop();
    await storage?.stop();
    await secured?.stop();
  });

  it('follows the redirect to another port without the Authorization header', async () => {
    await writeFile(
      join(configDir, 'config.json'),
      JSON.stringify({ auths: { [front.host]: { auth: basicValue } } }),
    );
    try {
      const { client } = testClient(configDir);
      const image = makeImage({ architecture: 'amd64', layers: [randomLayer(50_000)] });
      const target = { registry: front.host, repository: 'redirect/app' };
      await pushImage(client, target, pushable(image), ['v1'], () => undefined);
      front.reset();
      front.addRule({
        method: 'GET',
        path: /\/blobs\/sha256:/,
        times: 10,
        action: { kind: 'redirect', to: storage.url },
      });
      const source = await pullBaseImage(client, { ...target, tag: 'v1' }, amd64);
      const layer = image.layers[0]!;
      expect((await readAll(source.openBlob(layer.descriptor))).equals(layer.bytes)).toBe(true);

      const redirected = front.records.filter((r) => r.status === 307);
      expect(redirected).toHaveLength(2); // config and layer
      expect(redirected.every((r) => r.authorization)).toBe(true);
      const followed = storage.records.filter((r) => r.method === 'GET');
      expect(followed.map((r) => r.url)).toEqual(redirected.map((r) => r.url));
      expect(followed.every((r) => !r.authorization && r.status === 200)).toBe(true);
    } finally {
      await rm(join(configDir, 'config.json'), { force: true });
    }
  });
});

function flipByte(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  const at = Math.floor(copy.length / 2);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}
