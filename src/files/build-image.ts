// Builds the migration image into an OCI image layout: base image + one layer of project files.
// The layer is streamed from the workspace to disk once; its digest is known when it lands.

import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { mkdir, unlink } from 'node:fs/promises';
import { appendLayer, configPlatform, manifestFamily } from '../image/append';
import { checkImagePlatform } from '../image/platform';
import { ImageError } from '../image/image-error';
import { writeLayer, type LayerEntry } from '../image/layer';
import {
  FAMILY_MEDIA_TYPES,
  type AssembledImage,
  type BuiltLayer,
  type Platform,
  type SourceImage,
} from '../image/types';
import type { ProjectFile } from '../project-file';
import { blobPath, layoutTempPath, writeOciLayout, writeOwnBlobs } from './oci-layout';
import { readProjectFile } from './read-project';

export interface BuildImageOptions {
  /** The base, already read from an OCI layout or a registry. */
  base: SourceImage;
  /**
   * Copy the base's layers into the output layout, making it a complete image (a dry run's
   * artefact). A real run leaves them where they are: the push only moves what the target lacks.
   */
  copyBaseLayers: boolean;
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
  /** The documents and their exact bytes, for the push. */
  image: AssembledImage;
  /** Where the new layer's blob sits in the layout. */
  layerPath: string;
  /** Whether the layout holds every blob (and index.json names the image). */
  complete: boolean;
}

export async function buildMigrationImage(options: BuildImageOptions): Promise<BuiltImage> {
  const imageRoot = checkImageRoot(options.imageRoot);
  const base = options.base;
  // The base was chosen for a platform when it was read; a mix-up here would ship the wrong binary.
  checkImagePlatform(configPlatform(base.config), options.platform, base.sourceName);
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
    if (options.copyBaseLayers) {
      await writeOciLayout(
        options.outputDir,
        image,
        { open: (descriptor) => base.openBlob(descriptor) as Readable },
        layerPath,
        options.tag,
      );
    } else {
      await writeOwnBlobs(options.outputDir, image, layerPath);
    }
    return {
      layoutDir: options.outputDir,
      manifestDigest: image.manifestDescriptor.digest,
      manifestMediaType: image.manifestDescriptor.mediaType,
      layer,
      image,
      layerPath: blobPath(options.outputDir, layer.digest),
      complete: options.copyBaseLayers,
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
    // Small files: the bytes read-project checked, when it kept them, else one read from disk.
    read: () => readProjectFile(file),
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
