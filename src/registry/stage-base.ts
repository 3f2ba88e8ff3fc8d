// Staging the base image: on a first publish the base's layers (the Atlas binary, tens of MB) are
// most of the push, and the registries' transfer of them is most of its time. So they start
// streaming into the target repository as soon as the inputs are read, while the project is read
// and the pre-flight runs, with their commit (the PUT ?digest=) held until the push: a run that
// validation refuses cancels the sessions, and nothing of it is in the repository.
// The task definition names the platform only once the pre-flight read it; staging guesses the
// one ECS assumes without runtimePlatform (linux/amd64). A run for another platform cancels it.
// Every step in the target is tried once (the client without retries): staging only gets ahead of
// the push, which runs anyway with its retries and reports what fails. The base's layers are read
// with the retries (resuming with Range), as the push would read them.

import type { Descriptor, Platform } from '../image/types';
import type { RegistryClient, RepositoryRef, StagedUpload } from './client';
import { readBaseConfig, resolveBaseManifest, type RegistrySourceImage } from './pull';
import type { ImageReference } from './reference';

/** What staging did for one layer of the base. */
export type StagedLayer =
  | { readonly state: 'streaming'; readonly upload: StagedUpload }
  /** The target already had it when staging looked: the push need not look again. */
  | { readonly state: 'present' };

export interface BaseStaging {
  readonly platform: Platform;
  readonly target: RepositoryRef;
  /**
   * The base as pulled for `platform` (its blobs read with the client's retries), for the build
   * to use rather than fetching it again; undefined when staging could not read it.
   */
  readonly base: Promise<RegistrySourceImage | undefined>;
  /** By layer digest; a layer staging could not look at or start is absent (the push does it). */
  layers(): Promise<ReadonlyMap<string, StagedLayer>>;
  /** Cancels every upload not committed yet; never rejects. */
  cancel(): Promise<void>;
}

/**
 * Resolves the base's manifest for `platform`, then reads its config while it starts each layer
 * the target lacks streaming into it (uncommitted). Failures here are not reported: the build and
 * the push meet them again and report them where they belong.
 */
export function stageBase(
  client: RegistryClient,
  reference: ImageReference,
  platform: Platform,
  target: RepositoryRef,
): BaseStaging {
  const once = client.withoutRetries();
  const resolved = resolveBaseManifest(once, reference, platform);
  let cancelled = false;
  const layers = resolved.then(
    async (image) => {
      const staged = new Map<string, StagedLayer>();
      if (image.registryLocation.registry === target.registry) return staged; // mounted, not sent
      await Promise.all(
        uniqueLayers(image.manifest.layers).map(async (layer) => {
          const looked = await once.headBlob(target, layer.digest, 'push').then(
            (present) => ({ present: present !== undefined }),
            () => undefined,
          );
          if (!looked || cancelled) return;
          staged.set(
            layer.digest,
            looked.present
              ? { state: 'present' }
              : {
                  state: 'streaming',
                  // The read of the base resumes after a cut (Range) as the push's would, so a
                  // failed read is final (the push does not send again what it could not read);
                  // openBlob verifies the bytes as they stream.
                  upload: once.stageBlob(
                    target,
                    layer,
                    () => client.openBlob(image.registryLocation, layer),
                    { verifiedSource: true },
                  ),
                },
          );
        }),
      );
      return staged;
    },
    () => new Map<string, StagedLayer>(),
  );
  const base = resolved
    .then((image) => readBaseConfig(once, image, platform))
    .then(
      // The build reads the base's layers with the retries.
      (image): RegistrySourceImage => ({
        ...image,
        openBlob: (descriptor) => client.openBlob(image.registryLocation, descriptor),
      }),
      () => undefined,
    );
  return {
    platform,
    target,
    base,
    layers: () => layers,
    cancel: async () => {
      cancelled = true;
      const staged = await layers;
      await Promise.all(
        [...staged.values()].map((layer) =>
          layer.state === 'streaming' ? layer.upload.cancel() : undefined,
        ),
      );
    },
  };
}

function uniqueLayers(layers: readonly Descriptor[]): Descriptor[] {
  return [...new Map(layers.map((layer) => [layer.digest, layer])).values()];
}
