// Helpers for the concurrency suite: a workspace that holds one more migration (atlas.sum
// regenerated as `atlas migrate hash` would), the registered revision as DescribeTaskDefinition
// answers it, what the registry holds for an image, and waiting for a run to reach a step.
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { sha256Digest } from '../../src/image/digest';
import { MediaType } from '../../src/image/types';
import { computeAtlasSum } from '../../src/migrations/atlas-sum';
import type { FakeAws } from '../helpers/fake-aws';
import { REGION } from '../e2e/deploy-env';

/** Adds a migration file to the workspace's migrations dir and rewrites atlas.sum to match. */
export function addMigration(workspace: string, name: string, sql: string): void {
  const dir = path.join(workspace, 'migrations');
  writeFileSync(path.join(dir, name), sql);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => ({ name: file, content: readFileSync(path.join(dir, file)) }));
  writeFileSync(path.join(dir, 'atlas.sum'), computeAtlasSum(files));
}

export interface ContainerView {
  name?: string;
  image?: string;
  essential?: boolean;
  dependsOn?: { containerName?: string; condition?: string }[];
}

/** The revision's containers as the real SDK reads them back from the loopback ECS. */
export async function describeRevision(aws: FakeAws, arn: string): Promise<ContainerView[]> {
  const client = new ECSClient({
    endpoint: aws.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
  });
  try {
    const answer = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    return (answer.taskDefinition?.containerDefinitions ?? []) as ContainerView[];
  } finally {
    client.destroy();
  }
}

/**
 * Whether a registered revision is one a service can run: the migration container holds the
 * image by digest, is not essential, and every other container waits for its SUCCESS.
 */
export function revisionProblems(containers: ContainerView[], image: string): string[] {
  const problems: string[] = [];
  const atlas = containers.find((c) => c.name === 'atlas');
  if (!atlas) return ['no atlas container'];
  if (atlas.image !== image) problems.push(`atlas image ${atlas.image ?? '(none)'} ≠ ${image}`);
  if (atlas.essential !== false) problems.push('atlas is essential');
  for (const app of containers.filter((c) => c.name !== 'atlas')) {
    const waits = (app.dependsOn ?? []).some(
      (d) => d.containerName === 'atlas' && d.condition === 'SUCCESS',
    );
    if (!waits) problems.push(`${app.name ?? '?'} does not wait for atlas SUCCESS`);
  }
  return problems;
}

export interface StoredImage {
  /** The manifest by digest: 200 and its bytes hash to the digest. */
  manifestIntact: boolean;
  /** Digests of the config and layers with their HEAD status. */
  blobs: { digest: string; status: number }[];
}

/** What the registry itself (not through any proxy) holds for a manifest digest. */
export async function storedImage(
  registryUrl: string,
  name: string,
  digest: string,
): Promise<StoredImage> {
  const response = await fetch(`${registryUrl}/v2/${name}/manifests/${digest}`, {
    headers: { Accept: [MediaType.ociManifest, MediaType.dockerManifest].join(', ') },
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) return { manifestIntact: false, blobs: [] };
  const manifest = JSON.parse(bytes.toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const blobs = [];
  for (const blob of [manifest.config, ...manifest.layers]) {
    const head = await fetch(`${registryUrl}/v2/${name}/blobs/${blob.digest}`, { method: 'HEAD' });
    blobs.push({ digest: blob.digest, status: head.status });
  }
  return { manifestIntact: sha256Digest(bytes) === digest, blobs };
}

/** The digest a tag points at, from the registry itself. */
export async function tagDigest(registryUrl: string, name: string, tag: string): Promise<string> {
  const response = await fetch(`${registryUrl}/v2/${name}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: [MediaType.ociManifest, MediaType.dockerManifest].join(', ') },
  });
  return response.headers.get('docker-content-digest') ?? `HTTP ${response.status}`;
}

/** Resolves once `condition` holds; checked every 20 ms, for at most `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
