// Builds the migration image into an OCI image layout: base image + one layer of project files.
// The layer is streamed from the workspace to disk once; its digest is known when it lands.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { appendLayer, manifestFamily } from '../image/append';
import { ImageError } from '../image/image-error';
import { writeLayer, type LayerEntry } from '../image/layer';
import { FAMILY_MEDIA_TYPES, type BuiltLayer, type Platform } from '../image/types';
import type { ProjectFile } from '../project-file';
import { layoutTempPath, readOciLayoutImage, writeOciLayout } from './oci-layout';

export interface BuildImageOptions {
  base: { kind: 'oci-layout'; path: string; tag?: string };
  platform: Platform;
  files: readonly ProjectFile[];
  /** Directory inside the image that mirrors the workspace, relative to '/': e.g. 'workspace'. */
  imageRoot: string;
  /** Absolute path inside the image the container starts in: e.g. '/workspace'. */
  workingDir: string;
  labels: Record<string, string>;
  /** Layout directory to write (created if missing; other tags in it are kept). */
  outputDir: string;
  /** Name of the image in the output layout's index.json. */
  tag: string;
}

export interface BuiltImage {
  layoutDir: string;
  manifestDigest: string;
  manifestMediaType: string;
  layer: BuiltLayer;
  platform: Platform;
  baseManifestDigest: string;
  configDigest: string;
  /** Manifest + config + every layer (compressed): what a push to an empty registry would send. */
  totalSize: number;
  /** Blobs a push uploads before the manifest: the config and every layer. */
  blobCount: number;
}

export async function buildMigrationImage(options: BuildImageOptions): Promise<BuiltImage> {
  const imageRoot = checkImageRoot(options.imageRoot);
  const base = await readOciLayoutImage(options.base.path, options.base.tag, options.platform);
  const family = manifestFamily(base.manifest);

  await mkdir(options.outputDir, { recursive: true });
  const layerPath = layoutTempPath(options.outputDir, 'layer');
  try {
    const layer = await writeLayer(
      options.files.map((file) => toLayerEntry(file, imageRoot)),
      createWriteStream(layerPath),
      { mediaType: FAMILY_MEDIA_TYPES[family].layerGzip },
    );
    const image = appendLayer(base, layer, {
      workingDir: options.workingDir,
      labels: options.labels,
      createdBy: `atlas-ecs-deploy: add ${layer.fileCount} project files under /${imageRoot}`,
    });
    await writeOciLayout(options.outputDir, image, { open: base.openBlob }, layerPath, options.tag);
    return {
      layoutDir: options.outputDir,
      manifestDigest: image.manifestDescriptor.digest,
      manifestMediaType: image.manifestDescriptor.mediaType,
      layer,
      platform: image.platform,
      baseManifestDigest: base.manifestDescriptor.digest,
      configDigest: image.configDescriptor.digest,
      totalSize:
        image.manifestDescriptor.size +
        image.configDescriptor.size +
        image.manifest.layers.reduce((sum, l) => sum + l.size, 0),
      blobCount: 1 + image.manifest.layers.length,
    };
  } finally {
    // Gone already when it became a blob; left over only when the build failed.
    await unlink(layerPath).catch(() => undefined);
  }
}

function toLayerEntry(file: ProjectFile, imageRoot: string): LayerEntry {
  return {
    path: imageRoot === '' ? file.path : `${imageRoot}/${file.path}`,
    size: file.size,
    executable: file.executable,
    source: file.path,
    open: () => createReadStream(file.absolutePath),
  };
}

/** '' puts the files at the image's '/'; anything else must be a plain relative path. */
function checkImageRoot(imageRoot: string): string {
  const trimmed = imageRoot.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (trimmed !== '' && segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ImageError(
      'image root',
      `'${imageRoot}' is not a relative path inside the image`,
      "pass a path relative to the image's '/', such as 'workspace'",
    );
  }
  return trimmed;
}
