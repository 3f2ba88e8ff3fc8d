// Staging a base image into another registry against a real registry: two proxies in front of
// it are two registry hosts (the base's and the target's), and the target's proxy records what
// was sent when, so "nothing committed before the push" is asserted on the wire.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadCancelledError } from '../../src/registry/client';
import { pushImage, type PushableImage } from '../../src/registry/push';
import { parseImageReference } from '../../src/registry/reference';
import { stageBase, type BaseStaging, type StagedLayer } from '../../src/registry/stage-base';
import { startFaultProxy, type FaultProxy, type ProxyRecord } from '../helpers/fault-proxy';
import { makeImage, pushable, randomLayer, streamOf, type TestImage } from '../helpers/images';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';

let registry: RegistryServer;
let baseHost: FaultProxy;
let targetHost: FaultProxy;
let configDir: string;

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };
const base = makeImage({
  architecture: 'amd64',
  layers: [randomLayer(300_000), randomLayer(20_000)],
});
const baseLayers = base.layers.map((layer) => layer.descriptor.digest);
let counter = 0;

beforeAll(async () => {
  registry = await startRegistry();
  baseHost = await startFaultProxy({ upstream: registry.url });
  targetHost = await startFaultProxy({ upstream: registry.url });
  configDir = await mkdtemp(join(tmpdir(), 'stage-base-docker-config-'));
  const { client } = testClient(configDir);
  await pushImage(
    client,
    { registry: baseHost.host, repository: 'arigaio/atlas' },
    pushable(base),
    ['latest'],
    () => undefined,
  );
});

afterAll(async () => {
  await targetHost?.stop();
  await baseHost?.stop();
  await registry?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

beforeEach(() => {
  baseHost.reset();
  targetHost.reset();
});

function newTarget() {
  counter++;
  return { registry: targetHost.host, repository: `migrations/staged-${counter}` };
}

const baseReference = () => parseImageReference(`${baseHost.host}/arigaio/atlas:latest`)!;

/** The migration image on top of the base, its base layers marked as staging left them. */
function migrationImage(layers: ReadonlyMap<string, StagedLayer>): {
  image: TestImage;
  pushable: PushableImage;
} {
  const image = makeImage({
    architecture: 'amd64',
    layers: [...base.layers.map((layer) => layer.bytes), randomLayer(2_000)],
    label: `migration-${counter}`,
  });
  const blobs = pushable(image).blobs.map((blob) =>
    layers.has(blob.descriptor.digest)
      ? { ...blob, staged: layers.get(blob.descriptor.digest)! }
      : blob,
  );
  return { image, pushable: { ...pushable(image), blobs } };
}

function committed(records: readonly ProxyRecord[], digest: string): ProxyRecord[] {
  return records.filter(
    (r) =>
      r.method === 'PUT' &&
      r.url.includes('/blobs/uploads/') &&
      new URL(r.url, 'http://x').searchParams.get('digest') === digest,
  );
}

/** Resolves once every staged layer's bytes were answered by the target (PATCH 202). */
async function bytesArrived(staging: BaseStaging): Promise<void> {
  const layers = await staging.layers();
  const streaming = [...layers.values()].filter((layer) => layer.state === 'streaming').length;
  while (
    targetHost.records.filter((r) => r.method === 'PATCH' && r.status === 202).length < streaming
  ) {
    await targetHost.answered((r) => r.method === 'PATCH');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('stageBase', () => {
  it('streams every layer the target lacks before the push, and commits them only in the push', async () => {
    const { client, logs } = testClient(configDir);
    const target = newTarget();
    const staging = stageBase(client, baseReference(), amd64, target);

    const layers = await staging.layers();
    expect([...layers.keys()].sort()).toEqual([...baseLayers].sort());
    expect([...layers.values()].map((layer) => layer.state)).toEqual(['streaming', 'streaming']);
    await bytesArrived(staging);
    // The bytes are in the registry's upload sessions, not in the repository.
    for (const digest of baseLayers) {
      expect(await client.headBlob(target, digest)).toBeUndefined();
      expect(committed(targetHost.records, digest)).toEqual([]);
    }
    // The base as staging read it: the build needs not fetch it again.
    const pulled = await staging.base;
    expect(pulled?.manifestDescriptor.digest).toBe(base.manifestDescriptor.digest);
    expect(pulled?.config.architecture).toBe('amd64');

    const pushStarted = Date.now();
    const { image, pushable: toPush } = migrationImage(layers);
    const result = await pushImage(client, target, toPush, ['v1'], (line) => logs.push(line));
    expect(result.uploaded.sort()).toEqual(
      [image.config.descriptor.digest, ...image.layers.map((l) => l.descriptor.digest)].sort(),
    );
    for (const digest of baseLayers) {
      const [put] = committed(targetHost.records, digest);
      expect(put?.status).toBe(201);
      expect(put!.at).toBeGreaterThanOrEqual(pushStarted);
    }
    // The base layers were sent once, by staging; the push neither looked at them again nor at
    // the manifest (a target that lacked a layer cannot hold the manifest).
    const patches = targetHost.records.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(4); // two base layers, the config, the migration layer
    const heads = targetHost.records.filter((r) => r.method === 'HEAD').map((r) => r.url);
    expect(heads.filter((url) => url.includes('/manifests/'))).toEqual([]);
    expect(heads.filter((url) => baseLayers.some((digest) => url.endsWith(digest)))).toHaveLength(
      4,
    );
    expect(await client.headBlob(target, baseLayers[0]!)).toEqual({ size: 300_000 });
    await staging.cancel(); // after the commit: changes nothing
    expect(await client.headBlob(target, baseLayers[0]!)).toEqual({ size: 300_000 });
  });

  it('cancelled (a run refused after staging began), deletes its sessions and commits nothing', async () => {
    const { client } = testClient(configDir);
    const target = newTarget();
    const staging = stageBase(client, baseReference(), amd64, target);
    await bytesArrived(staging);
    const layers = await staging.layers();

    await staging.cancel();
    const deletes = targetHost.records.filter(
      (r) => r.method === 'DELETE' && r.url.includes('/blobs/uploads/'),
    );
    expect(deletes.map((r) => r.status)).toEqual([204, 204]);
    expect(targetHost.records.filter((r) => r.method === 'PUT')).toEqual([]);
    for (const digest of baseLayers) expect(await client.headBlob(target, digest)).toBeUndefined();
    for (const layer of layers.values()) {
      if (layer.state !== 'streaming') throw new Error('expected a streaming layer');
      await expect(layer.upload.commit()).rejects.toThrow(UploadCancelledError);
    }
  });

  it('cancelled while the bytes still flow, stops them and commits nothing', async () => {
    const { client } = testClient(configDir);
    const target = newTarget();
    let release: () => void = () => undefined;
    // The base's big layer is held on its way out of the base registry.
    baseHost.addRule({
      method: 'GET',
      path: new RegExp(`/blobs/${baseLayers[0]}$`),
      action: { kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)) },
    });
    const staging = stageBase(client, baseReference(), amd64, target);
    await staging.layers();
    await targetHost.answered((r) => r.method === 'PATCH' && r.status === 202); // the small one
    await staging.cancel();
    release();
    for (const digest of baseLayers) expect(await client.headBlob(target, digest)).toBeUndefined();
    expect(targetHost.records.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('marks what the target already has as present, and sends nothing for it', async () => {
    const { client } = testClient(configDir);
    const target = newTarget();
    await pushImage(client, target, pushable(base), [], () => undefined);
    targetHost.reset();

    const staging = stageBase(client, baseReference(), amd64, target);
    const layers = await staging.layers();
    expect([...layers.values()].map((layer) => layer.state)).toEqual(['present', 'present']);
    const { pushable: toPush } = migrationImage(layers);
    const result = await pushImage(client, target, toPush, [], () => undefined);
    expect(result.existing.sort()).toEqual([...baseLayers].sort());
    expect(targetHost.counts()).toEqual({ HEAD: 5, POST: 2, PATCH: 2, PUT: 3 });
    await staging.cancel();
  });

  it('stages nothing for a target in the base registry (the push mounts the layers)', async () => {
    const { client } = testClient(configDir);
    const staging = stageBase(client, baseReference(), amd64, {
      registry: baseHost.host,
      repository: 'migrations/same-registry',
    });
    expect((await staging.layers()).size).toBe(0);
    expect((await staging.base)?.manifestDescriptor.digest).toBe(base.manifestDescriptor.digest);
    expect(targetHost.records).toEqual([]);
    await staging.cancel();
  });

  it('gives up quietly, once, when the base cannot be read, so the build reports it', async () => {
    const { client, sleeps } = testClient(configDir);
    const missing = stageBase(
      client,
      parseImageReference(`${baseHost.host}/arigaio/atlas:no-such-tag`)!,
      amd64,
      newTarget(),
    );
    expect((await missing.layers()).size).toBe(0);
    expect(await missing.base).toBeUndefined();
    await missing.cancel();

    baseHost.addRule({
      method: 'GET',
      path: /\/manifests\//,
      action: { kind: 'status', status: 503 },
    });
    const unavailable = stageBase(client, baseReference(), amd64, newTarget());
    expect(await unavailable.base).toBeUndefined();
    expect(sleeps).toEqual([]); // tried once: no backoff before the real pull
    expect(targetHost.records).toEqual([]);

    // A single-platform base names its platform in its config only: the build refuses it, and
    // the run's cancel leaves nothing in the target.
    const otherTarget = newTarget();
    const otherPlatform = stageBase(client, baseReference(), arm64, otherTarget);
    expect(await otherPlatform.base).toBeUndefined();
    await otherPlatform.cancel();
    for (const digest of baseLayers) {
      expect(await client.headBlob(otherTarget, digest)).toBeUndefined();
    }
  });

  it('a staged upload that failed is sent again by the push, which then succeeds', async () => {
    const { client } = testClient(configDir);
    const target = newTarget();
    targetHost.addRule({
      method: 'PATCH',
      path: /\/blobs\/uploads\//,
      when: (req) => req.headers['content-length'] === '300000',
      action: { kind: 'status', status: 500 },
    });
    const staging = stageBase(client, baseReference(), amd64, target);
    const layers = await staging.layers();
    const logs: string[] = [];
    const { pushable: toPush } = migrationImage(layers);
    const result = await pushImage(client, target, toPush, [], (line) => logs.push(line));
    expect(result.uploaded).toEqual(expect.arrayContaining(baseLayers));
    expect(logs.join('\n')).toMatch(/the upload started early failed \(.*\): sending it now/);
    expect(await client.headBlob(target, baseLayers[0]!)).toEqual({ size: 300_000 });
    await staging.cancel();
  });
});

describe('stageBlob', () => {
  const bytes = randomLayer(50_000);
  const layer = makeImage({ architecture: 'amd64', layers: [bytes] }).layers[0]!;

  it('with the put upload method, sends nothing before the commit, then the whole blob', async () => {
    const { client } = testClient(configDir, { uploadMethod: 'put' });
    const target = newTarget();
    const staged = client.stageBlob(target, layer.descriptor, () => streamOf(bytes));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(targetHost.records).toEqual([]);
    await staged.commit();
    expect(targetHost.counts()).toEqual({ POST: 1, PUT: 1 });
    expect(await client.headBlob(target, layer.descriptor.digest)).toEqual({ size: 50_000 });
  });

  it('refuses to commit bytes that are not the blob', async () => {
    const { client } = testClient(configDir);
    const target = newTarget();
    const other = randomLayer(50_000);
    const staged = client.stageBlob(target, layer.descriptor, () => streamOf(other));
    await expect(staged.commit()).rejects.toThrow(/sha256|digest/i);
    expect(await client.headBlob(target, layer.descriptor.digest)).toBeUndefined();
  });
});
