// The bundled action in a real run, where the registry matters: a base image that lives in the
// same registry as the migration image (its layers are mounted, never uploaded again), and a
// registry behind basic auth whose password must not leak anywhere the run leaves text.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { blobPath, readOciLayoutImage } from '../../src/files/oci-layout';
import { pushableFromLayout, pushLayoutIndex } from '../helpers/images';
import { pullBaseImage } from '../../src/registry/pull';
import { pushImage } from '../../src/registry/push';
import { parseImageReference } from '../../src/registry/reference';
import { readLayer } from '../image/helpers';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import { startRegistry, type RegistryServer } from '../helpers/registry-server';
import { testClient } from '../helpers/test-client';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  expectNothingPushed,
  getManifest,
  repositoryName,
  runDeploy,
  SERVICE,
  startSeededAws,
  stderrOf,
  tagsList,
} from './deploy-env';

let ws: TestWorkspace;
let aws: FakeAws;
let scratch: string;

beforeEach(async () => {
  ws = await exampleWorkspace();
  aws = (await startSeededAws()).aws;
  aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
  scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-e2e-'));
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Puts the stand-in base's amd64 image at <registry>/arigaio/atlas:latest, as a mirror would. */
async function pushStandInBaseTo(registryHost: string) {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  const layout = path.join(ws.dir, 'base-image');
  const base = await readOciLayoutImage(layout, 'latest', amd64);
  const baseRepo = { registry: registryHost, repository: 'arigaio/atlas' };
  const { client } = testClient(scratch);
  await pushImage(client, baseRepo, pushableFromLayout(layout, base), ['latest'], () => undefined);
  return base;
}

/** Puts the stand-in base's index (amd64 and arm64) at <registry>/arigaio/atlas:latest. */
function pushStandInIndexTo(registryHost: string) {
  const repo = { registry: registryHost, repository: 'arigaio/atlas' };
  return pushLayoutIndex(testClient(scratch).client, repo, path.join(ws.dir, 'base-image'));
}

describe('a base image in the same registry', () => {
  let registry: RegistryServer;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy({ upstream: registry.url });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  const pushStandInBase = () => pushStandInBaseTo(proxy.host);

  it('mounts the base layers into the migration repository instead of uploading them', async () => {
    const base = await pushStandInBase();
    const baseLayers = base.manifest.layers.map((l) => l.digest);
    expect(baseLayers.length).toBeGreaterThan(0);
    proxy.reset();

    const name = repositoryName('mounted');
    const repository = `${proxy.host}/${name}`;
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'atlas-image': `${proxy.host}/arigaio/atlas:latest` }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    const digest = run.outputs['image-digest']!;
    expect(run.outputs.image).toBe(`${repository}@${digest}`);

    // Each base layer: one POST ?mount=<digest>&from=arigaio/atlas answered 201 Created.
    for (const layer of baseLayers) {
      const mounts = proxy.records.filter((r) => {
        if (r.method !== 'POST') return false;
        const query = new URL(r.url, 'http://x').searchParams;
        return query.get('mount') === layer && query.get('from') === 'arigaio/atlas';
      });
      expect(mounts.map((r) => r.status)).toEqual([201]);
    }
    // Nothing of the base was uploaded, or even downloaded: only its manifest and config were read.
    const uploaded = proxy.records
      .filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))
      .map((r) => new URL(r.url, 'http://x').searchParams.get('digest'));
    for (const layer of baseLayers) {
      expect(uploaded).not.toContain(layer);
      expect(proxy.records.filter((r) => r.method === 'GET' && r.url.includes(layer))).toEqual([]);
    }
    // PATCH only for the two new blobs: the config and the migration layer.
    expect(proxy.records.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    expect(uploaded).toHaveLength(2);
    // Pull the base's manifest and config (GET 2), HEAD the new manifest and 3 blobs, mount the
    // base layer (POST), upload config and layer (POST/PATCH/PUT), PUT the manifest and its tag.
    expect(proxy.counts()).toEqual({ GET: 2, HEAD: 4, POST: 3, PATCH: 2, PUT: 4 });
    expect(run.summary).toMatch(/2 blobs uploaded \([^)]*\), 1 mounted, 0 already there/);

    // The registry has the image, on top of the base's layers.
    const manifest = await getManifest(registry.url, name, digest);
    expect(manifest.status).toBe(200);
    expect(manifest.matches).toBe(true);
    const layers = (manifest.json!.layers as { digest: string }[]).map((l) => l.digest);
    expect(layers.slice(0, baseLayers.length)).toEqual(baseLayers);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    const atlas = (registered.body.containerDefinitions as Record<string, unknown>[]).find(
      (c) => c.name === 'atlas',
    );
    expect(atlas!.image).toBe(`${repository}@${digest}`);
  });
  it('pulls back with its platform, its config (WorkingDir, entrypoint kept) and the project files', async () => {
    const name = repositoryName('pullback');
    const run = await runDeploy(ws.dir, aws, deployInputs(`${registry.host}/${name}`));
    expect(run.code).toBe(0);
    const { client } = testClient(scratch);
    const reference = parseImageReference(run.outputs.image!)!;
    const image = await pullBaseImage(client, reference, { os: 'linux', architecture: 'amd64' });
    expect(image.manifestDescriptor.digest).toBe(run.outputs['image-digest']);
    expect(image.config).toMatchObject({ architecture: 'amd64', os: 'linux' });
    expect(image.config.config).toMatchObject({ WorkingDir: '/workspace', Entrypoint: ['/atlas'] });
    const top = image.manifest.layers.at(-1)!;
    const files = await readLayer(await client.readBlob(reference, top));
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'workspace/atlas.hcl',
        'workspace/migrations/atlas.sum',
        'workspace/migrations/20240101120000_create_users.sql',
      ]),
    );
    const sum = files.find((f) => f.name === 'workspace/migrations/atlas.sum')!;
    expect(sum.content.toString()).toBe(
      readFileSync(path.join(ws.dir, 'migrations', 'atlas.sum'), 'utf8'),
    );
  });

  it('in a dry run, pulls a registry base into a complete OCI layout and pushes nothing', async () => {
    const name = repositoryName('dry');
    await pushStandInBase();
    proxy.reset();
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${proxy.host}/${name}`, {
        'dry-run': 'true',
        'task-definition': 'task-definition.json',
        'atlas-image': `${proxy.host}/arigaio/atlas:latest`,
      }),
    );
    expect(run.code).toBe(0);
    expect(aws.calls).toEqual([]);
    expect(Object.keys(proxy.counts()).sort()).toEqual(['GET']);
    const layout = path.join(path.dirname(run.outputs['task-definition-file']!), 'image');
    const built = await readOciLayoutImage(layout, 'latest', {
      os: 'linux',
      architecture: 'amd64',
    });
    expect(built.manifestDescriptor.digest).toBe(run.outputs['image-digest']);
    for (const layer of built.manifest.layers) {
      expect(readFileSync(blobPath(layout, layer.digest)).length).toBe(layer.size);
    }
  });
});

describe('a base image in another registry (its layers staged while the run is checked)', () => {
  let registry: RegistryServer;
  let baseHost: FaultProxy;
  let targetHost: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry();
    // Two hosts in front of one registry: to the action, two registries.
    baseHost = await startFaultProxy({ upstream: registry.url });
    targetHost = await startFaultProxy({ upstream: registry.url });
  });
  afterAll(async () => {
    await targetHost?.stop();
    await baseHost?.stop();
    await registry?.stop();
  });

  function uploadsOf(digest: string): string[] {
    return targetHost.records
      .filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))
      .filter((r) => new URL(r.url, 'http://x').searchParams.get('digest') === digest)
      .map((r) => String(r.status));
  }

  it('streams the base layers into the target early and commits them in the push', async () => {
    const base = await pushStandInBaseTo(baseHost.host);
    targetHost.reset();
    const name = repositoryName('staged');
    const repository = `${targetHost.host}/${name}`;
    // The pre-flight's first answer waits for staging's bytes to arrive: the order is fixed, not raced.
    aws.fault('DescribeServices', {
      kind: 'hold',
      until: targetHost.answered((r) => r.method === 'PATCH'),
    });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'atlas-image': `${baseHost.host}/arigaio/atlas:latest` }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const session = (url: string) => new URL(url, 'http://x').pathname;
    const patches = targetHost.records.filter((r) => r.method === 'PATCH');
    // The push's first request: its look at a blob of its own (the config or the new layer).
    const firstOfPush = Math.min(
      ...targetHost.records
        .filter((r) => r.method === 'HEAD')
        .filter((r) => !base.manifest.layers.some((layer) => r.url.endsWith(layer.digest)))
        .map((r) => r.at),
    );
    for (const layer of base.manifest.layers) {
      expect(uploadsOf(layer.digest)).toEqual(['201']);
      // Its bytes went out before the push began; only its commit waited for the push.
      const commit = targetHost.records.find(
        (r) => r.method === 'PUT' && r.url.includes(layer.digest.slice('sha256:'.length)),
      )!;
      const sent = patches.filter((r) => session(r.url) === session(commit.url));
      expect(sent).toHaveLength(1);
      expect(sent[0]!.at).toBeLessThan(firstOfPush);
      expect(commit.at).toBeGreaterThanOrEqual(firstOfPush);
      // Read from the base registry once: the bytes staging read are the ones the push committed.
      const reads = baseHost.records.filter(
        (r) => r.method === 'GET' && r.url.endsWith(layer.digest),
      );
      expect(reads).toHaveLength(1);
    }
    const manifest = await getManifest(registry.url, name, run.outputs['image-digest']!);
    expect(manifest.matches).toBe(true);
  });

  it('an ARM64 task definition cancels the amd64 layers staging guessed, and pushes arm64', async () => {
    const { amd64, arm64 } = await pushStandInIndexTo(baseHost.host);
    const file = path.join(ws.dir, 'task-definition.json');
    const described = JSON.parse(readFileSync(file, 'utf8'));
    described.taskDefinition.runtimePlatform.cpuArchitecture = 'ARM64';
    writeFileSync(file, JSON.stringify(described));
    targetHost.reset();
    const name = repositoryName('staged-arm64');
    // The pre-flight (which reads the platform) waits for staging's amd64 bytes to arrive.
    aws.fault('DescribeServices', {
      kind: 'hold',
      until: targetHost.answered((r) => r.method === 'PATCH'),
    });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${targetHost.host}/${name}`, {
        'atlas-image': `${baseHost.host}/arigaio/atlas:latest`,
        'task-definition': 'task-definition.json',
      }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    // The amd64 layers staging started were deleted, never committed; the arm64 ones were pushed.
    const amd64Only = amd64.manifest.layers.filter(
      (layer) => !arm64.manifest.layers.some((other) => other.digest === layer.digest),
    );
    expect(amd64Only.length).toBeGreaterThan(0);
    for (const layer of amd64Only) expect(uploadsOf(layer.digest)).toEqual([]);
    expect(targetHost.records.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual(
      amd64Only.map(() => 204),
    );
    const { client } = testClient(scratch);
    const target = { registry: targetHost.host, repository: name };
    for (const layer of amd64Only)
      expect(await client.headBlob(target, layer.digest)).toBeUndefined();
    for (const layer of arm64.manifest.layers) {
      expect(await client.headBlob(target, layer.digest)).toEqual({ size: layer.size });
    }
    const pushed = await getManifest(registry.url, name, run.outputs['image-digest']!);
    expect(pushed.matches).toBe(true);
  });

  it('a run refused after staging began leaves nothing in the target repository', async () => {
    const base = await pushStandInBaseTo(baseHost.host);
    targetHost.reset();
    const name = repositoryName('staged-refused');
    // The refusal waits for staging to have sent bytes, so there is a live upload to cancel.
    aws.fault('DescribeSecret', {
      kind: 'hold',
      until: targetHost.answered((r) => r.method === 'PATCH'),
    });
    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(`${targetHost.host}/${name}`, {
        'atlas-image': `${baseHost.host}/arigaio/atlas:latest`,
        'database-url-secret': 'prod/api/missing',
      }),
    );
    expect(run.code).toBe(1);
    expect(annotationText(run.errors)).toContain(
      `Input 'database-url-secret': no Secrets Manager secret "prod/api/missing"`,
    );
    expect(aws.writes()).toEqual([]);
    // Staging had sent the bytes, and was cancelled: its sessions deleted, no commit, no manifest.
    expect(targetHost.records.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual(
      base.manifest.layers.map(() => 204),
    );
    for (const layer of base.manifest.layers) expect(uploadsOf(layer.digest)).toEqual([]);
    expect(targetHost.records.filter((r) => r.method === 'PUT')).toEqual([]);
    await expectNothingPushed(registry.url, name);
    const { client } = testClient(scratch);
    for (const layer of base.manifest.layers) {
      expect(
        await client.headBlob({ registry: targetHost.host, repository: name }, layer.digest),
      ).toBeUndefined();
    }
  });
});

describe('a registry behind basic auth', () => {
  const username = 'deployer';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  let registry: RegistryServer;

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { username, password } });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('logs in from DOCKER_CONFIG and never prints the password', async () => {
    const dockerConfig = path.join(scratch, 'docker');
    const basic = Buffer.from(`${username}:${password}`).toString('base64');
    mkdirSync(dockerConfig);
    writeFileSync(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: basic } } }),
    );
    const name = repositoryName('private');
    const repository = `${registry.host}/${name}`;

    const run = await runDeploy(ws.dir, aws, deployInputs(repository), {
      DOCKER_CONFIG: dockerConfig,
    });
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    // It really logged in: anonymous reads are refused, the image is there for the login.
    expect((await tagsList(registry.url, name)).status).toBe(401);
    const authorization = { Authorization: `Basic ${basic}` };
    expect((await tagsList(registry.url, name, authorization)).tags.length).toBeGreaterThan(0);
    const manifest = await getManifest(
      registry.url,
      name,
      run.outputs['image-digest']!,
      authorization,
    );
    expect(manifest.matches).toBe(true);

    // The runner is told to mask the password before anything else could print it.
    const stdoutLines = run.stdout.split('\n');
    expect(stdoutLines).toContain(`::add-mask::${password}`);
    const firstMask = stdoutLines.indexOf(`::add-mask::${password}`);
    expect(stdoutLines.slice(0, firstMask).join('\n')).not.toContain(password);

    // Nowhere else: not in the log, the summary, the outputs, the rendered or registered revision.
    const rendered = readFileSync(run.outputs['task-definition-file']!, 'utf8');
    const leakable = {
      stdout: stdoutLines.filter((l) => !l.startsWith('::add-mask::')).join('\n'),
      stderr: run.stderr,
      summary: run.summary,
      outputs: JSON.stringify(run.outputs),
      rendered,
      aws: JSON.stringify(aws.calls.map((c) => c.body)),
    };
    const secrets = [password, basic, Buffer.from(password).toString('base64')];
    for (const [where, text] of Object.entries(leakable)) {
      for (const secret of secrets) {
        expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
      }
    }
  });
});
