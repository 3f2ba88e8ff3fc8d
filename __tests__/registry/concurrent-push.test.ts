// Two pushes of one image at once, with the interleaving that made one of them fail forced
// instead of hoped for, and the registry answers another writer can cause.
//
// The race, as CNCF distribution 2.8 has it: both pushes HEAD a blob (404), both upload it, and
// the second commit rewrites the repository's link file for that digest in place (truncate, then
// write). A manifest PUT of the first push that reads the link in between gets HTTP 400 with
// DIGEST_INVALID and MANIFEST_BLOB_UNKNOWN for a blob it has just pushed. Each push goes through
// a proxy of its own (A and B) to one real registry; the proxies hold requests so the steps come
// in that order every time, and the moment of the rewrite is the link file emptied on disk, as
// the second commit's truncate leaves it, before A's manifest PUT reaches the registry.

import { mkdtemp, rm, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { RemoteError } from '../../src/errors';
import { pushImage } from '../../src/registry/push';
import { startFaultProxy, type FaultProxy, type ProxyRecord } from '../helpers/fault-proxy';
import { makeImage, pushable, randomLayer, type TestImage } from '../helpers/images';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';

let registry: RegistryServer;
let proxyA: FaultProxy;
let proxyB: FaultProxy;
let configDir: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxyA = await startFaultProxy({ upstream: registry.url });
  proxyB = await startFaultProxy({ upstream: registry.url });
  configDir = await mkdtemp(join(tmpdir(), 'concurrent-push-'));
});
afterAll(async () => {
  await proxyA?.stop();
  await proxyB?.stop();
  await registry?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});
afterEach(() => {
  proxyA.reset();
  proxyB.reset();
});

let repoCount = 0;
const freshRepository = () => `concurrent/app-${++repoCount}`;

function newImage(label: string): TestImage {
  return makeImage({
    architecture: 'amd64',
    layers: [randomLayer(400_000), randomLayer(100_000)],
    label,
  });
}

/** The commit of an upload (PUT …/blobs/uploads/<id>?digest=<digest>). */
function commitOf(digest: string) {
  return (url: string) =>
    url.includes('/blobs/uploads/') && decodeURIComponent(url).includes(`digest=${digest}`);
}
const isCommit = (digest: string) => (req: IncomingMessage) => commitOf(digest)(req.url ?? '');

/** The repository's link file for a blob, which each commit of that blob rewrites. */
function linkFile(repository: string, digest: string): string {
  return join(
    registry.dataDir,
    'docker/registry/v2/repositories',
    repository,
    '_layers/sha256',
    digest.slice('sha256:'.length),
    'link',
  );
}

function client() {
  // A held request waits on the other push, never long, but a loaded machine is slow.
  return testClient(configDir, { timeoutMs: 30_000 });
}

async function directStatus(path: string): Promise<number> {
  const response = await fetch(`${registry.url}${path}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return response.status;
}

describe('two identical pushes at once, the interleaving forced', () => {
  it.each([
    ['the manifest by digest', (url: string) => /\/manifests\/sha256:/.test(url)],
    ['the tag', (url: string) => /\/manifests\/v1$/.test(url)],
  ])(
    "A's PUT of %s meets B's commit of a shared blob: A checks its blobs again and both succeed",
    async (_what, isRacedPut) => {
      const repository = freshRepository();
      const image = newImage(`race-${repository}`);
      const shared = image.layers[0]!.descriptor.digest;
      let bCommitArrived!: () => void;
      const bCommitHeld = new Promise<void>((resolve) => (bCommitArrived = resolve));
      const racedPutOfA = (r: ProxyRecord) => r.method === 'PUT' && isRacedPut(r.url);
      const aRacedPutAnswered = proxyA.answered(racedPutOfA);
      const bCommitAnswered = proxyB.answered((r) => r.method === 'PUT' && commitOf(shared)(r.url));

      // Both HEADs of the shared blob answer 404: A commits only once B's commit has come in.
      proxyA.addRule({
        method: 'PUT',
        path: /\/blobs\/uploads\//,
        when: isCommit(shared),
        action: { kind: 'hold', until: bCommitHeld },
      });
      proxyB.addRule({
        method: 'PUT',
        path: /\/blobs\/uploads\//,
        when: isCommit(shared),
        action: { kind: 'hold', until: aRacedPutAnswered, onHold: () => bCommitArrived() },
      });
      // B's commit is under way: its truncate has emptied the link when A's PUT is read.
      proxyA.addRule({
        method: 'PUT',
        path: /\/manifests\//,
        when: (req) => isRacedPut(req.url ?? ''),
        action: {
          kind: 'hold',
          until: Promise.resolve(),
          before: () => truncate(linkFile(repository, shared), 0),
        },
      });
      // A goes on only once B's commit has rewritten the link.
      let aRacedPutDone = false;
      void aRacedPutAnswered.then(() => (aRacedPutDone = true));
      proxyA.addRule({
        path: /^\/v2\//,
        times: Infinity,
        when: () => aRacedPutDone,
        action: { kind: 'hold', until: bCommitAnswered },
      });

      const a = client();
      const b = client();
      const push = (proxy: FaultProxy, c: ReturnType<typeof client>) =>
        pushImage(c.client, { registry: proxy.host, repository }, pushable(image), ['v1'], (m) =>
          c.logs.push(m),
        );
      const [resultA, resultB] = await Promise.all([push(proxyA, a), push(proxyB, b)]);

      // The race happened as forced: A's PUT was refused as it was in CI, B's commit went through.
      const refused = proxyA.records.find(racedPutOfA)!;
      expect(refused.status).toBe(400);
      expect((await bCommitAnswered).status).toBe(201);
      expect(a.logs.join('\n')).toMatch(
        /attempt 1 of 4: the registry does not see every blob \(PUT answered HTTP 400 \(DIGEST_INVALID: .*MANIFEST_BLOB_UNKNOWN.*\)\); another push of the same blobs may be committing them: checking each blob again/,
      );
      expect(a.logs.join('\n')).toMatch(/manifest (sha256:[0-9a-f]{64}|v1) put on attempt 2 of 4/);
      // A checked its blobs again, found them all, and sent none twice.
      expect(new Set(resultA.uploaded).size).toBe(resultA.uploaded.length);
      expect(a.logs.join('\n')).not.toContain('was missing');
      expect(resultA.digest).toBe(image.manifestDescriptor.digest);
      expect(resultB.digest).toBe(image.manifestDescriptor.digest);
      expect(resultA.tagsPut).toEqual(['v1']);
      expect(resultB.tagsPut).toEqual(['v1']);
      for (const blob of [image.config, ...image.layers]) {
        expect(await directStatus(`/v2/${repository}/blobs/${blob.descriptor.digest}`)).toBe(200);
      }
      expect(await directStatus(`/v2/${repository}/manifests/v1`)).toBe(200);
    },
  );
});

describe('answers another writer can cause', () => {
  it('a commit refused as "layer already exists" (ECR) is a success when the blob is there', async () => {
    const repository = freshRepository();
    const first = newImage('first');
    const direct = testClient(configDir);
    await pushImage(
      direct.client,
      { registry: registry.host, repository },
      pushable(first),
      [],
      () => undefined,
    );
    // A second image sharing a layer, whose HEAD of that layer came before the other commit.
    const second = makeImage({
      architecture: 'amd64',
      layers: [first.layers[0]!.bytes],
      label: 'second',
    });
    const shared = first.layers[0]!.descriptor.digest;
    proxyA.addRule({
      method: 'HEAD',
      path: new RegExp(`/blobs/${shared}$`),
      action: { kind: 'status', status: 404 },
    });
    proxyA.addRule({
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      when: isCommit(shared),
      action: {
        kind: 'status',
        status: 400,
        body: '{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"Layer already exists"}]}',
      },
    });
    const a = testClient(configDir);
    const result = await pushImage(
      a.client,
      { registry: proxyA.host, repository },
      pushable(second),
      ['v2'],
      (m) => a.logs.push(m),
    );
    expect(result.existing).toEqual([shared]);
    expect(result.uploaded).toEqual([second.config.descriptor.digest]);
    expect(a.logs.join('\n')).toContain(
      'the registry refused the upload (PUT answered HTTP 400 (BLOB_UPLOAD_INVALID: Layer already exists)) but has the blob: another push committed it first',
    );
    expect(await directStatus(`/v2/${repository}/manifests/v2`)).toBe(200);
  });

  it('a commit refused with DIGEST_INVALID for a blob the registry does not have stays a refusal', async () => {
    const repository = freshRepository();
    const image = newImage('mismatch');
    const layer = image.layers[0]!.descriptor.digest;
    proxyA.addRule({
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      when: isCommit(layer),
      action: {
        kind: 'status',
        status: 400,
        body: '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}',
      },
    });
    const a = testClient(configDir);
    const error = await pushImage(
      a.client,
      { registry: proxyA.host, repository },
      pushable(image),
      ['v1'],
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toBe(
      `upload blob ${layer} on ${proxyA.host}/${repository} failed: PUT answered HTTP 400 (DIGEST_INVALID: provided digest did not match uploaded content). Fix: the uploaded bytes did not match their descriptor; rebuild the image and push again`,
    );
    expect(proxyA.counts((r) => r.url.includes('/manifests/') && r.method === 'PUT')).toEqual({});
  });

  it('a blob that is really gone when the manifest is put is uploaded again, and only that one', async () => {
    const repository = freshRepository();
    const image = newImage('vanished');
    const layer = image.layers[1]!.descriptor.digest;
    proxyA.addRule({
      method: 'PUT',
      path: /\/manifests\/sha256:/,
      action: {
        kind: 'hold',
        until: Promise.resolve(),
        before: () => unlink(linkFile(repository, layer)),
      },
    });
    const a = testClient(configDir);
    const result = await pushImage(
      a.client,
      { registry: proxyA.host, repository },
      pushable(image),
      ['v1'],
      (m) => a.logs.push(m),
    );
    expect(a.logs.join('\n')).toContain(`blob ${layer.slice(0, 19)}… was missing: uploaded again`);
    expect(result.uploaded.filter((d) => d === layer)).toHaveLength(2);
    expect(result.uploaded).toHaveLength(4);
    expect(proxyA.records.filter((r) => r.method === 'PUT' && commitOf(layer)(r.url))).toHaveLength(
      2,
    );
    expect(await directStatus(`/v2/${repository}/manifests/v1`)).toBe(200);
  });

  it('gives up after four PUTs when the registry keeps not seeing a blob, and says why', async () => {
    const repository = freshRepository();
    const image = newImage('stubborn');
    proxyA.addRule({
      method: 'PUT',
      path: /\/manifests\/sha256:/,
      times: 4,
      action: {
        kind: 'status',
        status: 400,
        body: `{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"${image.config.descriptor.digest}"}]}`,
      },
    });
    const sleeps: number[] = [];
    const a = testClient(configDir);
    const error = await pushImage(
      a.client,
      { registry: proxyA.host, repository },
      pushable(image),
      ['v1'],
      (m) => a.logs.push(m),
      { sleep: async (ms) => void sleeps.push(ms) },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `put manifest ${image.manifestDescriptor.digest} on ${proxyA.host}/${repository} failed: PUT answered HTTP 400 (MANIFEST_BLOB_UNKNOWN: blob unknown to registry). ` +
        `Fix: ${proxyA.host} does not see every blob the manifest references, though each was pushed and checked again; if another push of the same image to ${repository} is running, run this step again once it is done`,
    );
    expect(sleeps).toEqual([250, 500, 750]);
    expect(a.logs.filter((l) => l.includes('checking each blob again'))).toHaveLength(3);
    // Each check found every blob: nothing was sent twice, and no tag names the image.
    expect(proxyA.counts((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))).toEqual({
      PUT: 3,
    });
    expect(await directStatus(`/v2/${repository}/manifests/v1`)).toBe(404);
  });
});
