// Small images for the registry tests: random "layer" blobs (registries never look inside), a
// config for a platform, a manifest and an index, in OCI or Docker media types, with the exact
// bytes their descriptors were computed from.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { blobPath, readOciLayoutImage } from '../../src/files/oci-layout';
import { sha256Digest } from '../../src/image/digest';
import {
  FAMILY_MEDIA_TYPES,
  MediaType,
  type Descriptor,
  type MediaTypeFamily,
  type SourceImage,
} from '../../src/image/types';
import type { RegistryClient, RepositoryRef } from '../../src/registry/client';
import { pushImage, type PushBlob, type PushableImage } from '../../src/registry/push';

export interface TestBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

export interface TestImage {
  config: TestBlob;
  layers: TestBlob[];
  manifestBytes: Buffer;
  manifestDescriptor: Descriptor;
  architecture: string;
  family: MediaTypeFamily;
}

export function blob(bytes: Buffer, mediaType: string): TestBlob {
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } };
}

export function makeImage(options: {
  architecture: string;
  family?: MediaTypeFamily;
  layers: Buffer[];
  label?: string;
}): TestImage {
  const family = options.family ?? 'oci';
  const types = FAMILY_MEDIA_TYPES[family];
  const layers = options.layers.map((bytes) => blob(bytes, types.layerGzip));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: options.architecture,
        os: 'linux',
        config: { Entrypoint: ['/atlas'], Labels: { test: options.label ?? 'x' } },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) },
      }),
    ),
    types.config,
  );
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.manifest,
      config: config.descriptor,
      layers: layers.map((l) => l.descriptor),
    }),
  );
  return {
    config,
    layers,
    manifestBytes,
    manifestDescriptor: {
      mediaType: types.manifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
    },
    architecture: options.architecture,
    family,
  };
}

export function makeIndex(images: TestImage[], family: MediaTypeFamily = 'oci'): TestBlob {
  const types = FAMILY_MEDIA_TYPES[family];
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.index,
      manifests: images.map((image) => ({
        ...image.manifestDescriptor,
        platform: { architecture: image.architecture, os: 'linux' },
      })),
    }),
  );
  return blob(bytes, types.index);
}

/** Streams bytes in 16 KiB pieces, like a file would. */
export function streamOf(bytes: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 16 * 1024) pieces.push(bytes.subarray(i, i + 16 * 1024));
  return Readable.from(pieces);
}

export function pushable(
  image: TestImage,
  from?: { registry: string; repository: string },
): PushableImage {
  const blobs: PushBlob[] = [image.config, ...image.layers].map((b) => ({
    descriptor: b.descriptor,
    open: () => streamOf(b.bytes),
    ...(from ? { from } : {}),
  }));
  return {
    manifestBytes: image.manifestBytes,
    manifestDescriptor: image.manifestDescriptor,
    blobs,
  };
}

export function randomLayer(size: number): Buffer {
  return randomBytes(size);
}

/** An image read from an OCI layout (readOciLayoutImage), as pushImage takes it. */
export function pushableFromLayout(layout: string, image: SourceImage): PushableImage {
  return {
    manifestBytes: readFileSync(blobPath(layout, image.manifestDescriptor.digest)),
    manifestDescriptor: image.manifestDescriptor,
    blobs: [image.configDescriptor, ...image.manifest.layers].map((descriptor) => ({
      descriptor,
      open: () => image.openBlob(descriptor),
    })),
  };
}

/**
 * Pushes an OCI layout's two-platform image (the example's stand-in base): each platform's
 * manifest untagged, then the index as `tag`.
 */
export async function pushLayoutIndex(
  client: RegistryClient,
  repo: RepositoryRef,
  layout: string,
  tag = 'latest',
): Promise<{ indexDigest: string; amd64: SourceImage; arm64: SourceImage }> {
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const indexDigest = index.manifests[0]!.digest;
  const images: SourceImage[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const image = await readOciLayoutImage(layout, 'latest', { os: 'linux', architecture });
    await pushImage(client, repo, pushableFromLayout(layout, image), [], () => undefined);
    images.push(image);
  }
  const indexBytes = readFileSync(blobPath(layout, indexDigest));
  await client.putManifest(repo, tag, indexBytes, MediaType.ociIndex);
  return { indexDigest, amd64: images[0]!, arm64: images[1]! };
}
