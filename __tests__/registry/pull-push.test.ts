// Pull and push against a real registry (CNCF distribution on loopback), with a counting proxy
// in front so the request counts of each push are asserted, not guessed.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from '../../src/image/image-error';
import { MediaType } from '../../src/image/types';
import { pullBaseImage } from '../../src/registry/pull';
import { pushImage } from '../../src/registry/push';
import { parseImageReference } from '../../src/registry/reference';
import { startFaultProxy, type FaultProxy, type ProxyRecord } from '../helpers/fault-proxy';
import { makeImage, makeIndex, pushable, randomLayer, type TestImage } from '../helpers/images';
import { readAll } from '../image/helpers';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';

let registry: RegistryServer;
let proxy: FaultProxy;
let configDir: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy({ upstream: registry.url });
  configDir = await mkdtemp(join(tmpdir(), 'pull-push-docker-config-'));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

function repo(name: string) {
  return { registry: proxy.host, repository: name };
}

/** Pushes each platform image, then an index over them under `tag`; returns the index. */
async function pushMultiArch(
  name: string,
  tag: string,
  images: TestImage[],
  family: 'oci' | 'docker',
) {
  const { client } = testClient(configDir);
  for (const image of images) {
    await pushImage(client, repo(name), pushable(image), [], () => undefined);
  }
  const index = makeIndex(images, family);
  await client.putManifest(repo(name), tag, index.bytes, index.descriptor.mediaType);
  return index;
}

function uploadedDigests(records: ProxyRecord[]): string[] {
  return records
    .filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))
    .map((r) => new URL(r.url, 'http://x').searchParams.get('digest') ?? '');
}

describe('pullBaseImage', () => {
  const images = {
    amd64: makeImage({ architecture: 'amd64', layers: [randomLayer(40_000), randomLayer(3000)] }),
    arm64: makeImage({ architecture: 'arm64', layers: [randomLayer(30_000)] }),
  };
  let indexDigest: string;

  beforeAll(async () => {
    const index = await pushMultiArch('base/atlas', 'latest', [images.amd64, images.arm64], 'oci');
    indexDigest = index.descriptor.digest;
  });

  it('pulls the amd64 image of a multi-arch OCI index by tag, streaming verified blobs', async () => {
    const { client } = testClient(configDir);
    const ref = parseImageReference(`${proxy.host}/base/atlas:latest`)!;
    const source = await pullBaseImage(client, ref, amd64);
    expect(source.sourceName).toBe(`${proxy.host}/base/atlas:latest`);
    expect(source.manifestDescriptor).toEqual(images.amd64.manifestDescriptor);
    expect(source.config.architecture).toBe('amd64');
    expect(source.configDescriptor).toEqual(images.amd64.config.descriptor);
    expect(source.registryLocation).toEqual({ registry: proxy.host, repository: 'base/atlas' });
    const blobGetsBefore = proxy.records.filter(
      (r) => r.method === 'GET' && r.url.includes('/blobs/'),
    ).length;
    expect(blobGetsBefore).toBe(1); // only the config: layers stream when asked
    const layer = images.amd64.layers[0]!;
    const stream = source.openBlob(layer.descriptor);
    await new Promise((resolve) => setImmediate(resolve));
    expect(proxy.records.filter((r) => r.url.includes(layer.descriptor.digest))).toEqual([]);
    expect((await readAll(stream)).equals(layer.bytes)).toBe(true);
    expect(proxy.records.filter((r) => r.url.includes(layer.descriptor.digest))).toHaveLength(1);
  });

  it('pulls the arm64 image by the index digest', async () => {
    const { client } = testClient(configDir);
    const ref = parseImageReference(`${proxy.host}/base/atlas@${indexDigest}`)!;
    const source = await pullBaseImage(client, ref, arm64);
    expect(source.manifestDescriptor.digest).toBe(images.arm64.manifestDescriptor.digest);
    expect(source.sourceName).toBe(`${proxy.host}/base/atlas@${indexDigest}`);
  });

  it('pulls a single-platform manifest by digest and checks its config platform', async () => {
    const { client } = testClient(configDir);
    const ref = parseImageReference(
      `${proxy.host}/base/atlas@${images.arm64.manifestDescriptor.digest}`,
    )!;
    await expect(pullBaseImage(client, ref, arm64)).resolves.toMatchObject({
      config: { architecture: 'arm64' },
    });
    await expect(pullBaseImage(client, ref, amd64)).rejects.toThrow(ImageError);
    await expect(pullBaseImage(client, ref, amd64)).rejects.toThrow(/has no linux\/amd64 image/);
  });

  it('names the platforms the index offers when the wanted one is missing', async () => {
    const { client } = testClient(configDir);
    const ref = parseImageReference(`${proxy.host}/base/atlas:latest`)!;
    await expect(
      pullBaseImage(client, ref, { os: 'linux', architecture: 's390x' }),
    ).rejects.toThrow(/it has: linux\/amd64, linux\/arm64/);
  });

  it('pulls Docker media types (manifest list and schema 2 manifests)', async () => {
    const docker = {
      amd64: makeImage({ architecture: 'amd64', family: 'docker', layers: [randomLayer(5000)] }),
      arm64: makeImage({ architecture: 'arm64', family: 'docker', layers: [randomLayer(5000)] }),
    };
    const index = await pushMultiArch('base/docker', 'v1', [docker.amd64, docker.arm64], 'docker');
    const { client } = testClient(configDir);
    const listed = await client.getManifest(parseImageReference(`${proxy.host}/base/docker:v1`)!);
    expect(listed.descriptor).toEqual(index.descriptor);
    expect(listed.descriptor.mediaType).toBe(MediaType.dockerManifestList);
    const source = await pullBaseImage(
      client,
      parseImageReference(`${proxy.host}/base/docker:v1`)!,
      arm64,
    );
    expect(source.manifestDescriptor).toEqual(docker.arm64.manifestDescriptor);
    expect(source.manifestDescriptor.mediaType).toBe(MediaType.dockerManifest);
    expect(source.configDescriptor.mediaType).toBe(MediaType.dockerConfig);
  });

  it('fails with a RemoteError naming the registry and repository for a missing tag', async () => {
    const { client } = testClient(configDir);
    const ref = parseImageReference(`${proxy.host}/base/atlas:nope`)!;
    await expect(pullBaseImage(client, ref, amd64)).rejects.toThrow(
      new RegExp(
        `get manifest nope on ${proxy.host}/base/atlas failed: GET answered HTTP 404 \\(MANIFEST_UNKNOWN`,
      ),
    );
  });
});

describe('pushImage', () => {
  const base = [randomLayer(200_000), randomLayer(50_000)];

  it('pushes into an empty repository, then re-pushes for free, then sends only what changed', async () => {
    const target = repo('app/migrations');
    const first = makeImage({ architecture: 'amd64', layers: [...base, randomLayer(20_000)] });
    const { client, logs } = testClient(configDir);

    const pushed = await pushImage(client, target, pushable(first), ['v1'], (m) => logs.push(m));
    expect(pushed.alreadyPresent).toBe(false);
    expect(pushed.uploaded).toHaveLength(4);
    expect(pushed.tagsPut).toEqual(['v1']);
    const newCounts = proxy.counts();
    // HEAD manifest + 4 × (HEAD, POST, PATCH, PUT) + PUT by digest + PUT by tag.
    expect(newCounts).toEqual({ HEAD: 5, POST: 4, PATCH: 4, PUT: 6 });
    expect(sum(newCounts)).toBe(19);
    expect(client.stats.bytesUp).toBeGreaterThanOrEqual(270_000);

    // Unchanged: one HEAD by digest, one HEAD per tag; nothing uploaded.
    proxy.reset();
    const again = await pushImage(client, target, pushable(first), ['v1'], () => undefined);
    expect(again.alreadyPresent).toBe(true);
    expect(again.uploaded).toEqual([]);
    expect(again.tagsUnchanged).toEqual(['v1']);
    const unchangedCounts = proxy.counts();
    expect(unchangedCounts).toEqual({ HEAD: 2 });
    expect(sum(unchangedCounts)).toBeLessThanOrEqual(4);
    expect(uploadedDigests(proxy.records)).toEqual([]);

    // A new tag on the same image is a manifest PUT, still no blob.
    proxy.reset();
    const retag = await pushImage(client, target, pushable(first), ['v1', 'v1b'], () => undefined);
    expect(retag.tagsPut).toEqual(['v1b']);
    expect(proxy.counts()).toEqual({ HEAD: 3, PUT: 1 });

    // One changed layer: only that layer and the new config are uploaded.
    proxy.reset();
    const second = makeImage({ architecture: 'amd64', layers: [...base, randomLayer(20_000)] });
    const changed = await pushImage(client, target, pushable(second), ['v2'], () => undefined);
    expect(changed.existing.sort()).toEqual(
      base.map((_, i) => second.layers[i]!.descriptor.digest).sort(),
    );
    expect(uploadedDigests(proxy.records).sort()).toEqual(
      [second.config.descriptor.digest, second.layers[2]!.descriptor.digest].sort(),
    );
    const changedCounts = proxy.counts();
    // HEAD manifest + 4 HEAD blobs + 2 × (POST, PATCH, PUT) + 2 manifest PUTs.
    expect(changedCounts).toEqual({ HEAD: 5, POST: 2, PATCH: 2, PUT: 4 });

    // What was pushed reads back, by tag, byte for byte.
    const fetched = await client.getManifest({ ...target, tag: 'v2' });
    expect(fetched.bytes.equals(second.manifestBytes)).toBe(true);
  });

  it('uploads with a single streamed PUT when asked to', async () => {
    const target = repo('app/single-put');
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(100_000)] });
    const { client } = testClient(configDir, { uploadMethod: 'put' });
    await pushImage(client, target, pushable(image), ['latest'], () => undefined);
    // HEAD manifest + 2 × (HEAD, POST, PUT) + 2 manifest PUTs; no PATCH.
    expect(proxy.counts()).toEqual({ HEAD: 3, POST: 2, PUT: 4 });
    const fetched = await client.getManifest({ ...target, tag: 'latest' });
    expect(fetched.descriptor.digest).toBe(image.manifestDescriptor.digest);
  });

  it('mounts blobs from another repository of the same registry instead of uploading', async () => {
    const baseImage = makeImage({ architecture: 'amd64', layers: [randomLayer(120_000)] });
    const { client } = testClient(configDir);
    await pushImage(client, repo('mount/base'), pushable(baseImage), ['latest'], () => undefined);
    const source = await pullBaseImage(
      client,
      parseImageReference(`${proxy.host}/mount/base:latest`)!,
      amd64,
    );

    const own = makeImage({
      architecture: 'amd64',
      layers: [baseImage.layers[0]!.bytes, randomLayer(4000)],
    });
    const image = pushable(own);
    const baseLayer = own.layers[0]!.descriptor.digest;
    image.blobs = image.blobs.map((b) =>
      b.descriptor.digest === baseLayer
        ? { ...b, open: () => source.openBlob(b.descriptor), from: source.registryLocation }
        : b,
    );
    proxy.reset();
    const result = await pushImage(client, repo('mount/app'), image, ['v1'], () => undefined);
    expect(result.mounted).toEqual([baseLayer]);
    const mountPosts = proxy.records.filter(
      (r) => r.method === 'POST' && r.url.includes(`mount=${encodeURIComponent(baseLayer)}`),
    );
    expect(mountPosts).toHaveLength(1);
    expect(mountPosts[0]!.url).toContain('from=mount%2Fbase');
    expect(mountPosts[0]!.status).toBe(201);
    expect(uploadedDigests(proxy.records)).not.toContain(baseLayer);
    expect(proxy.records.filter((r) => r.method === 'PATCH')).toHaveLength(2); // config + own layer
    expect(proxy.records.some((r) => r.method === 'GET')).toBe(false); // nothing pulled to mount
    expect(await client.headBlob(repo('mount/app'), baseLayer)).toEqual({ size: 120_000 });
  });

  it('falls back to uploading into the session a failed mount opened (202)', async () => {
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(10_000)] });
    const layer = image.layers[0]!.descriptor.digest;
    const blobs = pushable(image, { registry: proxy.host, repository: 'mount/nowhere' });
    const { client } = testClient(configDir);
    const result = await pushImage(client, repo('mount/fallback'), blobs, ['v1'], () => undefined);
    expect(result.uploaded).toContain(layer);
    const mountPost = proxy.records.find((r) => r.method === 'POST' && r.url.includes('mount='));
    expect(mountPost?.status).toBe(202);
    // Each blob: one POST (the mount), then PATCH and PUT into that session; no second POST.
    expect(proxy.counts()).toEqual({ HEAD: 3, POST: 2, PATCH: 2, PUT: 4 });
  });

  it('logs a line per phase for blobs over the threshold', async () => {
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(64_000)] });
    const { client } = testClient(configDir);
    const lines: string[] = [];
    await pushImage(client, repo('app/progress'), pushable(image), [], (m) => lines.push(m), {
      progressThresholdBytes: 32_000,
    });
    const layerLines = lines.filter((l) =>
      l.includes(image.layers[0]!.descriptor.digest.slice(0, 19)),
    );
    expect(layerLines.map((l) => l.replace(/.*: /, '').replace(/ in .*/, ''))).toEqual([
      'checking',
      'uploading',
      'uploaded',
    ]);
  });

  it('refuses manifest bytes that do not match their descriptor, before any request', async () => {
    const image = makeImage({ architecture: 'amd64', layers: [randomLayer(100)] });
    const { client } = testClient(configDir);
    const bad = { ...pushable(image), manifestBytes: Buffer.from('{}') };
    await expect(pushImage(client, repo('app/bad'), bad, [], () => undefined)).rejects.toThrow(
      /descriptor says/,
    );
    expect(proxy.records).toHaveLength(0);
  });
});

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
