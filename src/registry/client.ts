// A client for the OCI distribution API (and Docker's registry v2 API it grew from).
//
// Hand-written on purpose: no maintained npm package pushes images (the registry packages on npm
// pull only, or wrap a Docker daemon), and this action runs where no daemon exists. It covers
// what building one layer on a base image needs: manifests by tag or digest with content
// negotiation, blob HEAD/GET (streamed, verified while streaming, resumed with Range after a
// dropped connection), cross-repository mounts, streamed uploads and manifest PUTs.
//
// Every document read is checked against its digest; every blob sent is hashed as it streams.
// Requests go through an injected fetch; retries are bounded and only for steps that can be
// repeated (bodies come from buffers or openers, never from an already-consumed stream).

import { Readable, pipeline } from 'node:stream';
import { createDigestVerifier, createVerifyingStream, sha256Digest } from '../image/digest';
import { MediaType, isIndexMediaType, isManifestMediaType, type Descriptor } from '../image/types';
import { retry, realSleep } from '../util/retry';
import {
  createAuthenticator,
  createCredentialProvider,
  type AuthScope,
  type Authenticator,
  type CredentialProvider,
  type EcrCredentialsGetter,
  type EcrRegistry,
} from './auth';
import type { DockerConfigOptions } from './docker-config';
import {
  RegistryImpostorError,
  RegistryIntegrityError,
  isRetryableRegistryError,
  registryFailure,
  retryAfterOf,
  type StepKind,
} from './errors';
import type { ImageReference } from './reference';
import {
  createTransport,
  registryBaseUrl,
  withQuery,
  type FetchLike,
  type Transport,
  type TransportRequest,
  type TransportResponse,
  type TransportStats,
} from './transport';

/** A repository in a registry: `registry` is the host (`localhost:5000`, `…amazonaws.com`). */
export interface RepositoryRef {
  readonly registry: string;
  readonly repository: string;
}

/** A manifest or index as the registry served it: exact bytes and their descriptor. */
export interface FetchedManifest {
  bytes: Buffer;
  descriptor: Descriptor;
}

/** Whether a cross-repository mount linked the blob, or left an upload session to fill. */
export type MountResult = { mounted: true } | { mounted: false; session: string };

/** Which access a read needs: a push asks for push everywhere so one token covers it all. */
export type Access = 'pull' | 'push';

export interface UploadOptions {
  /** An upload session already opened (a mount's 202); used for the first attempt only. */
  session?: string;
  /**
   * The source checks its own bytes against the descriptor as they stream and fails before it
   * ends when they differ (a base image's blob, read through its verifying stream): not hashed
   * a second time. A base layer is tens of MB; one SHA-256 pass over it is ~50 ms of CPU.
   */
  verifiedSource?: boolean;
  /**
   * Staging (stageBlob): the bytes stream at once, the PUT that commits them waits for this;
   * false deletes the session instead, so nothing is committed.
   */
  commitWhen?: Promise<boolean>;
  /** Staging: the upload was cancelled (its source destroyed): no retry, the session deleted. */
  cancelled?: () => boolean;
}

/**
 * A blob streaming into a repository whose commit waits for the caller: the transfer overlaps
 * work that may still refuse the run (its validation), and a refused run commits nothing.
 */
export interface StagedUpload {
  /** Commits the blob (the PUT ?digest=); resolves once the repository holds it. */
  commit(): Promise<void>;
  /** Stops the transfer and deletes its upload session; never rejects. No-op once committed. */
  cancel(): Promise<void>;
}

/** A staged upload was cancelled before its commit: nothing of it is in the repository. */
export class UploadCancelledError extends Error {
  constructor(where: string) {
    super(`the upload of ${where} was cancelled before its commit`);
    this.name = 'UploadCancelledError';
  }
}

export interface RegistryClient {
  /** GET a manifest or index by tag or digest (OCI and Docker types), checked against digests. */
  getManifest(ref: ImageReference): Promise<FetchedManifest>;
  /** HEAD a manifest by tag or digest; undefined when the registry has none. */
  headManifest(
    repo: RepositoryRef,
    reference: string,
    access?: Access,
  ): Promise<Descriptor | undefined>;
  /** HEAD a blob; its size, or undefined when the repository does not have it. */
  headBlob(
    repo: RepositoryRef,
    digest: string,
    access?: Access,
  ): Promise<{ size: number } | undefined>;
  /**
   * Streams a blob lazily (the GET starts when this is called), verified while streaming: the
   * stream fails instead of ending when the bytes do not match the descriptor.
   */
  openBlob(repo: RepositoryRef, descriptor: Descriptor): Readable;
  /** Reads a small blob (a config) whole, verified; refuses blobs over `limit` bytes. */
  readBlob(repo: RepositoryRef, descriptor: Descriptor, limit?: number): Promise<Buffer>;
  /** POST …/blobs/uploads/?mount=<digest>&from=<repository>. */
  mountBlob(repo: RepositoryRef, digest: string, fromRepository: string): Promise<MountResult>;
  /** Streams a blob from `open()` into the repository; `open` is called again for a retry. */
  uploadBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    open: () => NodeJS.ReadableStream,
    options?: UploadOptions,
  ): Promise<void>;
  /**
   * Starts `uploadBlob` now with its commit held until `commit()` (the `patch` method; with
   * `put`, which commits in the request that carries the bytes, nothing starts before commit).
   */
  stageBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    open: () => NodeJS.ReadableStream,
    options?: UploadOptions,
  ): StagedUpload;
  /** PUT a manifest (by digest or tag); returns the digest of the bytes sent. */
  putManifest(
    repo: RepositoryRef,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string>;
  /** Requests by method and bytes each way, for the bench and tests. */
  readonly stats: TransportStats;
  /**
   * The same connections, logins and tokens, each step tried once: for work that only gets ahead
   * of a step that will run anyway (staging), so a failure costs no backoff.
   */
  withoutRetries(): RegistryClient;
  /** ECR account and region when `registry` is ECR (as the client was told to recognise it). */
  ecrRegistry(registry: string): EcrRegistry | undefined;
  readonly log: (message: string) => void;
}

export interface RetrySettings {
  /** Most attempts per step, the first included. Default 5. */
  attempts?: number;
  /** Time budget per step across its attempts. Default 2 minutes. */
  maxElapsedMs?: number;
  /** First backoff before jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff before jitter. Default 20 s. */
  maxDelayMs?: number;
}

export interface RegistryClientOptions {
  /** Must register each value as a secret (core.setSecret) before anything is logged. */
  mask: (value: string) => void;
  log?: (message: string) => void;
  fetch?: FetchLike;
  /** Logins for ECR hosts (ecr:GetAuthorizationToken); other registries use the Docker config. */
  ecrCredentials?: EcrCredentialsGetter;
  /** Which hosts are ECR; `parseEcrHost` by default. */
  identifyEcrRegistry?: (registry: string) => EcrRegistry | undefined;
  /** Where the Docker config is read from; the process environment and home by default. */
  dockerConfig?: DockerConfigOptions;
  /** Idle timeout per request (no progress either way). Default 60 s. */
  timeoutMs?: number;
  retry?: RetrySettings;
  /**
   * `patch` (default): POST, one PATCH streaming the whole blob, then PUT ?digest= — what
   * Docker, podman and go-containerregistry send, and what ECR is known to accept.
   * `put`: POST then a single streamed PUT ?digest= (one request fewer).
   */
  uploadMethod?: 'patch' | 'put';
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  userAgent?: string;
}

/** How far a blob's GET may run ahead of its reader. */
const BLOB_READ_AHEAD = 256 * 1024;

/** Registries refuse manifests above 4 MiB; anything bigger is not one. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(', ');

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  return new DistributionClient(options);
}

class DistributionClient implements RegistryClient {
  readonly log: (message: string) => void;
  private readonly transport: Transport;
  private readonly credentials: CredentialProvider;
  private readonly auth: Authenticator;
  private readonly options: RegistryClientOptions;

  constructor(
    options: RegistryClientOptions,
    shared?: { transport: Transport; credentials: CredentialProvider; auth: Authenticator },
  ) {
    this.options = options;
    this.log = options.log ?? (() => undefined);
    if (shared) {
      ({ transport: this.transport, credentials: this.credentials, auth: this.auth } = shared);
      return;
    }
    this.transport = createTransport({
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      userAgent: options.userAgent,
      now: options.now,
    });
    this.credentials = createCredentialProvider({
      ecrCredentials: options.ecrCredentials,
      identifyEcrRegistry: options.identifyEcrRegistry,
      dockerConfig: options.dockerConfig,
      mask: options.mask,
      log: this.log,
    });
    this.auth = createAuthenticator({
      transport: this.transport,
      credentials: this.credentials,
      mask: options.mask,
      now: options.now,
    });
  }

  get stats(): TransportStats {
    return this.transport.stats;
  }

  ecrRegistry(registry: string): EcrRegistry | undefined {
    return this.credentials.ecr(registry);
  }

  withoutRetries(): RegistryClient {
    const { transport, credentials, auth } = this;
    return new DistributionClient(
      { ...this.options, retry: { ...this.options.retry, attempts: 1 } },
      { transport, credentials, auth },
    );
  }

  async getManifest(ref: ImageReference): Promise<FetchedManifest> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const label = `get manifest ${reference}`;
    return this.step(ref, label, 'pull', async () => {
      const response = await this.exchange(ref, pullScope(ref), {
        method: 'GET',
        url: this.url(ref, `manifests/${reference}`),
        headers: { Accept: MANIFEST_ACCEPT },
      });
      if (response.status !== 200) throw await response.toError();
      const bytes = await response.readBytes(MAX_MANIFEST_BYTES);
      const digest = sha256Digest(bytes);
      const where = `manifest ${reference} of ${ref.registry}/${ref.repository}`;
      checkNotHtml(response, bytes, where);
      if (ref.digest && digest !== ref.digest) {
        throw new RegistryIntegrityError(`${where} hashes to ${digest}, not ${ref.digest}`);
      }
      checkContentDigest(response, digest, where);
      return {
        bytes,
        descriptor: { mediaType: manifestMediaType(response, bytes), digest, size: bytes.length },
      };
    });
  }

  async headManifest(
    repo: RepositoryRef,
    reference: string,
    access: Access = 'pull',
  ): Promise<Descriptor | undefined> {
    return this.step(repo, `check manifest ${reference}`, 'check', async () => {
      const response = await this.exchange(repo, scopeFor(repo, access), {
        method: 'HEAD',
        url: this.url(repo, `manifests/${reference}`),
        headers: { Accept: MANIFEST_ACCEPT },
      });
      await response.discard();
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw await response.toError();
      const digest = response.headers.get('docker-content-digest');
      const size = Number(response.headers.get('content-length'));
      const mediaType = contentType(response);
      // Asked by digest, the answer must be about that digest: a registry (or a proxy) that names
      // another one would make a push skip blobs and put tags on a manifest it never saw.
      if (reference.startsWith('sha256:')) {
        checkContentDigest(response, reference, `manifest of ${target(repo)}`, 'asked');
      }
      if (digest && Number.isSafeInteger(size) && mediaType) {
        return { mediaType, digest, size };
      }
      // No digest header (allowed by the spec): read the manifest to know what the tag holds.
      const fetched = await this.getManifest({
        ...repo,
        ...(reference.startsWith('sha256:') ? { digest: reference } : { tag: reference }),
      });
      return fetched.descriptor;
    });
  }

  async headBlob(
    repo: RepositoryRef,
    digest: string,
    access: Access = 'pull',
  ): Promise<{ size: number } | undefined> {
    return this.step(repo, `check blob ${digest}`, 'check', async () => {
      const response = await this.exchange(repo, scopeFor(repo, access), {
        method: 'HEAD',
        url: this.url(repo, `blobs/${digest}`),
        followRedirects: true,
      });
      await response.discard();
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw await response.toError();
      // A blob answered for another digest is not there: skipping its upload would leave the
      // manifest pointing at a blob the repository does not have.
      checkContentDigest(response, digest, `blob of ${target(repo)}`, 'asked');
      return { size: Number(response.headers.get('content-length') ?? 'NaN') };
    });
  }

  openBlob(repo: RepositoryRef, descriptor: Descriptor): Readable {
    const where = `${repo.registry}/${repo.repository} blob ${descriptor.digest}`;
    // Verified inline rather than through a Transform: one stream hop fewer per chunk of a layer.
    const verifier = createDigestVerifier(descriptor, where);
    let received = 0;
    let current: Readable | undefined;
    let closed = false;
    let started = false;
    let readAgain: (() => void) | undefined;
    const url = this.url(repo, `blobs/${descriptor.digest}`);
    const context = () => this.context(repo, `get blob ${descriptor.digest}`, 'pull');
    const wake = () => {
      const resume = readAgain;
      readAgain = undefined;
      resume?.();
    };

    const pump = async () => {
      await this.withRetry(`get blob ${descriptor.digest} from ${target(repo)}`, async () => {
        const headers: Record<string, string> = { Accept: '*/*', 'Accept-Encoding': 'identity' };
        if (received > 0) headers.Range = `bytes=${received}-`;
        const response = await this.exchange(repo, pullScope(repo), {
          method: 'GET',
          url,
          headers,
          followRedirects: true,
        });
        if (response.status !== 200 && response.status !== 206) throw await response.toError();
        // A server that ignores Range sends everything again: skip what was already passed on.
        let skip = response.status === 200 ? received : 0;
        if (response.status === 206) {
          // Not read on: the connection goes, rather than holding the process open.
          try {
            checkContentRange(response, received, where);
          } catch (error) {
            await response.discard();
            throw error;
          }
        }
        const body = response.stream();
        current = body;
        for await (const chunk of body) {
          if (closed) return;
          let data = chunk as Buffer;
          if (skip > 0) {
            const cut = Math.min(skip, data.length);
            skip -= cut;
            data = data.subarray(cut);
            if (data.length === 0) continue;
          }
          received += data.length;
          const problem = verifier.update(data);
          if (problem) {
            out.destroy(problem);
            return;
          }
          if (!out.push(data)) await new Promise<void>((resolve) => (readAgain = resolve));
        }
      });
      if (closed) return;
      const problem = verifier.finish();
      if (problem) out.destroy(problem);
      else out.push(null);
    };

    // The GET starts on the first read, so blobs opened ahead of use cost nothing until then.
    const out = new Readable({
      highWaterMark: BLOB_READ_AHEAD,
      read() {
        if (!started) {
          started = true;
          pump().catch((error: unknown) => {
            if (!closed) out.destroy(registryFailure(context(), error));
          });
        }
        wake();
      },
      destroy(error, callback) {
        closed = true;
        current?.destroy();
        wake();
        callback(error);
      },
    });
    return out;
  }

  async readBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    limit = MAX_MANIFEST_BYTES,
  ): Promise<Buffer> {
    if (descriptor.size > limit) {
      throw registryFailure(
        this.context(repo, `get blob ${descriptor.digest}`, 'pull'),
        new RegistryIntegrityError(
          `the blob is ${descriptor.size} bytes, more than the ${limit} expected here`,
        ),
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.openBlob(repo, descriptor)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async mountBlob(
    repo: RepositoryRef,
    digest: string,
    fromRepository: string,
  ): Promise<MountResult> {
    const scopes: AuthScope[] = [
      { repository: repo.repository, actions: ['pull', 'push'] },
      { repository: fromRepository, actions: ['pull'] },
    ];
    return this.step(repo, `mount blob ${digest} from ${fromRepository}`, 'mount', async () => {
      const url = withQuery(this.url(repo, 'blobs/uploads/'), {
        mount: digest,
        from: fromRepository,
      });
      const response = await this.exchange(repo, scopes, {
        method: 'POST',
        url,
        headers: { 'Content-Length': '0' },
      });
      if (response.status === 201) {
        await response.discard();
        return { mounted: true };
      }
      if (response.status === 202) {
        await response.discard();
        return { mounted: false, session: uploadLocation(response) };
      }
      throw await response.toError();
    });
  }

  async uploadBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    open: () => NodeJS.ReadableStream,
    options: UploadOptions = {},
  ): Promise<void> {
    const where = `blob ${descriptor.digest} for ${target(repo)}`;
    // Hash what is sent: a source that yields other bytes fails the request, not the image.
    const body = options.verifiedSource
      ? open
      : () => {
          const verify = createVerifyingStream(descriptor, where);
          pipeline(open() as Readable, verify, () => undefined);
          return verify;
        };
    let session = options.session;
    const method = this.options.uploadMethod ?? 'patch';
    await this.step(repo, `upload blob ${descriptor.digest}`, 'upload', async () => {
      // A retry starts a fresh session: a broken one may hold part of the bytes.
      const start = session ?? (await this.startUpload(repo));
      session = undefined;
      let location = start;
      const headers = {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(descriptor.size),
      };
      if (method === 'patch') {
        try {
          if (options.cancelled?.()) throw new UploadCancelledError(where);
          const patched = await this.exchange(repo, pushScope(repo), {
            method: 'PATCH',
            url: location,
            headers,
            body,
          });
          if (patched.status !== 202 && patched.status !== 204 && patched.status !== 201) {
            throw await patched.toError();
          }
          await patched.discard();
          location = patched.headers.get('location') ? uploadLocation(patched) : location;
        } catch (error) {
          if (!options.cancelled?.()) throw error;
          await this.deleteSession(repo, location);
          throw new UploadCancelledError(where);
        }
        if (options.commitWhen && !(await options.commitWhen)) {
          await this.deleteSession(repo, location);
          throw new UploadCancelledError(where);
        }
      }
      const put = await this.exchange(repo, pushScope(repo), {
        method: 'PUT',
        url: withQuery(location, { digest: descriptor.digest }),
        headers:
          method === 'patch'
            ? { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' }
            : headers,
        ...(method === 'patch' ? {} : { body }),
      });
      if (put.status !== 201 && put.status !== 204 && put.status !== 200) {
        throw await put.toError();
      }
      await put.discard();
      checkContentDigest(put, descriptor.digest, where);
    });
  }

  stageBlob(
    repo: RepositoryRef,
    descriptor: Descriptor,
    open: () => NodeJS.ReadableStream,
    options: UploadOptions = {},
  ): StagedUpload {
    if ((this.options.uploadMethod ?? 'patch') === 'put') {
      return {
        commit: () => this.uploadBlob(repo, descriptor, open, options),
        cancel: async () => {},
      };
    }
    let decide: (commit: boolean) => void = () => undefined;
    const decision = new Promise<boolean>((resolve) => (decide = resolve));
    const sources = new Set<NodeJS.ReadableStream>();
    let cancelled = false;
    let committed = false;
    const where = `blob ${descriptor.digest} for ${target(repo)}`;
    const upload = this.uploadBlob(
      repo,
      descriptor,
      () => {
        const source = open();
        sources.add(source);
        return source;
      },
      { ...options, commitWhen: decision, cancelled: () => cancelled },
    );
    // Observed by commit() or cancel(); a staging nobody commits must not be an unhandled rejection.
    upload.catch(() => undefined);
    return {
      commit: () => {
        if (cancelled) return Promise.reject(new UploadCancelledError(where));
        committed = true;
        decide(true);
        return upload;
      },
      cancel: async () => {
        if (committed || cancelled) return;
        cancelled = true;
        decide(false);
        for (const source of sources) (source as Readable).destroy(new UploadCancelledError(where));
        await upload.catch(() => undefined);
      },
    };
  }

  async putManifest(
    repo: RepositoryRef,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    return this.step(repo, `put manifest ${reference}`, 'manifest-put', async () => {
      const response = await this.exchange(repo, pushScope(repo), {
        method: 'PUT',
        url: this.url(repo, `manifests/${reference}`),
        headers: { 'Content-Type': mediaType },
        body: bytes,
      });
      if (response.status !== 201 && response.status !== 200 && response.status !== 204) {
        throw await response.toError();
      }
      await response.discard();
      checkContentDigest(response, digest, `manifest ${reference} for ${target(repo)}`);
      return digest;
    });
  }

  /** Best effort: a session left open holds no committed blob and registries expire it. */
  private async deleteSession(repo: RepositoryRef, location: string): Promise<void> {
    try {
      const response = await this.exchange(repo, pushScope(repo), {
        method: 'DELETE',
        url: location,
        headers: { 'Content-Length': '0' },
      });
      await response.discard();
    } catch {
      // Nothing was committed either way.
    }
  }

  private async startUpload(repo: RepositoryRef): Promise<string> {
    const response = await this.exchange(repo, pushScope(repo), {
      method: 'POST',
      url: this.url(repo, 'blobs/uploads/'),
      headers: { 'Content-Length': '0' },
    });
    if (response.status !== 202) throw await response.toError();
    await response.discard();
    return uploadLocation(response);
  }

  /** One request with credentials; a 401 is answered once (new token or Basic header). */
  private async exchange(
    repo: RepositoryRef,
    scopes: readonly AuthScope[],
    request: TransportRequest,
  ): Promise<TransportResponse> {
    const sent = await this.auth.authorization(repo.registry, scopes);
    const headers = { ...request.headers, ...(sent ? { Authorization: sent } : {}) };
    const first = await this.transport.send({ ...request, headers });
    if (first.status !== 401) return first;
    const challenge = first.headers.get('www-authenticate');
    await first.discard();
    const next = await this.auth.challenge(repo.registry, scopes, challenge, sent);
    const second = await this.transport.send({
      ...request,
      headers: { ...request.headers, Authorization: next },
    });
    if (second.status !== 401) return second;
    const error = await second.toError();
    throw this.auth.rejected(repo.registry, next, error.message);
  }

  private async step<T>(
    repo: RepositoryRef,
    operation: string,
    kind: StepKind,
    attempt: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.withRetry(`${operation} on ${target(repo)}`, attempt);
    } catch (error) {
      throw registryFailure(this.context(repo, operation, kind), error);
    }
  }

  private withRetry<T>(label: string, attempt: () => Promise<T>): Promise<T> {
    const settings = this.options.retry ?? {};
    return retry(attempt, {
      label,
      attempts: settings.attempts ?? 5,
      maxElapsedMs: settings.maxElapsedMs ?? 120_000,
      baseDelayMs: settings.baseDelayMs,
      maxDelayMs: settings.maxDelayMs,
      isRetryable: isRetryableRegistryError,
      retryAfterMs: retryAfterOf,
      sleep: this.options.sleep ?? realSleep,
      random: this.options.random ?? Math.random,
      log: this.log,
      now: this.options.now,
    });
  }

  private context(repo: RepositoryRef, operation: string, kind: StepKind) {
    return {
      operation,
      kind,
      registry: repo.registry,
      repository: repo.repository,
      ecr: this.credentials.ecr(repo.registry),
    };
  }

  private url(repo: RepositoryRef, path: string): string {
    return `${registryBaseUrl(repo.registry)}/v2/${repo.repository}/${path}`;
  }
}

function target(repo: RepositoryRef): string {
  return `${repo.registry}/${repo.repository}`;
}

function pullScope(repo: RepositoryRef): AuthScope[] {
  return [{ repository: repo.repository, actions: ['pull'] }];
}

function pushScope(repo: RepositoryRef): AuthScope[] {
  return [{ repository: repo.repository, actions: ['pull', 'push'] }];
}

function scopeFor(repo: RepositoryRef, access: Access): AuthScope[] {
  return access === 'push' ? pushScope(repo) : pullScope(repo);
}

/** The Location of an upload session, resolved against the URL that answered. */
function uploadLocation(response: TransportResponse): string {
  const location = response.headers.get('location');
  if (!location) {
    throw new RegistryIntegrityError(
      `the registry answered HTTP ${response.status} to an upload without a Location header`,
    );
  }
  return new URL(location, response.url).toString();
}

function contentType(response: TransportResponse): string | undefined {
  const value = response.headers.get('content-type');
  return value ? (value.split(';')[0] ?? '').trim() || undefined : undefined;
}

/** The served media type when it names a manifest or index; else the document's own field. */
function manifestMediaType(response: TransportResponse, bytes: Buffer): string {
  const served = contentType(response);
  if (isManifestMediaType(served) || isIndexMediaType(served)) return served!;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as {
      mediaType?: unknown;
      manifests?: unknown;
    };
    if (typeof value.mediaType === 'string') return value.mediaType;
    return Array.isArray(value.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  } catch {
    return served ?? MediaType.ociManifest;
  }
}

/** An HTML page where a manifest should be: whoever answered is not the registry. */
function checkNotHtml(response: TransportResponse, bytes: Buffer, where: string): void {
  const served = contentType(response);
  const head = bytes.subarray(0, 64).toString('utf8').trimStart().toLowerCase();
  if (served === 'text/html' || head.startsWith('<!doctype html') || head.startsWith('<html')) {
    throw new RegistryImpostorError(
      `${where}: the answer is an HTML page (HTTP ${response.status}, Content-Type ${served ?? 'none'}), not a manifest`,
    );
  }
}

/**
 * Docker-Content-Digest is optional, but when a registry sends one it must match: the digest the
 * bytes hash to, or (`asked`, for a HEAD, which has no bytes) the digest asked about.
 */
function checkContentDigest(
  response: TransportResponse,
  digest: string,
  where: string,
  basis: 'bytes' | 'asked' = 'bytes',
): void {
  const header = response.headers.get('docker-content-digest');
  if (header && header.startsWith('sha256:') && header !== digest) {
    throw new RegistryIntegrityError(
      basis === 'bytes'
        ? `${where}: the registry reports digest ${header}, but the bytes hash to ${digest}`
        : `${where}: asked about ${digest}, the registry answered for ${header}`,
    );
  }
}

/** A 206 must start where the previous answer stopped. */
function checkContentRange(response: TransportResponse, offset: number, where: string): void {
  const range = response.headers.get('content-range');
  const start = range ? /^bytes (\d+)-/.exec(range)?.[1] : undefined;
  if (start !== undefined && Number(start) !== offset) {
    throw new RegistryIntegrityError(
      `${where}: asked to resume at byte ${offset}, the registry sent ${range}`,
    );
  }
}
