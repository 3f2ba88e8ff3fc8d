// Reads a base image from a registry into the SourceImage shape the build uses: the manifest
// for the wanted platform (chosen from an index when there is one) and its config, both checked
// against their digests; layers stay in the registry and stream lazily when the build asks.

import type { Readable } from 'node:stream';
import { configPlatform } from '../image/append';
import { ImageError } from '../image/image-error';
import {
  documentKind,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  parseJsonObject,
} from '../image/parse';
import { checkImagePlatform, selectPlatformManifest } from '../image/platform';
import type { Descriptor, ImageManifest, Platform, SourceImage } from '../image/types';
import type { RegistryClient } from './client';
import type { ImageReference } from './reference';

/** An index may point at another index; real images nest at most once. */
const MAX_INDEX_DEPTH = 4;

/** A SourceImage whose blobs live in a registry. */
export interface RegistrySourceImage extends SourceImage {
  readonly registryLocation: { readonly registry: string; readonly repository: string };
  openBlob(descriptor: Descriptor): Readable;
}

/** How logs and errors name a reference: `host/repo:tag`, `host/repo@sha256:…` or both. */
export function formatReference(reference: ImageReference): string {
  let text = `${reference.registry}/${reference.repository}`;
  if (reference.tag) text += `:${reference.tag}`;
  if (reference.digest) text += `@${reference.digest}`;
  return text;
}

/** The fields every manifest or index has one of; JSON with none of them is another document. */
const IMAGE_DOCUMENT_FIELDS = ['schemaVersion', 'mediaType', 'config', 'layers', 'manifests'];

/**
 * A health page, an error page or an API answer served where a manifest should be says more
 * about the server than about the image: name it as such, not as a broken image.
 */
function checkLooksLikeImageDocument(
  document: Record<string, unknown>,
  where: string,
  registry: string,
): void {
  if (IMAGE_DOCUMENT_FIELDS.some((field) => field in document)) return;
  const keys = Object.keys(document).slice(0, 5);
  throw new ImageError(
    where,
    `is JSON but not an image manifest or index (it has ${keys.length > 0 ? `the fields ${keys.join(', ')}` : 'no fields'}, none of ${IMAGE_DOCUMENT_FIELDS.join(', ')})`,
    `check that ${registry} is the registry's host and that no proxy or mirror answers in its place with another document`,
  );
}

/** A base's manifest for one platform, before its config is read. */
export interface ResolvedManifest {
  readonly sourceName: string;
  readonly registryLocation: { readonly registry: string; readonly repository: string };
  readonly manifest: ImageManifest;
  readonly manifestDescriptor: Descriptor;
}

/**
 * Fetches the image for `platform` from `reference` (by tag or digest; a digest pins it).
 * Throws ImageError when the image has no such platform or is not a valid image, and the
 * client's RemoteError when the registry cannot be read.
 */
export async function pullBaseImage(
  client: RegistryClient,
  reference: ImageReference,
  platform: Platform,
): Promise<RegistrySourceImage> {
  return readBaseConfig(client, await resolveBaseManifest(client, reference, platform), platform);
}

/** The manifest for `platform` (through the index when there is one); the layers it lists. */
export async function resolveBaseManifest(
  client: RegistryClient,
  reference: ImageReference,
  platform: Platform,
): Promise<ResolvedManifest> {
  const sourceName = formatReference(reference);
  const location = { registry: reference.registry, repository: reference.repository };
  let fetched = await client.getManifest(reference);

  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    const where = `${sourceName} ${fetched.descriptor.digest}`;
    const document = parseJsonObject(fetched.bytes, where);
    checkLooksLikeImageDocument(document, where, reference.registry);
    const kind = documentKind(document, fetched.descriptor.mediaType);
    if (kind === 'index') {
      const index = parseImageIndex(fetched.bytes, where);
      const chosen = selectPlatformManifest(index, platform, sourceName);
      fetched = await client.getManifest({ ...location, digest: chosen.digest });
      continue;
    }
    const manifest = parseImageManifest(fetched.bytes, where);
    return {
      sourceName,
      registryLocation: location,
      manifest,
      manifestDescriptor: {
        mediaType: manifest.mediaType ?? fetched.descriptor.mediaType,
        digest: fetched.descriptor.digest,
        size: fetched.descriptor.size,
      },
    };
  }
  throw new ImageError(
    sourceName,
    `indexes are nested more than ${MAX_INDEX_DEPTH} deep`,
    'use a base image whose index points at platform manifests',
  );
}

/** Reads and checks the config of a resolved manifest: the whole base, ready to build on. */
export async function readBaseConfig(
  client: RegistryClient,
  resolved: ResolvedManifest,
  platform: Platform,
): Promise<RegistrySourceImage> {
  const { sourceName, registryLocation: location, manifest } = resolved;
  const configBytes = await client.readBlob(location, manifest.config);
  const config = parseImageConfig(configBytes, `${sourceName} config ${manifest.config.digest}`);
  checkImagePlatform(configPlatform(config), platform, sourceName);
  return {
    ...resolved,
    config,
    configDescriptor: manifest.config,
    openBlob: (descriptor) => client.openBlob(location, descriptor),
  };
}
