import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  blobPath,
  layoutTempPath,
  readOciLayoutImage,
  writeOciLayout,
} from '../../src/files/oci-layout';
import { appendLayer } from '../../src/image/append';
import { sha256Digest } from '../../src/image/digest';
import { ImageError } from '../../src/image/image-error';
import { writeLayer } from '../../src/image/layer';
import { platformForCpuArchitecture } from '../../src/image/platform';
import { MediaType, REF_NAME_ANNOTATION, type Descriptor } from '../../src/image/types';
import { generateStandInBase } from '../../scripts/make-stand-in-base';
import { RawLayout, readAll, readLayer, textEntry, withTempDir } from './helpers';

const AMD64 = platformForCpuArchitecture('X86_64');
const ARM64 = platformForCpuArchitecture('ARM64');

async function corrupt(dir: string, digest: string): Promise<void> {
  const path = blobPath(dir, digest);
  const bytes = await readFile(path);
  const at = bytes.length - 2;
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(path, bytes);
}

describe('readOciLayoutImage', () => {
  it('follows a tagged nested index to the platform manifest', () =>
    withTempDir(async (dir) => {
      const base = await generateStandInBase(dir);
      for (const [platform, wanted] of [
        [AMD64, base.manifests[0]!],
        [ARM64, base.manifests[1]!],
      ] as const) {
        const image = await readOciLayoutImage(dir, 'latest', platform);
        expect(image.manifestDescriptor).toEqual({
          mediaType: MediaType.ociManifest,
          digest: wanted.digest,
          size: expect.any(Number),
        });
        expect(image.config.architecture).toBe(platform.architecture);
        expect(image.config.config?.Entrypoint).toEqual(['/atlas']);
        expect(image.configDescriptor).toEqual(image.manifest.config);
        const layer = await readAll(image.openBlob(image.manifest.layers[0]!));
        expect(sha256Digest(layer)).toBe(wanted.layerDigest);
        const files = await readLayer(layer);
        expect(files).toMatchObject([{ name: 'atlas', mode: 0o755 }]);
        expect(files[0]!.content).toMatch(/stand-in/);
      }
    }));

  it('takes the only image when no tag is given', () =>
    withTempDir(async (dir) => {
      const layout = await new RawLayout(dir).init();
      const manifest = await layout.image('amd64');
      await layout.tag(manifest).writeIndex();
      const image = await readOciLayoutImage(dir, undefined, AMD64);
      expect(image.manifestDescriptor.digest).toBe(manifest.digest);
    }));

  it('picks by platform among untagged per-platform entries, skipping attestations', () =>
    withTempDir(async (dir) => {
      const layout = await new RawLayout(dir).init();
      const amd = await layout.image('amd64');
      const arm = await layout.image('arm64', 'oci', 'v8');
      const attestation = await layout.blob(Buffer.from('{}'), MediaType.ociManifest);
      layout
        .tag(attestation, undefined, {
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        })
        .tag(amd, undefined, { platform: { os: 'linux', architecture: 'amd64' } })
        .tag(arm, undefined, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
      await layout.writeIndex();
      expect((await readOciLayoutImage(dir, undefined, ARM64)).manifestDescriptor.digest).toBe(
        arm.digest,
      );
    }));

  it('reads a Docker manifest list and Docker manifests', () =>
    withTempDir(async (dir) => {
      const layout = await new RawLayout(dir).init();
      const amd = await layout.image('amd64', 'docker');
      const list = await layout.blob(
        {
          schemaVersion: 2,
          mediaType: MediaType.dockerManifestList,
          manifests: [{ ...amd, platform: { os: 'linux', architecture: 'amd64' } }],
        },
        MediaType.dockerManifestList,
      );
      await layout.tag(list, 'v1').writeIndex();
      const image = await readOciLayoutImage(dir, 'v1', AMD64);
      expect(image.manifest.mediaType).toBe(MediaType.dockerManifest);
      expect(image.manifestDescriptor.mediaType).toBe(MediaType.dockerManifest);
      await expect(readOciLayoutImage(dir, 'v1', ARM64)).rejects.toThrow(
        /has no linux\/arm64 image \(it has: linux\/amd64\)/,
      );
    }));

  it('names the tags when the tag is unknown or missing among several', () =>
    withTempDir(async (dir) => {
      const layout = await new RawLayout(dir).init();
      layout.tag(await layout.image('amd64'), 'v1').tag(await layout.image('arm64'), 'v2');
      await layout.writeIndex();
      await expect(readOciLayoutImage(dir, 'v3', AMD64)).rejects.toThrow(
        /\(tag v3\): has no tag 'v3' \(tags: v1, v2\)/,
      );
      await expect(readOciLayoutImage(dir, undefined, AMD64)).rejects.toThrow(
        /holds several images \(tags: v1, v2\)\. Fix: name the tag/,
      );
      expect((await readOciLayoutImage(dir, 'v1', AMD64)).config.architecture).toBe('amd64');
    }));

  it('rejects a single-platform image for another platform', () =>
    withTempDir(async (dir) => {
      const layout = await new RawLayout(dir).init();
      await layout.tag(await layout.image('amd64'), 'latest').writeIndex();
      await expect(readOciLayoutImage(dir, 'latest', ARM64)).rejects.toThrow(
        /has no linux\/arm64 image \(it has: linux\/amd64\).*cpuArchitecture to X86_64/,
      );
    }));

  it.each([
    ['the nested index', (b: Awaited<ReturnType<typeof generateStandInBase>>) => b.indexDigest],
    [
      'the manifest',
      (b: Awaited<ReturnType<typeof generateStandInBase>>) => b.manifests[0]!.digest,
    ],
  ])('fails with a digest error when %s is corrupted', (_what, pick) =>
    withTempDir(async (dir) => {
      const base = await generateStandInBase(dir);
      await corrupt(dir, pick(base));
      const error = await readOciLayoutImage(dir, 'latest', AMD64).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageError);
      expect((error as Error).message).toMatch(
        new RegExp(`blob ${pick(base)}: holds \\d+ bytes hashing to sha256:[0-9a-f]{64}`),
      );
      expect((error as Error).message).toMatch(/Fix: the layout is corrupted/);
    }),
  );

  it('fails with a digest error when the config is corrupted, or a blob is missing', () =>
    withTempDir(async (dir) => {
      await generateStandInBase(dir);
      const good = await readOciLayoutImage(dir, 'latest', AMD64);
      await corrupt(dir, good.manifest.config.digest);
      await expect(readOciLayoutImage(dir, 'latest', AMD64)).rejects.toThrow(/hashing to/);
      await writeFile(blobPath(dir, good.manifest.config.digest), ''); // truncated
      await expect(readOciLayoutImage(dir, 'latest', AMD64)).rejects.toThrow(/holds 0 bytes/);
      const { unlink } = await import('node:fs/promises');
      await unlink(blobPath(dir, good.manifest.config.digest));
      await expect(readOciLayoutImage(dir, 'latest', AMD64)).rejects.toThrow(
        /is missing from the layout/,
      );
    }));

  it('fails the layer stream when a layer blob is corrupted', () =>
    withTempDir(async (dir) => {
      await generateStandInBase(dir);
      const image = await readOciLayoutImage(dir, 'latest', AMD64);
      const layer = image.manifest.layers[0]!;
      await corrupt(dir, layer.digest);
      await expect(readAll(image.openBlob(layer))).rejects.toThrow(
        /blob sha256:[0-9a-f]{64}: content hashes to .*expected/,
      );
      await expect(
        readAll(image.openBlob({ ...layer, digest: sha256Digest('absent') })),
      ).rejects.toThrow(/is missing from the layout/);
    }));

  it('says when a directory is not an OCI layout', () =>
    withTempDir(async (dir) => {
      await expect(readOciLayoutImage(dir, 'latest', AMD64)).rejects.toThrow(
        /has no oci-layout file, so it is not an OCI image layout\. Fix: point atlas-image/,
      );
      await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[{"digest":"x"}]}');
      await expect(readOciLayoutImage(dir, 'latest', AMD64)).rejects.toThrow(
        /index.json entry 0: is not a descriptor/,
      );
    }));
});

describe('writeOciLayout', () => {
  async function assemble(baseDir: string, outDir: string) {
    const base = await readOciLayoutImage(baseDir, 'latest', AMD64);
    await mkdir(outDir, { recursive: true });
    const layerPath = layoutTempPath(outDir, 'layer');
    const layer = await writeLayer(
      [textEntry('workspace/atlas.hcl', 'env {}\n')],
      createWriteStream(layerPath),
      {
        mediaType: MediaType.ociLayerGzip,
      },
    );
    const image = appendLayer(base, layer, {
      workingDir: '/workspace',
      labels: { a: 'b' },
      createdBy: 'test',
    });
    return { base, image, layerPath };
  }

  it('writes a complete layout that reads back to the same image', () =>
    withTempDir(async (dir) => {
      const baseDir = join(dir, 'base');
      const outDir = join(dir, 'out');
      await generateStandInBase(baseDir);
      const { base, image, layerPath } = await assemble(baseDir, outDir);
      await writeOciLayout(outDir, image, { open: base.openBlob }, layerPath, 'migrations');

      expect(JSON.parse(await readFile(join(outDir, 'oci-layout'), 'utf8'))).toEqual({
        imageLayoutVersion: '1.0.0',
      });
      const index = JSON.parse(await readFile(join(outDir, 'index.json'), 'utf8'));
      expect(index).toEqual({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          {
            ...image.manifestDescriptor,
            platform: { os: 'linux', architecture: 'amd64' },
            annotations: { [REF_NAME_ANNOTATION]: 'migrations' },
          },
        ],
      });
      const expectedBlobs = [
        image.manifestDescriptor.digest,
        image.configDescriptor.digest,
        ...image.manifest.layers.map((l) => l.digest),
      ]
        .map((d) => d.slice(7))
        .sort();
      expect((await readdir(join(outDir, 'blobs', 'sha256'))).sort()).toEqual(expectedBlobs);
      expect((await readdir(outDir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
      for (const d of expectedBlobs) {
        expect(sha256Digest(await readFile(join(outDir, 'blobs', 'sha256', d)))).toBe(
          `sha256:${d}`,
        );
      }

      const back = await readOciLayoutImage(outDir, 'migrations', AMD64);
      expect(back.manifestDescriptor).toEqual(image.manifestDescriptor);
      expect(back.config).toEqual(image.config);
      expect(back.manifest).toEqual(image.manifest);
    }));

  it('writes into the base layout itself, keeping its blobs and tags', () =>
    withTempDir(async (dir) => {
      await generateStandInBase(dir);
      const { base, image, layerPath } = await assemble(dir, dir);
      const opened: string[] = [];
      const blobs = {
        open: (d: Descriptor) => {
          opened.push(d.digest);
          return base.openBlob(d);
        },
      };
      await writeOciLayout(dir, image, blobs, layerPath, 'migrations');
      expect(opened).toEqual([]); // every base blob was already there
      expect((await readOciLayoutImage(dir, 'latest', ARM64)).config.architecture).toBe('arm64');
      expect((await readOciLayoutImage(dir, 'migrations', AMD64)).manifestDescriptor).toEqual(
        image.manifestDescriptor,
      );
    }));

  it('replaces an existing entry for the same tag', () =>
    withTempDir(async (dir) => {
      const baseDir = join(dir, 'base');
      const outDir = join(dir, 'out');
      await generateStandInBase(baseDir);
      for (let i = 0; i < 2; i++) {
        const { base, image, layerPath } = await assemble(baseDir, outDir);
        await writeOciLayout(outDir, image, { open: base.openBlob }, layerPath, 'migrations');
      }
      const index = JSON.parse(await readFile(join(outDir, 'index.json'), 'utf8'));
      expect(index.manifests).toHaveLength(1);
      expect((await readdir(outDir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    }));

  it('refuses base blobs that do not match, and leaves no index or partial blob', () =>
    withTempDir(async (dir) => {
      const baseDir = join(dir, 'base');
      const outDir = join(dir, 'out');
      await generateStandInBase(baseDir);
      const { image, layerPath } = await assemble(baseDir, outDir);
      const lying = { open: () => Readable.from([Buffer.from('not the layer')]) };
      await expect(writeOciLayout(outDir, image, lying, layerPath, 'x')).rejects.toThrow(
        /base image blob sha256:[0-9a-f]{64}: delivered 13 bytes hashing to/,
      );
      expect((await readdir(outDir)).sort()).toEqual(['blobs', 'oci-layout']);
      expect(await readdir(join(outDir, 'blobs', 'sha256'))).toEqual([image.layer.digest.slice(7)]);
    }));
});
