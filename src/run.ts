// The action's phases in order, over injected adapters. main.ts wires the real ones; tests pass fakes.
// Everything that can fail on the user's input runs before anything is pushed or registered.
import * as path from 'node:path';
import type { AwsApis } from './aws/api';
import { deregisterPhase } from './deploy/deregister';
import { preflight, preflightRequest, type Preflight } from './deploy/preflight';
import { taskDefinitionLabel } from './deploy/resolve';
import { migrationRunTaskInput } from './deploy/run-task';
import { arnAccount, arnRegion, checkRuntimevars } from './deploy/runtimevars';
import { formatLocation, InputError, ValidationErrors } from './errors';
import type { BuildImageOptions, BuiltImage } from './files/build-image';
import { pushableImage } from './files/pushable-image';
import type { MigrationProject, ReadProjectOptions } from './files/read-project';
import { formatPlatform, platformForCpuArchitecture } from './image/platform';
import type { GitHubDeployments, GitHubRepository } from './github/client';
import { githubDeploymentPhase, recordedRollout } from './github/record-phase';
import type { Platform, SourceImage } from './image/types';
import type { BaseImageSource, Settings } from './inputs/settings';
import type { EnvContract } from './migrations/env-contract';
import { MODES, planRevisions, renderCurrent, type Revisions, type ServiceTarget } from './modes';
import type { PushableImage, PushResult } from './registry/push';
import type { BaseStaging } from './registry/stage-base';
import { contentTag } from './registry/reference';
import type { ActionIO } from './report/action-io';
import { migrationOutputs } from './report/migration-outputs';
import { planDeploy } from './report/plan';
import type { PushFacts } from './report/render-deploy-summary';
import { renderDryRunSummary, renderWarnings, type ImageFacts } from './report/render-summary';
import { taskDefinitionDiff } from './report/task-definition-diff';
import {
  buildMigrationCommand,
  migrationCommandOptions,
  parseTaskDefinitionFile,
  renderTaskDefinition,
  type DescribedTaskDefinition,
  type PatchOptions,
} from './taskdef';
import { awsRuntimevars, checkEnvContract } from './taskdef/env-contract-check';
import { droppedNullsWarning } from './taskdef/null-fields';
import type { TaskDefinitionFile } from './taskdef/parse-file';
import {
  renderSecretReaders,
  secretReaderLines,
  secretReaders as listSecretReaders,
  type RuntimevarResource,
  type SecretReader,
} from './taskdef/secret-readers';

/** Where the repository's files sit inside the image; the container starts in the config's folder. */
export const IMAGE_ROOT = 'workspace';
/** Names the image when no image-repository is given (dry run only). */
export const DRY_RUN_REPOSITORY = 'atlas-migrations.local/dry-run';
/** A digest that cannot exist, for checking the patch before anything is built. */
const PLACEHOLDER_DIGEST = `sha256:${'0'.repeat(64)}`;
const PLACEHOLDER_ARN = 'arn:aws:ecs:us-east-1:000000000000:task-definition/placeholder:1';

export interface RunEnvironment {
  /** Folder for the rendered task definition and the image layout (RUNNER_TEMP on a runner). */
  readonly outputRoot: string;
  readonly githubServerUrl?: string;
  readonly githubRepository?: string;
  readonly githubSha?: string;
  readonly githubRunId?: string;
  readonly githubRunAttempt?: string;
}

export interface Deps {
  readonly io: ActionIO;
  readonly env: RunEnvironment;
  readProject(options: ReadProjectOptions): Promise<MigrationProject>;
  readTextFile(absolutePath: string): Promise<string>;
  writeTextFile(absolutePath: string, text: string): Promise<void>;
  /** Reads the base from an OCI layout or pulls it from its registry (manifest and config only). */
  readBaseImage(source: BaseImageSource, platform: Platform): Promise<SourceImage>;
  buildImage(options: BuildImageOptions): Promise<BuiltImage>;
  pushImage(repository: string, image: PushableImage, tags: readonly string[]): Promise<PushResult>;
  /** Starts the base's layers streaming, uncommitted, into `repository` (stage-base.ts). */
  stageBase?(reference: string, platform: Platform, repository: string): BaseStaging;
  /** Created on first use, so a dry run never builds an AWS client. */
  aws(): AwsApis;
  /**
   * Loads the code of the AWS clients the pre-flight uses, making no call: tens of ms of
   * synchronous module loading, done while atlas.hcl is parsed on the parser's thread.
   */
  loadAws?(): void;
  /** Asked for only when the run records a GitHub deployment. */
  githubDeployments(target: GitHubRepository & { readonly token: string }): GitHubDeployments;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface RunResult {
  readonly outputs: Readonly<Record<string, string>>;
}

export async function run(settings: Settings, deps: Deps): Promise<RunResult> {
  // The base's layers start streaming into the target now; only the push commits them.
  const staging = startStaging(settings, deps);
  try {
    return await runPhases(settings, deps, staging);
  } finally {
    await staging?.cancel();
  }
}

/** Staging needs a push to another registry than the base's; ECS's default platform is guessed. */
function startStaging(settings: Settings, deps: Deps): BaseStaging | undefined {
  if (settings.dryRun || !settings.imageRepository || settings.atlasImage.kind !== 'registry') {
    return undefined;
  }
  return deps.stageBase?.(
    settings.atlasImage.reference,
    platformForCpuArchitecture(undefined),
    settings.imageRepository,
  );
}

async function runPhases(
  settings: Settings,
  deps: Deps,
  staged: BaseStaging | undefined,
): Promise<RunResult> {
  const { io } = deps;

  const reading = deps.readProject({
    workspace: settings.workspace,
    migrationsDir: settings.migrationsDir,
    atlasConfig: settings.atlasConfig,
    atlasEnv: settings.atlasEnv,
    vars: settings.vars,
  });
  // A dry run makes no AWS call; any other run's pre-flight needs the clients loaded. A client
  // that cannot be made fails the pre-flight, which reports it.
  if (!settings.dryRun) {
    try {
      deps.loadAws?.();
    } catch {
      // Reported by the pre-flight.
    }
  }
  const project = await reading;
  for (const warning of project.warnings) io.warning(warning.message, warning.location);
  const fromFile = await readTaskDefinitionFile(settings, deps);
  const checkedAll = await preflightPhase(settings, fromFile, deps);
  const checked = checkedAll?.[0];
  const start = startingPoint(settings, checked, fromFile, project.warnings, io);
  const staging = stagingFor(staged, start.platform);
  const secretReaders = await envContractPhase(settings, project.contract, start, checked, deps);
  const patchOptions = migrationPatchOptions(settings, start.secrets);
  checkRevisionsCanBePlanned(settings, checked, start.described, patchOptions);
  const others = await otherServicesPhase(settings, checkedAll, start, project, deps);

  const { base, image, imageReference, tags } = await buildPhase(
    settings,
    start.platform,
    project,
    deps,
    staging,
  );
  const pushed = settings.dryRun
    ? undefined
    : await io.group(`Push to ${start.repository}`, async () =>
        deps.pushImage(start.repository, pushableImage(image, base, await staging?.layers()), tags),
      );
  // A staged layer the image did not use (say, its tag moved between staging and the build) is
  // deleted now, not after the rollout is watched; the final cancel in run() is then a no-op.
  await staging?.cancel();

  const revisions = planRevisions(settings, start.described, patchOptions, imageReference);
  const written = await writeRevisions(settings, start, revisions, deps);
  const otherTargets = await Promise.all(
    others.map((other) => serviceTarget(settings, other, imageReference, deps)),
  );
  const imageFacts = describeImage(settings, image, imageReference);
  const outputs: Record<string, string> = {
    image: imageReference,
    'image-digest': image.manifestDigest,
    'task-definition-arn': '',
    'task-definition-file':
      otherTargets.length > 0
        ? JSON.stringify(
            Object.fromEntries([
              [checked!.serviceName, written.taskDefinitionFile],
              ...otherTargets.map((t) => [t.preflight.serviceName, t.taskDefinitionFile]),
            ]),
          )
        : written.taskDefinitionFile,
    'deployment-id': '',
    'migration-status': 'skipped',
    // Every output is set in every run: empty until Atlas's report says otherwise.
    ...migrationOutputs(undefined, settings.mode === 'plan' ? 'plan' : 'apply'),
    'github-deployment-id': '',
  };
  const recorder = githubDeploymentPhase(settings, checked, image.manifestDigest, deps);

  if (!checked || !pushed) {
    for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);
    if (!settings.imageRepository) {
      start.warnings.push(
        `No image-repository given: the image is named ${DRY_RUN_REPOSITORY} in this dry run.`,
      );
    }
    await io.appendSummary(
      renderDryRunSummary({
        image: imageFacts,
        migrations: project.migrations,
        ...cloudDirectoryFact(project.contract),
        taskDefinitionFile: written.taskDefinitionFile,
        family: start.family,
        taskDefinitionDiff: written.diff,
        plan: planDeploy(settings, {
          family: start.family,
          imageReference,
          blobCount: image.blobCount,
          tags,
          runtimevars: runtimevarsOf(project),
        }),
        warnings: start.warnings,
      }) + withLeadingBreak(renderSecretReaders(secretReaders)),
    );
    return { outputs };
  }

  const { result: modeResult, githubDeploymentId } = await recordedRollout(recorder, io, (hooks) =>
    MODES[settings.mode].run({
      settings,
      preflight: checked,
      described: start.described,
      revisions,
      rendered: written.rendered,
      family: start.family,
      image: imageFacts,
      push: pushFacts(pushed, tags),
      taskDefinitionFile: written.taskDefinitionFile,
      taskDefinitionDiff: written.diff,
      services: [
        {
          preflight: checked,
          described: start.described,
          revisions,
          rendered: written.rendered,
          family: start.family,
          taskDefinitionFile: written.taskDefinitionFile,
          taskDefinitionDiff: written.diff,
        },
        ...otherTargets,
      ],
      deps: {
        ecs: deps.aws().ecs,
        logs: deps.aws().logs,
        logsInRegion: (region: string) => deps.aws().logsInRegion(region),
        io,
        sleep: (ms: number) => deps.sleep(ms),
        now: () => deps.now(),
        ...hooks,
      },
    }),
  );
  // deregister-revisions: what the run left behind goes once its outcome is known (never throws).
  const result = await deregisterPhase(settings, modeResult, { ecs: deps.aws().ecs, io });
  Object.assign(outputs, result.outputs, { 'github-deployment-id': githubDeploymentId });
  for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);
  await io.appendSummary(
    result.summary +
      withLeadingBreak(renderWarnings(start.warnings)) +
      withLeadingBreak(renderSecretReaders(secretReaders)),
  );
  if (result.error) throw result.error;
  return { outputs };
}

/** Read-only AWS calls: the service, the task definition, the secret, the repository. */
async function preflightPhase(
  settings: Settings,
  fromFile: DescribedTaskDefinition | undefined,
  deps: Deps,
): Promise<Preflight[] | undefined> {
  // A dry run makes no AWS call at all.
  if (settings.dryRun) return undefined;
  const services = settings.services.length > 0 ? settings.services : [settings.service];
  const settled = await deps.io.group('Pre-flight checks', () =>
    Promise.allSettled(
      services.map((service) =>
        preflight(preflightRequest({ ...settings, service }, fromFile), deps.aws()),
      ),
    ),
  );
  // Every service's problems together, so one run reports them all.
  const problems = settled.flatMap((s) =>
    s.status === 'rejected'
      ? s.reason instanceof ValidationErrors
        ? [...s.reason.errors]
        : [s.reason instanceof Error ? s.reason : new Error(String(s.reason))]
      : [],
  );
  if (problems.length > 0) {
    throw problems.length === 1 ? problems[0]! : new ValidationErrors(problems);
  }
  const checked = settled.map((s) => (s as PromiseFulfilledResult<Preflight>).value);
  for (const each of checked) for (const warning of each.warnings) deps.io.warning(warning);
  return checked;
}

/** A service deployed with the first one: its own starting point and checks, before the build. */
interface OtherService {
  readonly preflight: Preflight;
  readonly start: StartingPoint;
  readonly patchOptions: Omit<PatchOptions, 'image'>;
}

/**
 * The services after the first (`service` with several lines): each is patched from its own
 * revision, so each gets the checks the first got, before anything is built or pushed. One image
 * serves them all, so they must run on the same CPU architecture.
 */
async function otherServicesPhase(
  settings: Settings,
  checkedAll: readonly Preflight[] | undefined,
  first: StartingPoint,
  project: MigrationProject,
  deps: Deps,
): Promise<OtherService[]> {
  const others: OtherService[] = [];
  for (const checked of checkedAll?.slice(1) ?? []) {
    const start = startingPoint(settings, checked, undefined, [], deps.io);
    if (formatPlatform(start.platform) !== formatPlatform(first.platform)) {
      throw new InputError(
        'service',
        `${checked.serviceName} runs on ${formatPlatform(start.platform)} and ${checkedAll![0]!.serviceName} on ${formatPlatform(first.platform)}: one migration image cannot serve both`,
        'deploy services of different CPU architectures (runtimePlatform.cpuArchitecture) in separate steps',
      );
    }
    await envContractPhase(settings, project.contract, start, checked, deps);
    const patchOptions = migrationPatchOptions(settings, start.secrets);
    checkRevisionsCanBePlanned(settings, checked, start.described, patchOptions);
    others.push({ preflight: checked, start, patchOptions });
  }
  return others;
}

/** Another service's next revision, rendered to its own task-definition file. */
async function serviceTarget(
  settings: Settings,
  other: OtherService,
  imageReference: string,
  deps: Deps,
): Promise<ServiceTarget> {
  const revisions = planRevisions(
    settings,
    other.start.described,
    other.patchOptions,
    imageReference,
  );
  const suffix = `-${other.preflight.serviceName}`;
  const written = await writeRevisions(settings, other.start, revisions, deps, suffix);
  return {
    preflight: other.preflight,
    described: other.start.described,
    revisions,
    rendered: written.rendered,
    family: other.start.family,
    taskDefinitionFile: written.taskDefinitionFile,
    taskDefinitionDiff: written.diff,
  };
}

interface StartingPoint {
  readonly described: DescribedTaskDefinition;
  /** Names the task definition in messages, as the patch does. */
  readonly source: string;
  readonly family: string;
  readonly platform: Platform;
  readonly repository: string;
  /** valueFrom of DATABASE_URL and ATLAS_TOKEN (full ARNs once the pre-flight resolved them). */
  readonly secrets: MigrationSecrets;
  /** For the summary (given as annotations already). */
  readonly warnings: string[];
}

/** The task definition to start from, and what follows from it. */
function startingPoint(
  settings: Settings,
  checked: Preflight | undefined,
  fromFile: TaskDefinitionFile | undefined,
  projectWarnings: readonly { message: string }[],
  io: ActionIO,
): StartingPoint {
  const described = checked?.taskDefinition ?? fromFile;
  if (!described) {
    throw new InputError('task-definition', 'is required in a dry run', 'give a JSON file');
  }
  const secrets: MigrationSecrets = checked
    ? {
        databaseUrl: checked.databaseUrlSecretValueFrom,
        atlasToken: checked.atlasTokenSecretValueFrom,
      }
    : { databaseUrl: settings.databaseUrlSecret, atlasToken: settings.atlasTokenSecret };
  const source =
    settings.taskDefinition.kind === 'file'
      ? workspaceRelative(settings.workspace, settings.taskDefinition.path)
      : `task definition ${taskDefinitionLabel(described.taskDefinition)}`;
  const warnings = projectWarnings.map((w) => w.message);
  const dropped = fromFile && droppedNullsWarning(source, fromFile.droppedNulls);
  if (dropped) {
    io.warning(dropped, fromFile.droppedNulls[0]!.location);
    warnings.push(dropped);
  }
  for (const [input, valueFrom] of [
    ['database-url-secret', secrets.databaseUrl],
    ['atlas-token-secret', secrets.atlasToken],
  ] as const) {
    if (checked || !valueFrom || valueFrom.startsWith('arn:')) continue;
    // ECS reads a bare name in valueFrom as an SSM parameter; Secrets Manager needs the full ARN.
    const message = `${input} ${JSON.stringify(valueFrom)} is a name: this dry run renders it as given, a real run puts the secret's full ARN (from secretsmanager:DescribeSecret) into valueFrom`;
    io.warning(message);
    warnings.push(message);
  }
  return {
    described,
    source,
    family: described.taskDefinition.family,
    platform: platformForCpuArchitecture(described.taskDefinition.runtimePlatform?.cpuArchitecture),
    repository: settings.imageRepository ?? DRY_RUN_REPOSITORY,
    secrets,
    warnings,
  };
}

/**
 * The env's runtime contract (what atlas.hcl reads inside the container) against the task
 * definition, and in a real run the runtimevars' secrets against AWS (read only): every problem
 * together, before anything is built, pushed or registered. Returns who must be allowed to read
 * which secret, for the summary.
 */
async function envContractPhase(
  settings: Settings,
  contract: EnvContract | undefined,
  start: StartingPoint,
  checked: Preflight | undefined,
  deps: Deps,
): Promise<SecretReader[]> {
  if (!contract) return [];
  const { io } = deps;
  const taskDefinition = start.described.taskDefinition;
  const found = checkEnvContract(contract, {
    taskDefinition,
    source: start.source,
    containerName: settings.containerName,
    env: settings.atlasEnv,
    databaseUrlSecret: settings.databaseUrlSecret !== undefined,
    atlasTokenSecret: settings.atlasTokenSecret !== undefined,
  });
  const problems = [...found.problems];
  const warnings = [...found.warnings];
  const taskRegion = arnRegion(checked?.serviceArn);
  let resources: readonly RuntimevarResource[] = awsRuntimevars(contract).map((source) => ({
    source,
    region: source.region ?? taskRegion,
  }));
  if (checked && resources.length > 0) {
    const aws = deps.aws();
    const looked = await io.group('Pre-flight checks of the runtimevars', () =>
      checkRuntimevars(contract.runtimevars, aws, taskRegion ? { taskRegion } : {}),
    );
    problems.push(...looked.problems);
    warnings.push(...looked.warnings);
    resources = looked.resources;
  }
  for (const warning of warnings) io.warning(warning.message, warning.location);
  start.warnings.push(...warnings.map((w) => `${formatLocation(w.location)}: ${w.message}`));
  if (problems.length > 0) {
    throw problems.length === 1 ? problems[0]! : new ValidationErrors(problems);
  }
  if (resources.length === 0 && !start.secrets.atlasToken) return [];
  const accountId = arnAccount(checked?.serviceArn);
  const readers = listSecretReaders({
    taskDefinition,
    runtimevars: resources,
    ...(start.secrets.databaseUrl ? { databaseUrl: start.secrets.databaseUrl } : {}),
    ...(start.secrets.atlasToken ? { atlasToken: start.secrets.atlasToken } : {}),
    ...(accountId ? { accountId } : {}),
  });
  for (const line of secretReaderLines(readers)) io.info(line);
  return readers;
}

/** A summary section set apart from what precedes it; nothing for no section. */
function withLeadingBreak(section: string): string {
  return section === '' ? '' : `\n${section}`;
}

/** How the dry run's summary names an Atlas Cloud migration directory. */
function cloudDirectoryFact(contract: EnvContract | undefined): { cloudDirectory?: string } {
  const cloud = contract?.cloudDirectory;
  if (!cloud) return {};
  return {
    cloudDirectory:
      cloud.kind === 'remote_dir'
        ? `data "remote_dir" (name ${cloud.name}${cloud.tag ? `, tag ${cloud.tag}` : ''})`
        : `atlas://${cloud.name}${cloud.tag ? `?tag=${cloud.tag}` : ''}`,
  };
}

/** The runtimevars a real run's pre-flight looks up. */
function runtimevarsOf(project: MigrationProject) {
  const contract = project.contract;
  return contract ? awsRuntimevars(contract) : [];
}

/** What the migration container reads through ECS `secrets`: valueFrom of each, when given. */
interface MigrationSecrets {
  readonly databaseUrl: string | undefined;
  readonly atlasToken: string | undefined;
}

function migrationPatchOptions(
  settings: Settings,
  secrets: MigrationSecrets,
): Omit<PatchOptions, 'image'> {
  return {
    containerName: settings.containerName,
    command: migrationCommand(settings),
    images: settings.images,
    ...(secrets.databaseUrl ? { databaseUrlSecret: secrets.databaseUrl } : {}),
    ...(secrets.atlasToken ? { atlasTokenSecret: secrets.atlasToken } : {}),
    ...(settings.appContainers ? { appContainers: settings.appContainers } : {}),
    ...(settings.taskDefinition.kind === 'file'
      ? { source: workspaceRelative(settings.workspace, settings.taskDefinition.path) }
      : {}),
  };
}

/**
 * The revisions planned once with a stand-in image: a task definition that cannot be patched,
 * or a migration task that cannot be placed, fails before anything is built, pushed or registered.
 */
function checkRevisionsCanBePlanned(
  settings: Settings,
  checked: Preflight | undefined,
  described: DescribedTaskDefinition,
  patchOptions: Omit<PatchOptions, 'image'>,
): void {
  const repository = settings.imageRepository ?? DRY_RUN_REPOSITORY;
  const trial = planRevisions(
    settings,
    described,
    patchOptions,
    `${repository}@${PLACEHOLDER_DIGEST}`,
  );
  if (checked && trial.migrationTask) {
    migrationRunTaskInput({
      preflight: checked,
      taskDefinition: { taskDefinitionArn: PLACEHOLDER_ARN, taskDefinition: trial.migrationTask },
      containerName: settings.containerName,
    });
  }
}

/** The staging when it guessed the platform the task definition runs on; else it is cancelled. */
function stagingFor(staged: BaseStaging | undefined, platform: Platform): BaseStaging | undefined {
  if (!staged || formatPlatform(staged.platform) === formatPlatform(platform)) return staged;
  void staged.cancel();
  return undefined;
}

async function buildPhase(
  settings: Settings,
  platform: Platform,
  project: MigrationProject,
  deps: Deps,
  staging: BaseStaging | undefined,
): Promise<{ base: SourceImage; image: BuiltImage; imageReference: string; tags: string[] }> {
  const { io } = deps;
  const outputDir = path.join(deps.env.outputRoot, 'atlas-ecs-deploy');
  const repository = settings.imageRepository ?? DRY_RUN_REPOSITORY;
  const { base, image } = await io.group('Build the migration image', async () => {
    const base = (await staging?.base) ?? (await deps.readBaseImage(settings.atlasImage, platform));
    const image = await deps.buildImage({
      base,
      copyBaseLayers: settings.dryRun,
      platform,
      files: project.files,
      imageRoot: IMAGE_ROOT,
      workingDir: imageWorkingDir(settings.atlasConfig),
      labels: imageLabels(settings, deps.env),
      outputDir: path.join(outputDir, 'image'),
      tag: settings.imageTag ?? 'latest',
    });
    return { base, image };
  });
  const imageReference = `${repository}@${image.manifestDigest}`;
  const tags = [
    contentTag(image.manifestDigest),
    ...(settings.imageTag ? [settings.imageTag] : []),
  ];
  io.info(
    `Built ${imageReference} for ${formatPlatform(image.platform)}: layer ${image.layer.digest}, ${image.layer.fileCount} files, ${image.layer.size} bytes`,
  );
  return { base, image, imageReference, tags };
}

/**
 * Writes task-definition-file (the service's next revision; in plan mode, the migration-only
 * task definition, the one revision plan registers) and the diff against what runs now.
 */
async function writeRevisions(
  settings: Settings,
  start: StartingPoint,
  revisions: Revisions,
  deps: Deps,
  /** Another service's files: `task-definition-<service>.json`. */
  suffix = '',
): Promise<{ taskDefinitionFile: string; rendered: string; diff: string }> {
  const { io } = deps;
  const outputDir = path.join(deps.env.outputRoot, 'atlas-ecs-deploy');
  const taskDefinitionFile = path.join(outputDir, `task-definition${suffix}.json`);
  let rendered = '';
  let diff = '';
  if (revisions.service) {
    rendered = renderTaskDefinition(revisions.service);
    await deps.writeTextFile(taskDefinitionFile, rendered);
    io.info(`Rendered the task definition to ${taskDefinitionFile}`);
    diff += taskDefinitionDiff(start.family, renderCurrent(start.described), rendered);
  }
  if (revisions.migrationTask) {
    const migrationJson = renderTaskDefinition(revisions.migrationTask);
    const migrationFile = revisions.service
      ? path.join(outputDir, `migration-task-definition${suffix}.json`)
      : taskDefinitionFile;
    await deps.writeTextFile(migrationFile, migrationJson);
    io.info(`Rendered the migration task definition to ${migrationFile}`);
    diff += taskDefinitionDiff(revisions.migrationTask.family, '', migrationJson);
  }
  await io.group('Task definition changes', async () => io.info(diff));
  return { taskDefinitionFile, rendered, diff };
}

function pushFacts(pushed: PushResult, tags: readonly string[]): PushFacts {
  return {
    alreadyPresent: pushed.alreadyPresent,
    uploaded: pushed.uploaded.length,
    mounted: pushed.mounted.length,
    existing: pushed.existing.length,
    bytesUploaded: pushed.bytesUploaded,
    tags,
  };
}

async function readTaskDefinitionFile(
  settings: Settings,
  deps: Deps,
): Promise<TaskDefinitionFile | undefined> {
  const source = settings.taskDefinition;
  if (source.kind !== 'file') return undefined;
  const text = await deps.readTextFile(source.path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(
      'task-definition',
      `cannot read ${source.path} (${error.code ?? error.message})`,
      'check the path and its permissions',
    );
  });
  // What the action sets itself is not judged in the file: a placeholder there is how it is written.
  return parseTaskDefinitionFile(text, workspaceRelative(settings.workspace, source.path), {
    containerName: settings.containerName,
    images: settings.images,
    databaseUrlSecret: settings.databaseUrlSecret !== undefined,
    atlasTokenSecret: settings.atlasTokenSecret !== undefined,
  });
}

function describeImage(settings: Settings, image: BuiltImage, reference: string): ImageFacts {
  return {
    reference,
    digest: image.manifestDigest,
    platform: formatPlatform(image.platform),
    base: describeBase(settings.atlasImage),
    baseDigest: image.baseManifestDigest,
    layerDigest: image.layer.digest,
    layerSize: image.layer.size,
    layerUncompressedSize: image.layer.uncompressedSize,
    fileCount: image.layer.fileCount,
    layoutDir: image.layoutDir,
  };
}

function describeBase(source: BaseImageSource): string {
  if (source.kind === 'registry') return source.reference;
  return `oci-layout://${source.path}${source.tag ? `:${source.tag}` : ''}`;
}

/** The migration container's argv: the same the dry-run plan shows. */
function migrationCommand(settings: Settings): string[] {
  return buildMigrationCommand(migrationCommandOptions(settings));
}

/** The folder of atlas.hcl inside the image, so `file://migrations` resolves as it does in the repo. */
export function imageWorkingDir(atlasConfig: string): string {
  const dir = path.posix.dirname(atlasConfig);
  return dir === '.' ? `/${IMAGE_ROOT}` : `/${IMAGE_ROOT}/${dir}`;
}

/** OCI labels that trace the image back to its commit and its base. */
export function imageLabels(settings: Settings, env: RunEnvironment): Record<string, string> {
  const labels: Record<string, string> = {};
  if (env.githubServerUrl && env.githubRepository) {
    labels['org.opencontainers.image.source'] = `${env.githubServerUrl}/${env.githubRepository}`;
  }
  if (env.githubSha) labels['org.opencontainers.image.revision'] = env.githubSha;
  if (settings.atlasImage.kind === 'registry') {
    labels['org.opencontainers.image.base.name'] = settings.atlasImage.reference;
  }
  return labels;
}

function workspaceRelative(workspace: string, absolutePath: string): string {
  const relative = path.relative(workspace, absolutePath);
  return relative.startsWith('..') || path.isAbsolute(relative)
    ? absolutePath
    : relative.split(path.sep).join('/');
}
