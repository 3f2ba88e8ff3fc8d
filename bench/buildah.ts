// npm run bench: the peer our publish is compared with: Debian's buildah (daemonless, as root,
// no Docker engine) building the recipe's Dockerfile and pushing it, as a fresh runner would.
// Each publish gets fresh storage (--root, --runroot) and a fresh blob-info cache: buildah keeps
// that cache at the fixed path /var/lib/containers/cache when run as root, with no flag to move
// it, so each publish runs in a private mount namespace with its own empty folder bound over
// /var/lib/containers. Nothing buildah writes outlives the publish, and the machine's own
// /var/lib/containers (if it has one in use) is never touched.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * vfs: what shared/design/testing.md runs on a machine without a Docker engine; it works on any
 * file system (a layer is a full copy). overlay: buildah's default, where the kernel allows it.
 */
export type StorageDriver = 'vfs' | 'overlay';

const SYSTEM_STATE = '/var/lib/containers';

/** Why buildah cannot run here, or undefined when it can. */
export function buildahUnavailable(): string | undefined {
  const setup = 'run `bash scripts/bench-setup.sh` (as root) first';
  if (process.getuid?.() !== 0) return `the buildah comparison runs buildah as root; ${setup}`;
  for (const [program, args] of [
    ['buildah', ['--version']],
    ['unshare', ['--version']],
  ] as const) {
    try {
      execFileSync(program, args, { stdio: 'pipe' });
    } catch {
      return `${program} is not installed; ${setup}`;
    }
  }
  return undefined;
}

export function buildahVersion(): string {
  return execFileSync('buildah', ['--version'], { encoding: 'utf8' }).trim();
}

// $1 case folder, $2 workspace, $3 the reference to tag and push.
const PUBLISH_SCRIPT = `set -e
mount --bind "$1/containers" ${SYSTEM_STATE}
cd "$2"
buildah --storage-driver "$STORAGE_DRIVER" --root "$1/containers/storage" --runroot "$1/run" \\
  bud --quiet --isolation "$BUILDAH_ISOLATION" --tls-verify=false -t "$3" . >/dev/null
buildah --storage-driver "$STORAGE_DRIVER" --root "$1/containers/storage" --runroot "$1/run" \\
  push --quiet --tls-verify=false "$3"
`;

/**
 * Builds `workspace`'s Dockerfile and pushes it as `reference` (`host:port/repo:tag`) from
 * fresh storage; returns the wall time in ms, from the start of `buildah bud` to the end of
 * `buildah push` (the namespace and bind mount cost a few ms of it).
 */
export async function buildahPublish(
  workspace: string,
  reference: string,
  scratch: string,
  driver: StorageDriver,
): Promise<number> {
  mkdirSync(SYSTEM_STATE, { recursive: true });
  const caseDir = mkdtempSync(path.join(scratch, 'buildah-'));
  for (const dir of ['containers', 'run', 'tmp']) mkdirSync(path.join(caseDir, dir));
  try {
    const started = performance.now();
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        PUBLISH_SCRIPT,
        'sh',
        caseDir,
        workspace,
        reference,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: path.join(caseDir, 'tmp'),
          TMPDIR: path.join(caseDir, 'tmp'),
          STORAGE_DRIVER: driver,
          BUILDAH_ISOLATION: 'chroot',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const ms = performance.now() - started;
    if (code !== 0) {
      throw new Error(`buildah (${driver}) publish of ${reference} exited ${code}:\n${output}`);
    }
    return ms;
  } finally {
    rmSync(caseDir, { recursive: true, force: true });
  }
}
