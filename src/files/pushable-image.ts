// What a push needs of a built image: the manifest's exact bytes and a way to (re)open each blob.
// The config comes from memory, the new layer from its blob in the layout, base layers from
// wherever the base lives (its layout, or its registry, which a push to the same one can mount),
// or they are already streaming into the target (staged before the build).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { SourceImage } from '../image/types';
import type { PushableImage } from '../registry/push';
import type { StagedLayer } from '../registry/stage-base';
import type { BuiltImage } from './build-image';

/** `staged`: what staging did in the push's target, by layer digest. */
export function pushableImage(
  built: BuiltImage,
  base: SourceImage,
  staged: ReadonlyMap<string, StagedLayer> = new Map(),
): PushableImage {
  const { image } = built;
  return {
    manifestBytes: image.manifestBytes,
    manifestDescriptor: image.manifestDescriptor,
    blobs: [
      { descriptor: image.configDescriptor, open: () => Readable.from([image.configBytes]) },
      ...image.manifest.layers.map((descriptor) =>
        descriptor.digest === image.layer.digest
          ? { descriptor, open: () => createReadStream(built.layerPath) }
          : {
              descriptor,
              open: () => base.openBlob(descriptor),
              // A SourceImage verifies its blobs while they stream.
              verified: true,
              ...(base.registryLocation ? { from: base.registryLocation } : {}),
              ...(staged.has(descriptor.digest) ? { staged: staged.get(descriptor.digest)! } : {}),
            },
      ),
    ],
  };
}
