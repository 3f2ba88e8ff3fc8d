// Pushes a built image: blobs first (deduplicated, a few at a time, skipping what the registry
// has, mounting what another repository of the same registry has), the manifest last, by digest
// and then under each tag. An image the registry already holds costs one HEAD plus one per tag.
// A failed blob stops the push before any manifest is put, so a tag never names half an image.

import { sha256Digest } from '../image/digest';
import { ImageError } from '../image/image-error';
import type { Descriptor } from '../image/types';
import type { RegistryClient, RepositoryRef } from './client';
import { RemoteError, errorMessage } from '../errors';
import { realSleep } from '../util/retry';
import { isBlobNotSeenByManifest, mayBeCommittedByAnother } from './concurrent-writers';
import type { StagedLayer } from './stage-base';
import { TAG_RE } from './reference';

export interface PushBlob {
  descriptor: Descriptor;
  /** A fresh stream of the blob's exact bytes; called again when an upload is retried. */
  open(): NodeJS.ReadableStream;
  /** Where the blob already is (a base image's repository): mounted when it is the same registry. */
  from?: { registry: string; repository: string };
  /** `open()` streams through a check against the digest (UploadOptions.verifiedSource). */
  verified?: boolean;
  /** What staging (stage-base.ts) did for this blob in this target before the push began. */
  staged?: StagedLayer;
}

export interface PushableImage {
  /** The manifest exactly as its digest was computed: sent as is, never re-serialised. */
  manifestBytes: Buffer;
  manifestDescriptor: Descriptor;
  /** Config and layers (their order does not matter; duplicates are sent once). */
  blobs: PushBlob[];
}

export interface PushOptions {
  /** Blobs handled at once. Default 3. */
  concurrency?: number;
  /** Blobs at least this big get a log line per phase. Default 10 MiB. */
  progressThresholdBytes?: number;
  now?: () => number;
  /** Manifest PUTs per reference when the registry does not see a blob yet. Default 4. */
  manifestAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PushResult {
  /** The manifest digest: what the task definition should reference. */
  digest: string;
  /** The registry already had this manifest; no blob was looked at. */
  alreadyPresent: boolean;
  uploaded: string[];
  mounted: string[];
  /** Blobs the repository already had. */
  existing: string[];
  /** Tags put (or moved) to the manifest; tags already on it are left alone. */
  tagsPut: string[];
  tagsUnchanged: string[];
  /** Blob bytes sent (uploads only). */
  bytesUploaded: number;
}

const DEFAULT_CONCURRENCY = 3;
const PROGRESS_THRESHOLD = 10 * 1024 * 1024;
const MANIFEST_ATTEMPTS = 4;
/** Another writer's commit takes milliseconds; the wait grows with each attempt. */
const MANIFEST_RETRY_DELAY_MS = 250;

export async function pushImage(
  client: RegistryClient,
  target: RepositoryRef,
  image: PushableImage,
  tags: readonly string[],
  log: (message: string) => void,
  options: PushOptions = {},
): Promise<PushResult> {
  const now = options.now ?? Date.now;
  const threshold = options.progressThresholdBytes ?? PROGRESS_THRESHOLD;
  const name = `${target.registry}/${target.repository}`;
  const digest = checkManifest(image, name);
  for (const tag of tags) {
    if (!TAG_RE.test(tag)) {
      throw new ImageError(
        `tag '${tag}' for ${name}`,
        'is not a valid tag',
        'use [A-Za-z0-9_.-], at most 128 characters, not starting with . or -',
      );
    }
  }
  const result: PushResult = {
    digest,
    alreadyPresent: false,
    uploaded: [],
    mounted: [],
    existing: [],
    tagsPut: [],
    tagsUnchanged: [],
    bytesUploaded: 0,
  };
  const blobs = dedupe(image.blobs);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const settings = { now, threshold };
  const record = (digest: string, outcome: BlobOutcome, size: number) => {
    result[outcome].push(digest);
    if (outcome === 'uploaded') result.bytesUploaded += size;
  };
  // Every manifest PUT (a tag's included) has the registry verify the blobs again, so each may
  // meet another writer committing them.
  const putConverging = (reference: string) =>
    putManifestConverging(client, target, reference, image, log, {
      attempts: options.manifestAttempts ?? MANIFEST_ATTEMPTS,
      sleep: options.sleep ?? realSleep,
      recheck: () =>
        forEachLimited(blobs, concurrency, async ({ staged: _staged, ...blob }) => {
          // What staging saw or sent is what the registry now says it lacks: look again.
          const outcome = await sendBlob(client, target, blob, log, settings);
          if (outcome === 'existing') return;
          log(`${name}: blob ${shortDigest(blob.descriptor.digest)} was missing: ${outcome} again`);
          record(blob.descriptor.digest, outcome, blob.descriptor.size);
        }),
    });

  // Staging found a layer of this image missing from the target moments ago, and a registry
  // takes a manifest only once it holds every blob: the manifest cannot be there yet, so the push
  // goes straight to its blobs (were it there after all, putting it again changes nothing).
  const knownAbsent = blobs.some((blob) => blob.staged?.state === 'streaming');
  const present = knownAbsent ? undefined : await client.headManifest(target, digest, 'push');
  if (present) {
    result.alreadyPresent = true;
    log(`${name}@${digest} is already in the registry: nothing to upload`);
    for (const tag of uniqueTags(tags)) {
      const current = await client.headManifest(target, tag, 'push');
      if (current?.digest === digest) {
        result.tagsUnchanged.push(tag);
        continue;
      }
      await putConverging(tag);
      result.tagsPut.push(tag);
      log(`${name}:${tag} now points at ${digest}`);
    }
    return result;
  }

  await forEachLimited(blobs, concurrency, async (blob) => {
    record(
      blob.descriptor.digest,
      await sendBlob(client, target, blob, log, settings),
      blob.descriptor.size,
    );
  }).catch((error: unknown) => {
    log(`${name}: a blob could not be pushed, so no manifest or tag was put`);
    throw error;
  });

  await putConverging(digest);
  for (const tag of uniqueTags(tags)) {
    await putConverging(tag);
    result.tagsPut.push(tag);
  }
  log(
    `${name}@${digest} pushed: ${result.uploaded.length} blob(s) uploaded (${formatBytes(result.bytesUploaded)}), ` +
      `${result.mounted.length} mounted, ${result.existing.length} already present` +
      (result.tagsPut.length > 0 ? `; tags ${result.tagsPut.join(', ')}` : ''),
  );
  return result;
}

type BlobOutcome = 'existing' | 'mounted' | 'uploaded';

/** HEAD, then mount or upload one blob; says which it took. */
async function sendBlob(
  client: RegistryClient,
  target: RepositoryRef,
  blob: PushBlob,
  log: (message: string) => void,
  settings: { now: () => number; threshold: number },
): Promise<BlobOutcome> {
  const name = `${target.registry}/${target.repository}`;
  const { descriptor } = blob;
  const big = descriptor.size >= settings.threshold;
  const label = `blob ${shortDigest(descriptor.digest)} (${formatBytes(descriptor.size)})`;
  const started = settings.now();
  if (blob.staged?.state === 'present') {
    if (big) log(`${name}: ${label}: already present`);
    return 'existing';
  }
  if (blob.staged?.state === 'streaming') {
    try {
      await blob.staged.upload.commit();
      if (big) {
        log(
          `${name}: ${label}: uploaded (streamed while the run was checked), committed after ` +
            `${formatSeconds(settings.now() - started)} more`,
        );
      }
      return 'uploaded';
    } catch (error) {
      // Reading the base failed for good (after its own retries), or its bytes were wrong: sending
      // it again would only meet that again. What failed in the target is worth another try.
      if (!failedInTarget(error, name)) throw error;
      log(
        `${name}: ${label}: the upload started early failed (${errorCause(error)}): sending it now`,
      );
    }
  }
  if (big) log(`${name}: ${label}: checking`);
  if (await client.headBlob(target, descriptor.digest, 'push')) {
    if (big) log(`${name}: ${label}: already present`);
    return 'existing';
  }
  let session: string | undefined;
  const from = blob.from;
  if (from && from.registry === target.registry && from.repository !== target.repository) {
    if (big) log(`${name}: ${label}: mounting from ${from.repository}`);
    const mount = await client.mountBlob(target, descriptor.digest, from.repository);
    if (mount.mounted) {
      if (big) log(`${name}: ${label}: mounted from ${from.repository}`);
      return 'mounted';
    }
    session = mount.session;
  }
  if (big) log(`${name}: ${label}: uploading`);
  try {
    await client.uploadBlob(target, descriptor, blob.open, {
      ...(session ? { session } : {}),
      ...(blob.verified ? { verifiedSource: true } : {}),
    });
  } catch (error) {
    // Refused because another push committed the same digest first? Then the blob is there.
    if (!mayBeCommittedByAnother(error)) throw error;
    if (!(await client.headBlob(target, descriptor.digest, 'push'))) throw error;
    log(
      `${name}: ${label}: the registry refused the upload (${errorCause(error)}) but has the ` +
        'blob: another push committed it first',
    );
    return 'existing';
  }
  if (big) log(`${name}: ${label}: uploaded in ${formatSeconds(settings.now() - started)}`);
  return 'uploaded';
}

/**
 * PUTs the manifest under `reference`. When the registry says it does not see a blob the
 * manifest references, every blob is checked again (and uploaded if it is really missing)
 * before the next attempt: another push committing the same blobs explains that answer.
 */
async function putManifestConverging(
  client: RegistryClient,
  target: RepositoryRef,
  reference: string,
  image: PushableImage,
  log: (message: string) => void,
  settings: {
    attempts: number;
    sleep: (ms: number) => Promise<void>;
    recheck: () => Promise<void>;
  },
): Promise<void> {
  const name = `${target.registry}/${target.repository}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.putManifest(
        target,
        reference,
        image.manifestBytes,
        image.manifestDescriptor.mediaType,
      );
      if (attempt > 1)
        log(`${name}: manifest ${reference} put on attempt ${attempt} of ${settings.attempts}`);
      return;
    } catch (error) {
      if (!isBlobNotSeenByManifest(error) || attempt >= settings.attempts) throw error;
      log(
        `${name}: put manifest ${reference}, attempt ${attempt} of ${settings.attempts}: the registry ` +
          `does not see every blob (${errorCause(error)}); another push of the same blobs may be ` +
          'committing them: checking each blob again',
      );
      await settings.sleep(MANIFEST_RETRY_DELAY_MS * attempt);
      await settings.recheck();
    }
  }
}

/** A failure of the target registry itself, not of the source (another's RemoteError, an ImageError). */
function failedInTarget(error: unknown, name: string): boolean {
  if (error instanceof ImageError) return false;
  return !(error instanceof RemoteError) || error.target === name;
}

function errorCause(error: unknown): string {
  return error instanceof RemoteError ? error.causeMessage : errorMessage(error);
}

/** The manifest's bytes must be the ones its descriptor names: they are sent as they are. */
function checkManifest(image: PushableImage, name: string): string {
  const actual = sha256Digest(image.manifestBytes);
  const { digest, size } = image.manifestDescriptor;
  if (actual !== digest || image.manifestBytes.length !== size) {
    throw new ImageError(
      `manifest for ${name}`,
      `is ${image.manifestBytes.length} bytes hashing to ${actual}, but its descriptor says ${size} bytes, ${digest}`,
      'push the exact bytes the manifest descriptor was computed from',
    );
  }
  return digest;
}

/** One entry per digest; an entry that says where to mount from wins. */
function dedupe(blobs: readonly PushBlob[]): PushBlob[] {
  const byDigest = new Map<string, PushBlob>();
  for (const blob of blobs) {
    const seen = byDigest.get(blob.descriptor.digest);
    if (!seen || (!seen.from && blob.from)) byDigest.set(blob.descriptor.digest, blob);
  }
  return [...byDigest.values()];
}

function uniqueTags(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

/**
 * Runs `work` over `items`, `limit` at a time. After the first failure no new item starts; the
 * ones under way finish (or fail) before the first error is thrown.
 */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}

function shortDigest(digest: string): string {
  return `${digest.slice(0, 'sha256:'.length + 12)}…`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
