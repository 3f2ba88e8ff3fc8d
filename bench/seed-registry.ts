// npm run bench: puts an OCI image layout's multi-platform index into a registry, as Docker Hub
// holds arigaio/atlas (index → one manifest per platform → config and layer), so the buildah
// comparison pulls its base from a registry like a runner does. Set-up only, never measured:
// plain monolithic uploads (POST, then PUT with the digest), manifests by digest, the index by tag.
import { readFile } from 'node:fs/promises';
import { blobPath } from '../src/files/oci-layout';
import type { ImageIndex, ImageManifest } from '../src/image/types';

export async function seedIndex(
  registryUrl: string,
  repository: string,
  layoutDir: string,
  indexDigest: string,
  tag: string,
): Promise<void> {
  const indexBytes = await readFile(blobPath(layoutDir, indexDigest));
  const index = JSON.parse(indexBytes.toString('utf8')) as ImageIndex;
  for (const entry of index.manifests) {
    const manifestBytes = await readFile(blobPath(layoutDir, entry.digest));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
    for (const blob of [manifest.config, ...manifest.layers]) {
      await putBlob(
        registryUrl,
        repository,
        blob.digest,
        await readFile(blobPath(layoutDir, blob.digest)),
      );
    }
    await putManifest(registryUrl, repository, entry.digest, entry.mediaType, manifestBytes);
  }
  await putManifest(registryUrl, repository, tag, index.mediaType!, indexBytes);
}

async function putBlob(registryUrl: string, repository: string, digest: string, bytes: Buffer) {
  const started = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 202 || !location) {
    throw new Error(`seeding ${repository}: starting an upload answered ${started.status}`);
  }
  const url = new URL(location, registryUrl);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
  await put.arrayBuffer();
  if (put.status !== 201)
    throw new Error(`seeding ${repository}: blob ${digest} answered ${put.status}`);
}

async function putManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
) {
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: bytes,
  });
  const text = await put.text();
  if (put.status !== 201) {
    throw new Error(`seeding ${repository}: manifest ${reference} answered ${put.status}: ${text}`);
  }
}
