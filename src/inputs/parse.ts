// Turns the raw action inputs into validated Settings. Pure: every check runs, and all problems are
// reported together, before anything is read from disk or the network.
import * as path from 'node:path';
import { parse as shellParse } from 'shell-quote';
import { InputError, ValidationErrors } from '../errors';
import { redactPasswordsInText } from '../migrations/url-password';
import { parseImageReference, parseRepository, TAG_RE } from '../registry/reference';
import {
  parseExecOrder,
  parseRevisionsSchema,
  parseTxMode,
  parseVars,
  parseVersion,
} from './atlas-options';
import { parseEnvironment, parseGithubToken } from './github-inputs';
import { migrateArgsConflicts, setsBooleanFlag, type TypedInput } from './migrate-args';
import type {
  BaseImageSource,
  ContainerImageOverride,
  Mode,
  Settings,
  TaskDefinitionSource,
} from './settings';
import { shown } from './shown';

export const INPUT_NAMES = [
  'cluster',
  'service',
  'task-definition',
  'migrations-dir',
  'atlas-config',
  'atlas-env',
  'atlas-image',
  'image-repository',
  'image-tag',
  'container-name',
  'app-containers',
  'database-url-secret',
  'atlas-token-secret',
  'lock-timeout',
  'migrate-args',
  'baseline',
  'allow-dirty',
  'exec-order',
  'tx-mode',
  'revisions-schema',
  'to-version',
  'vars',
  'wait-for-service-stability',
  'wait-timeout-minutes',
  'poll-interval-seconds',
  'rollback-on-failure',
  'deregister-revisions',
  'force-new-deployment',
  'images',
  'mode',
  'dry-run',
  'github-token',
  'environment',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];
export type RawInputs = Readonly<Partial<Record<InputName, string>>>;

export interface ParseContext {
  /** Absolute path of the repository checkout (GITHUB_WORKSPACE). */
  readonly workspace: string;
  /** Whether an absolute path names an existing regular file. */
  readonly isFile: (absolutePath: string) => boolean;
}

export const DEFAULTS = {
  cluster: 'default',
  migrationsDir: 'migrations',
  atlasConfig: 'atlas.hcl',
  atlasEnv: 'deploy',
  atlasImage: 'arigaio/atlas:latest',
  containerName: 'atlas',
  lockTimeout: '10m',
  waitTimeoutMinutes: 30,
  maxWaitTimeoutMinutes: 1440,
  pollIntervalSeconds: 15,
  maxPollIntervalSeconds: 300,
} as const;

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
const CLUSTER_ARN_RE = new RegExp(
  `^arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:cluster/[A-Za-z0-9_-]{1,255}$`,
);
const SERVICE_ARN_RE = new RegExp(
  `^arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/(?:[A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}$`,
);
const TASK_DEFINITION_ARN_RE = new RegExp(
  `^arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:task-definition/[A-Za-z0-9_-]{1,255}:[1-9]\\d*$`,
);
const SECRET_NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN_RE = new RegExp(
  `^arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:[A-Za-z0-9/_+=.@-]{1,512}(?::[^:\\s]*:[^:\\s]*:[^:\\s]*)?$`,
);
/** Go's time.ParseDuration grammar, which Atlas uses for --lock-timeout. */
const GO_DURATION_RE =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))*$/;
/** Flags this action sets itself; a second copy in migrate-args would silently win or conflict. */
const RESERVED_ATLAS_FLAGS = ['--env', '--lock-timeout', '--config', '-c'];
const YAML_TRUE = ['true', 'True', 'TRUE'];
const YAML_FALSE = ['false', 'False', 'FALSE'];

class Collector {
  readonly errors: InputError[] = [];
  fail(input: InputName, problem: string, fix: string): undefined {
    this.errors.push(new InputError(input, problem, fix));
    return undefined;
  }
}

function parseBoolean(raw: RawInputs, name: InputName, fallback: boolean, c: Collector): boolean {
  const value = raw[name] ?? '';
  if (value === '') return fallback;
  if (YAML_TRUE.includes(value)) return true;
  if (YAML_FALSE.includes(value)) return false;
  c.fail(name, `${shown(value)} is not a boolean`, "use 'true' or 'false'");
  return fallback;
}

/** Resolves a path input against the workspace and insists that it stays inside it. */
function workspacePath(
  name: InputName,
  value: string,
  workspace: string,
  c: Collector,
): string | undefined {
  const absolute = path.resolve(workspace, value);
  const relative = path.relative(workspace, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return c.fail(
      name,
      `${shown(value)} is not inside the repository (${workspace})`,
      'give a path relative to the repository root, e.g. the default',
    );
  }
  return relative.split(path.sep).join('/');
}

function parseCluster(raw: RawInputs, c: Collector): string {
  const value = raw.cluster || DEFAULTS.cluster;
  if (!NAME_RE.test(value) && !CLUSTER_ARN_RE.test(value)) {
    c.fail(
      'cluster',
      `${shown(value)} is neither a cluster name nor a cluster ARN`,
      'use the cluster name (letters, digits, - and _) or arn:aws:ecs:<region>:<account>:cluster/<name>',
    );
  }
  return value;
}

/** One service, or several that share the database: one name or ARN per line. */
function parseServices(raw: RawInputs, c: Collector): string[] {
  const value = raw.service;
  if (!value) return [];
  const names = value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const services: string[] = [];
  for (const name of names) {
    if (!NAME_RE.test(name) && !SERVICE_ARN_RE.test(name)) {
      c.fail(
        'service',
        `${shown(name)} is neither a service name nor a service ARN`,
        'use the service name (letters, digits, - and _) or its ARN, one per line for several services',
      );
      continue;
    }
    const short = name.slice(name.lastIndexOf('/') + 1);
    if (services.some((s) => s.slice(s.lastIndexOf('/') + 1) === short)) {
      c.fail('service', `names ${shown(short)} twice`, 'list each service once');
      continue;
    }
    services.push(name);
  }
  return services;
}

function parseTaskDefinition(
  raw: RawInputs,
  ctx: ParseContext,
  c: Collector,
): TaskDefinitionSource | undefined {
  const value = raw['task-definition'];
  if (!value) return { kind: 'service' };
  if (value.startsWith('arn:')) {
    if (TASK_DEFINITION_ARN_RE.test(value)) return { kind: 'arn', arn: value };
    return c.fail(
      'task-definition',
      `${shown(value)} is not a task definition ARN`,
      'use arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>, a family, family:revision or a JSON file',
    );
  }
  const absolute = path.resolve(ctx.workspace, value);
  if (ctx.isFile(absolute)) return { kind: 'file', path: absolute };
  const familyRevision = /^([A-Za-z0-9_-]{1,255}):([1-9]\d*)$/.exec(value);
  if (familyRevision) {
    return {
      kind: 'family-revision',
      family: familyRevision[1]!,
      revision: Number(familyRevision[2]),
    };
  }
  if (NAME_RE.test(value)) return { kind: 'family', family: value };
  return c.fail(
    'task-definition',
    `${shown(value)} is not an existing file, a family, family:revision or an ARN`,
    'check the path (relative to the repository root) or the task definition name',
  );
}

function parseBaseImage(
  raw: RawInputs,
  ctx: ParseContext,
  c: Collector,
): BaseImageSource | undefined {
  const value = raw['atlas-image'] || DEFAULTS.atlasImage;
  const layoutPrefix = 'oci-layout://';
  if (value.startsWith(layoutPrefix)) {
    let layoutPath = value.slice(layoutPrefix.length);
    let tag: string | undefined;
    const colon = layoutPath.lastIndexOf(':');
    if (colon > layoutPath.lastIndexOf('/') && colon > 0) {
      tag = layoutPath.slice(colon + 1);
      layoutPath = layoutPath.slice(0, colon);
      if (!TAG_RE.test(tag)) {
        return c.fail(
          'atlas-image',
          `${shown(tag)} is not a valid tag`,
          'use oci-layout://<dir>[:<tag>]',
        );
      }
    }
    if (layoutPath === '') {
      return c.fail(
        'atlas-image',
        `${shown(value)} names no directory`,
        'use oci-layout://<dir>[:<tag>]',
      );
    }
    const absolute = path.resolve(ctx.workspace, layoutPath);
    // Every OCI image layout has this marker file; checked here so a wrong path is reported with
    // the other inputs, before any AWS call.
    if (!ctx.isFile(path.join(absolute, 'oci-layout'))) {
      return c.fail(
        'atlas-image',
        `${shown(value)}: ${absolute} is not an OCI image layout (it has no oci-layout file)`,
        'point it at an OCI image layout directory, relative to the repository root (e.g. made by `skopeo copy docker://arigaio/atlas:latest oci:<dir>:latest`), or use a registry reference such as arigaio/atlas:latest',
      );
    }
    return { kind: 'oci-layout', path: absolute, ...(tag ? { tag } : {}) };
  }
  if (!parseImageReference(value)) {
    return c.fail(
      'atlas-image',
      `${shown(value)} is not an image reference`,
      'use e.g. arigaio/atlas:latest, <registry>/<repository>[:tag][@sha256:...], or oci-layout://<dir>[:<tag>]',
    );
  }
  return { kind: 'registry', reference: value };
}

function parseImageRepository(raw: RawInputs, c: Collector): string | undefined {
  const value = raw['image-repository'];
  if (!value) return undefined;
  const parsed = parseRepository(value);
  if (!parsed) {
    return c.fail(
      'image-repository',
      `${shown(value)} is not a repository`,
      'use <account>.dkr.ecr.<region>.amazonaws.com/<name> or <host>[:<port>]/<path>, without a tag or digest',
    );
  }
  if (value.startsWith('http://') || value.startsWith('https://')) {
    return c.fail(
      'image-repository',
      `${shown(value)} has a URL scheme`,
      'drop http:// or https://',
    );
  }
  return `${parsed.registry}/${parsed.repository}`;
}

function parseName(raw: RawInputs, name: InputName, fallback: string, c: Collector): string {
  const value = raw[name] || fallback;
  if (!NAME_RE.test(value)) {
    c.fail(
      name,
      `${shown(value)} is not a valid container name`,
      'use up to 255 letters, digits, - and _',
    );
  }
  return value;
}

function parseAppContainers(raw: RawInputs, migrationContainer: string, c: Collector) {
  const value = raw['app-containers'];
  if (!value) return undefined;
  const names = value
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    return c.fail(
      'app-containers',
      `${shown(value)} lists no container`,
      'list container names separated by commas, or leave it empty',
    );
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!NAME_RE.test(name)) {
      c.fail(
        'app-containers',
        `${shown(name)} is not a valid container name`,
        'use names of containers in the task definition',
      );
    } else if (name === migrationContainer) {
      c.fail(
        'app-containers',
        `lists ${shown(name)}, which is the migration container ('container-name')`,
        'remove it from app-containers or choose another container-name',
      );
    } else if (seen.has(name)) {
      c.fail('app-containers', `lists ${shown(name)} twice`, 'list each container once');
    }
    seen.add(name);
  }
  return names;
}

/**
 * A connection string rather than a secret name: a URL (`postgres://…`, `jdbc:mysql://…`), a
 * key=value DSN with a password, or Go's MySQL form `user:pass@tcp(host)/db`. Secret names and
 * ARNs never hold `://`, `password=`, or a `:` before an `@`.
 */
function looksLikeConnectionString(value: string): boolean {
  if (value.includes('://') || redactPasswordsInText(value) !== value) return true;
  const at = value.indexOf('@');
  return !value.startsWith('arn:') && at > 0 && value.lastIndexOf(':', at) !== -1;
}

/**
 * An Atlas Cloud token rather than a secret name: bot tokens start with `aci_`; a JWT is three
 * base64url parts. Never echoed, and masked by inputs/read.ts before anything is logged.
 */
export function looksLikeAtlasToken(value: string): boolean {
  return /^aci_/i.test(value) || /^[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}$/.test(value);
}

/** A Secrets Manager name, ARN or `ARN:json-key:stage:id`, as the secret inputs take them. */
function isSecretReference(value: string): boolean {
  return value.startsWith('arn:') ? SECRET_ARN_RE.test(value) : SECRET_NAME_RE.test(value);
}

type SecretInput = 'database-url-secret' | 'atlas-token-secret';

function parseSecret(raw: RawInputs, input: SecretInput, c: Collector): string | undefined {
  const value = raw[input];
  if (!value) return undefined;
  if (input === 'atlas-token-secret' && looksLikeAtlasToken(value)) {
    // The token itself: never echo it.
    return c.fail(
      input,
      'looks like an Atlas Cloud token, not a secret name (value hidden)',
      'store the token in Secrets Manager (aws secretsmanager create-secret --name <name> --secret-string <token>) and give the secret name or ARN here; revoke the token in Atlas Cloud if it was committed',
    );
  }
  if (isSecretReference(value)) return value;
  if (looksLikeConnectionString(value)) {
    // The database URL or DSN itself: never echo it.
    return c.fail(
      input,
      'looks like a database URL or connection string, not a secret name (value hidden)',
      'store the URL in Secrets Manager and give the secret name or ARN here; rotate the credential if it was committed',
    );
  }
  return c.fail(
    input,
    `${shown(value)} is neither a Secrets Manager secret name nor an ARN`,
    'use the secret name, its ARN, or ARN:json-key:: for a key of a JSON secret',
  );
}

function parseLockTimeout(raw: RawInputs, c: Collector): string {
  const value = raw['lock-timeout'] || DEFAULTS.lockTimeout;
  if (!GO_DURATION_RE.test(value) || !/[1-9]/.test(value)) {
    c.fail(
      'lock-timeout',
      `${shown(value)} is not a positive duration`,
      'use a Go duration such as 10m, 90s or 1h30m',
    );
  }
  return value;
}

function parseMigrateArgs(raw: RawInputs, c: Collector): string[] {
  const value = raw['migrate-args'];
  if (!value) return [];
  const tokens = shellParse(value);
  const args: string[] = [];
  for (const token of tokens) {
    if (typeof token !== 'string') {
      c.fail(
        'migrate-args',
        `${shown(value)} contains shell syntax (operators, globs or comments)`,
        'give plain arguments, quoted where they contain spaces',
      );
      return [];
    }
    args.push(token);
  }
  for (const arg of args) {
    const flag = arg.split('=')[0]!;
    if (RESERVED_ATLAS_FLAGS.includes(flag)) {
      c.fail(
        'migrate-args',
        `sets ${flag}, which the action sets itself`,
        flag === '--env'
          ? "use input 'atlas-env'"
          : flag === '--lock-timeout'
            ? "use input 'lock-timeout'"
            : "use input 'atlas-config'",
      );
    }
    if (flag === '--url' || flag === '-u') {
      c.fail(
        'migrate-args',
        `sets ${flag}, which would put the database URL in the task definition in plain text`,
        'use input \'database-url-secret\' and read it in atlas.hcl with getenv("DATABASE_URL")',
      );
    }
  }
  return args;
}

function parseWaitTimeout(raw: RawInputs, c: Collector): number {
  const value = raw['wait-timeout-minutes'];
  if (!value) return DEFAULTS.waitTimeoutMinutes;
  const minutes = Number(value);
  // Fractions are allowed (0.5 = 30 s): a short bound is what a test of the timeout path needs.
  if (!/^\d+(\.\d+)?$/.test(value) || minutes <= 0 || minutes > DEFAULTS.maxWaitTimeoutMinutes) {
    c.fail(
      'wait-timeout-minutes',
      `${shown(value)} is not a number of minutes above 0 and up to ${DEFAULTS.maxWaitTimeoutMinutes}`,
      'use e.g. 30',
    );
    return DEFAULTS.waitTimeoutMinutes;
  }
  return Number(value);
}

function parsePollInterval(raw: RawInputs, c: Collector): number {
  const value = raw['poll-interval-seconds'];
  if (!value) return DEFAULTS.pollIntervalSeconds;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > DEFAULTS.maxPollIntervalSeconds) {
    c.fail(
      'poll-interval-seconds',
      `${shown(value)} is not a number of seconds above 0 and up to ${DEFAULTS.maxPollIntervalSeconds}`,
      `use e.g. ${DEFAULTS.pollIntervalSeconds}`,
    );
    return DEFAULTS.pollIntervalSeconds;
  }
  return seconds;
}

function parseImages(
  raw: RawInputs,
  migrationContainer: string,
  c: Collector,
): ContainerImageOverride[] {
  const value = raw.images;
  if (!value) return [];
  const overrides: ContainerImageOverride[] = [];
  value.split('\n').forEach((line, index) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const where = `line ${index + 1}`;
    const eq = text.indexOf('=');
    const container = eq > 0 ? text.slice(0, eq).trim() : '';
    const image = eq > 0 ? text.slice(eq + 1).trim() : '';
    if (!NAME_RE.test(container) || image === '') {
      c.fail(
        'images',
        `${where} ${shown(text)} is not container=image`,
        'write one container=image pair per line, e.g. app=123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2',
      );
    } else if (!parseImageReference(image)) {
      c.fail(
        'images',
        `${where}: ${shown(image)} is not an image reference`,
        'use <registry>/<repository>[:tag][@sha256:...]',
      );
    } else if (container === migrationContainer) {
      c.fail(
        'images',
        `${where} sets the migration container ${shown(container)}`,
        'the action builds that image itself; remove the line',
      );
    } else if (overrides.some((o) => o.container === container)) {
      c.fail(
        'images',
        `${where} sets ${shown(container)} a second time`,
        'give each container once',
      );
    } else {
      overrides.push({ container, image });
    }
  });
  return overrides;
}

function parseMode(raw: RawInputs, c: Collector): Mode {
  const value = raw.mode || 'sidecar';
  if (value === 'sidecar' || value === 'run-task' || value === 'plan') return value;
  c.fail(
    'mode',
    `${shown(value)} is not a mode`,
    "use 'sidecar' or 'run-task' to deploy, or 'plan' to report what a deploy would apply",
  );
  return 'sidecar';
}

function parseAtlasEnv(raw: RawInputs, c: Collector): string {
  const value = raw['atlas-env'] || DEFAULTS.atlasEnv;
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(value)) {
    c.fail(
      'atlas-env',
      `${shown(value)} is not an env name`,
      'use the label of an env block in atlas.hcl, e.g. deploy',
    );
  }
  return value;
}

export function parseInputs(raw: RawInputs, ctx: ParseContext): Settings {
  const c = new Collector();
  const dryRun = parseBoolean(raw, 'dry-run', false, c);
  const containerName = parseName(raw, 'container-name', DEFAULTS.containerName, c);
  const taskDefinition = parseTaskDefinition(raw, ctx, c);
  const services = parseServices(raw, c);
  const imageRepository = parseImageRepository(raw, c);
  const imageTag = raw['image-tag'] || undefined;
  if (imageTag !== undefined && !TAG_RE.test(imageTag)) {
    c.fail(
      'image-tag',
      `${shown(imageTag)} is not a valid tag`,
      'use up to 128 letters, digits, _, . and -, not starting with . or -',
    );
  }
  const migrationsDir = workspacePath(
    'migrations-dir',
    raw['migrations-dir'] || DEFAULTS.migrationsDir,
    ctx.workspace,
    c,
  );
  const atlasConfig = workspacePath(
    'atlas-config',
    raw['atlas-config'] || DEFAULTS.atlasConfig,
    ctx.workspace,
    c,
  );

  const settings = {
    cluster: parseCluster(raw, c),
    service: services[0],
    services,
    taskDefinition: taskDefinition ?? { kind: 'service' as const },
    workspace: ctx.workspace,
    migrationsDir: migrationsDir ?? '',
    atlasConfig: atlasConfig ?? '',
    atlasEnv: parseAtlasEnv(raw, c),
    atlasImage: parseBaseImage(raw, ctx, c) ?? {
      kind: 'registry' as const,
      reference: DEFAULTS.atlasImage,
    },
    imageRepository,
    imageTag,
    containerName,
    appContainers: parseAppContainers(raw, containerName, c),
    databaseUrlSecret: parseSecret(raw, 'database-url-secret', c),
    atlasTokenSecret: parseSecret(raw, 'atlas-token-secret', c),
    lockTimeout: parseLockTimeout(raw, c),
    migrateArgs: parseMigrateArgs(raw, c),
    baseline: parseVersion(raw, 'baseline', c),
    allowDirty: parseBoolean(raw, 'allow-dirty', false, c),
    execOrder: parseExecOrder(raw, c),
    txMode: parseTxMode(raw, c),
    revisionsSchema: parseRevisionsSchema(raw, c),
    toVersion: parseVersion(raw, 'to-version', c),
    vars: parseVars(raw, c),
    waitForServiceStability: parseBoolean(raw, 'wait-for-service-stability', true, c),
    waitTimeoutMinutes: parseWaitTimeout(raw, c),
    pollIntervalSeconds: parsePollInterval(raw, c),
    rollbackOnFailure: parseBoolean(raw, 'rollback-on-failure', true, c),
    deregisterRevisions: parseBoolean(raw, 'deregister-revisions', false, c),
    forceNewDeployment: parseBoolean(raw, 'force-new-deployment', false, c),
    images: parseImages(raw, containerName, c),
    mode: parseMode(raw, c),
    dryRun,
    githubToken: parseGithubToken(raw),
    environment: parseEnvironment(raw, c),
  } satisfies Settings;

  checkCombinations(raw, settings, c);
  checkAtlasOptions(raw, settings, c);
  if (c.errors.length > 0) throw new ValidationErrors(c.errors);
  return Object.freeze(settings);
}

/** Rules that tie inputs together, checked only when each input was valid on its own. */
function checkCombinations(raw: RawInputs, s: Settings, c: Collector): void {
  const fromFile = s.taskDefinition.kind === 'file';
  if (!s.service && !raw.service && !(s.dryRun && fromFile)) {
    c.fail(
      'service',
      'is required',
      s.dryRun
        ? "set 'service', or give 'task-definition' as a JSON file for an offline dry run"
        : 'set the ECS service to deploy',
    );
  }
  if (s.services.length > 1 && s.taskDefinition.kind !== 'service' && !s.dryRun) {
    // Each service is patched from its own revision: one file or family cannot be all of theirs.
    c.fail(
      'task-definition',
      `${shown(raw['task-definition'] ?? '')} is given for ${s.services.length} services`,
      'leave task-definition unset with several services (each is patched from the revision it runs), or deploy them in separate steps',
    );
  }
  if (!raw['image-repository'] && !s.dryRun) {
    c.fail(
      'image-repository',
      'is required',
      'set where the migration image is pushed, e.g. <account>.dkr.ecr.<region>.amazonaws.com/<name>',
    );
  }
  if (s.dryRun && raw['task-definition'] && !fromFile && s.taskDefinition.kind !== 'service') {
    // A dry run must not call AWS; reading a named revision would need DescribeTaskDefinition.
    c.fail(
      'task-definition',
      `${shown(raw['task-definition'])} is not a file, and a dry run makes no AWS call`,
      'give the task definition as a JSON file (aws ecs describe-task-definition --task-definition <name> > td.json)',
    );
  }
  if (s.dryRun && !raw['task-definition']) {
    c.fail(
      'task-definition',
      'is required in a dry run, which makes no AWS call',
      'give the task definition as a JSON file (aws ecs describe-task-definition --task-definition <name> > td.json)',
    );
  }
}

/** Typed inputs given as set: a clash with migrate-args is real even when the value is not valid. */
const TYPED_VALUE_INPUTS = [
  'baseline',
  'exec-order',
  'tx-mode',
  'revisions-schema',
  'to-version',
] as const satisfies readonly TypedInput[];

/** The typed Atlas options against each other and against migrate-args. */
function checkAtlasOptions(raw: RawInputs, s: Settings, c: Collector): void {
  const typed = new Set<TypedInput>(TYPED_VALUE_INPUTS.filter((name) => raw[name]));
  if (s.allowDirty) typed.add('allow-dirty');
  for (const problem of migrateArgsConflicts(s.migrateArgs, {
    inputs: typed,
    varNames: new Set(s.vars.map((v) => v.name)),
  })) {
    c.fail('migrate-args', problem.problem, problem.fix);
  }

  // Atlas: "baseline and allow-dirty are mutually exclusive". A clash of a typed input with the
  // same flag in migrate-args is reported above; this is the pair across the two flags.
  const baseline = raw.baseline
    ? `input 'baseline' (${shown(raw.baseline)})`
    : s.migrateArgs.some((a) => a === '--baseline' || a.startsWith('--baseline='))
      ? '--baseline in migrate-args'
      : undefined;
  const dirty = s.allowDirty
    ? "input 'allow-dirty' (true)"
    : setsBooleanFlag(s.migrateArgs, '--allow-dirty')
      ? '--allow-dirty in migrate-args'
      : undefined;
  if (baseline !== undefined && dirty !== undefined) {
    c.fail(
      raw.baseline ? 'baseline' : s.allowDirty ? 'allow-dirty' : 'migrate-args',
      `${baseline} is set together with ${dirty}, which Atlas refuses: baseline and allow-dirty are mutually exclusive`,
      "keep 'baseline' when the database already has the schema up to that version (its first deploy starts after it), or 'allow-dirty' when it holds other objects and every file is to be applied; remove the other",
    );
  }
}
