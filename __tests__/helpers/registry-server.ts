// Starts a real OCI registry (CNCF distribution, Debian's `docker-registry`) on a free loopback
// port with its own temp storage, optionally behind htpasswd basic auth, and stops it again.
// CI installs it with apt (scripts/test-ci.sh); see shared/design/testing.md.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RegistryServer {
  /** `127.0.0.1:<port>`: a registry name as references use it. */
  readonly host: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Its storage root (`storage.filesystem.rootdirectory`): tests may put it in a given state. */
  readonly dataDir: string;
  /** Its log output so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface RegistryServerOptions {
  /** Require basic auth (bcrypt htpasswd file made with `htpasswd -Bbn`). */
  htpasswd?: { username: string; password: string };
}

const READY_TIMEOUT_MS = 15_000;

export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const binary = await findOnPath('docker-registry');
  if (!binary) {
    throw new Error(
      'docker-registry is not installed: the registry tests need a real registry. Install it with ' +
        '`sudo apt-get install -y docker-registry apache2-utils` (scripts/test-ci.sh does this).',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'registry-test-'));
  try {
    let authBlock = '';
    if (options.htpasswd) {
      if (!(await findOnPath('htpasswd'))) {
        throw new Error(
          'htpasswd is not installed: install apache2-utils (`sudo apt-get install -y apache2-utils`).',
        );
      }
      const line = await run('htpasswd', [
        '-Bbn',
        options.htpasswd.username,
        options.htpasswd.password,
      ]);
      await writeFile(join(dir, 'htpasswd'), line.trim() + '\n');
      authBlock = `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    // A port picked free can be taken before the registry binds it: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const config =
        `version: 0.1\n` +
        `log:\n  level: warn\n  accesslog:\n    disabled: true\n` +
        `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n` +
        `  delete:\n    enabled: true\n` +
        `  maintenance:\n    uploadpurging:\n      enabled: false\n` +
        `http:\n  addr: 127.0.0.1:${port}\n  secret: registry-test-secret\n` +
        authBlock;
      const configPath = join(dir, `config-${attempt}.yml`);
      await writeFile(configPath, config);
      const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-20_000);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await waitReady(`http://127.0.0.1:${port}`, child, () => output);
      } catch (error) {
        lastError = error;
        await stopChild(child, exited);
        continue;
      }
      let stopped = false;
      return {
        host: `127.0.0.1:${port}`,
        url: `http://127.0.0.1:${port}`,
        port,
        dataDir: join(dir, 'data'),
        logs: () => output,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(child, exited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited before it was ready:\n${logs()}`);
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `docker-registry did not answer GET /v2/ within ${READY_TIMEOUT_MS} ms:\n${logs()}`,
  );
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function findOnPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
