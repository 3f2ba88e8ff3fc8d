// Credentials the way `docker login` leaves them: `$DOCKER_CONFIG/config.json`, else
// `~/.docker/config.json`. Per host: a `credHelpers` entry, an inline `auths` entry (`auth` =
// base64 "user:pass", or `username`/`password`, or `identitytoken`), then the global `credsStore`.
// Helpers are run as `docker-credential-<name> get` with the server on stdin, when on PATH.

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DOCKER_HUB_HOST } from './reference';

/** A login for one registry: user and password, or an OAuth2 refresh ("identity") token. */
export interface Credentials {
  username?: string;
  password?: string;
  /** From `identitytoken` (or a helper's `<token>` user): exchanged at the token server. */
  identityToken?: string;
}

export interface DockerCredentialsResult {
  credentials?: Credentials;
  /** Where they came from (or where we looked), for messages: never the values. */
  source: string;
  /** A problem worth a warning that does not stop anonymous access (a missing credsStore). */
  warning?: string;
}

export interface DockerConfigOptions {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** Runs a credential helper; by default the real `docker-credential-<name> get`. */
  runHelper?: (helper: string, serverUrl: string, env: NodeJS.ProcessEnv) => Promise<HelperOutput>;
}

export interface HelperOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Docker Hub's key in config.json, as `docker login` writes it; also what helpers are asked for. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB_HOST, 'index.docker.io', 'docker.io']);

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

/** The config file path Docker uses: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  const dir = env.DOCKER_CONFIG ? env.DOCKER_CONFIG : join(homeDir, '.docker');
  return join(dir, 'config.json');
}

/** Looks up the credentials for `registry` (a host, Docker Hub normalised to registry-1). */
export async function readDockerCredentials(
  registry: string,
  options: DockerConfigOptions = {},
): Promise<DockerCredentialsResult> {
  const env = options.env ?? process.env;
  const path = dockerConfigPath(env, options.homeDir ?? homedir());
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as DockerConfigFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { source: `no Docker config at ${path}` };
    }
    throw new Error(
      `the Docker config ${path} cannot be read (${(error as Error).message}); fix or remove it`,
    );
  }
  if (typeof config !== 'object' || config === null) {
    throw new Error(`the Docker config ${path} is not a JSON object; fix or remove it`);
  }
  const serverUrl = helperServerUrl(registry);
  const runHelper = options.runHelper ?? runCredentialHelper;

  const helper = findByHost(config.credHelpers, registry);
  if (typeof helper === 'string' && helper) {
    return fromHelper(helper, serverUrl, env, runHelper, `credHelpers in ${path}`, true);
  }
  const entry = findByHost(config.auths, registry);
  const inline = entry ? parseAuthEntry(entry, path, registry) : undefined;
  if (inline) return { credentials: inline, source: `auths in ${path}` };
  if (typeof config.credsStore === 'string' && config.credsStore) {
    return fromHelper(config.credsStore, serverUrl, env, runHelper, `credsStore in ${path}`, false);
  }
  return { source: `no entry for ${registry} in ${path}` };
}

/** The server name helpers and config keys use: Docker Hub's legacy URL, else the host. */
export function helperServerUrl(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB_CONFIG_KEY : registry;
}

/** `https://host:5000/v1/`, `host:5000` and `HOST:5000` all name host:5000. */
function normaliseKey(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z]+:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_HOST : lower;
}

function findByHost<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const wanted = normaliseKey(registry);
  if (Object.prototype.hasOwnProperty.call(map, registry)) return map[registry];
  for (const [key, value] of Object.entries(map)) {
    if (normaliseKey(key) === wanted) return value;
  }
  return undefined;
}

function parseAuthEntry(entry: AuthEntry, path: string, registry: string): Credentials | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const identityToken =
    typeof entry.identitytoken === 'string' && entry.identitytoken
      ? entry.identitytoken
      : undefined;
  let username = typeof entry.username === 'string' ? entry.username : undefined;
  let password = typeof entry.password === 'string' ? entry.password : undefined;
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new Error(
        `the 'auth' value for ${registry} in ${path} is not base64 of "user:password"; run docker login again`,
      );
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (identityToken) return { ...(username ? { username } : {}), identityToken };
  if (username !== undefined && password !== undefined && (username || password)) {
    return { username, password };
  }
  return undefined;
}

async function fromHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  runHelper: NonNullable<DockerConfigOptions['runHelper']>,
  where: string,
  explicit: boolean,
): Promise<DockerCredentialsResult> {
  const program = `docker-credential-${helper}`;
  const source = `${program} (${where})`;
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    throw new Error(`the credential helper name '${helper}' (${where}) is not a valid name`);
  }
  if (!(await onPath(program, env))) {
    const message = `the Docker config names the credential helper ${program} (${where}) for ${serverUrl}, but it is not on PATH; install it or remove it from the config`;
    if (explicit) throw new Error(message);
    return { source, warning: `${message}; continuing without credentials` };
  }
  const output = await runHelper(helper, serverUrl, env);
  if (output.exitCode !== 0) {
    if (/credentials not found/i.test(`${output.stdout} ${output.stderr}`)) {
      return { source: `${source}: no credentials for ${serverUrl}` };
    }
    throw new Error(
      `${program} get failed for ${serverUrl} (exit ${output.exitCode}): ${firstLine(output.stderr || output.stdout)}`,
    );
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(output.stdout) as typeof parsed;
  } catch {
    throw new Error(`${program} get printed something that is not JSON for ${serverUrl}`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (!secret) return { source: `${source}: no credentials for ${serverUrl}` };
  if (username === '<token>') return { credentials: { identityToken: secret }, source };
  return { credentials: { username, password: secret }, source };
}

async function onPath(program: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin. */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): Promise<HelperOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      `docker-credential-${helper}`,
      ['get'],
      { env, timeout: 30_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`docker-credential-${helper} could not run: ${error.message}`));
          return;
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ exitCode, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(serverUrl);
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
