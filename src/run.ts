// The action's phases in order, over injected adapters. main.ts wires the real ones; tests pass fakes.
// Everything that can fail on the user's input runs before anything is pushed or registered.
import * as path from 'node:path';
import type { AwsApis } from './aws/api';
import { deploymentLinks } from './deploy/console-links';
import { preflight, preflightRequest, type Preflight } from './deploy/preflight';
import { registerTaskDefinition, type RegisteredTaskDefinition } from './deploy/deploy';
import { deploymentOutputs, runDeployment } from './deploy/run-deployment';
import {
  migrationRunTaskInput,
  runMigrationTask,
  type MigrationTaskDeps,
  type MigrationTaskOutcome,
} from './deploy/run-task';
import { InputError } from './errors';
import type { BuildImageOptions, BuiltImage } from './files/build-image';
import { pushableImage } from './files/pushable-image';
import type { MigrationProject, ReadProjectOptions } from './files/read-project';
import { formatPlatform, platformForCpuArchitecture } from './image/platform';
import type { Platform, SourceImage } from './image/types';
import type { BaseImageSource, Settings } from './inputs/settings';
import type { PushableImage, PushResult } from './registry/push';
import { contentTag } from './registry/reference';
import type { ActionIO } from './report/action-io';
import { planDeploy } from './report/plan';
import { renderDeploySummary, renderMigrationTaskFailure } from './report/render-deploy-summary';
import { renderDryRunSummary, type ImageFacts } from './report/render-summary';
import { taskDefinitionDiff } from './report/task-definition-diff';
import {
  buildMigrationCommand,
  parseTaskDefinitionFile,
  patchTaskDefinition,
  renderTaskDefinition,
  stripReadOnly,
  type DescribedTaskDefinition,
  type PatchOptions,
  type RegisterTaskDefinitionJson,
} from './taskdef';
import { buildMigrationTaskDefinition, removeMigrationContainer } from './taskdef/migration-task';

/** Where the repository's files sit inside the image; the container starts in the config's folder. */
export const IMAGE_ROOT = 'workspace';
/** The project file name Atlas reads without --config. */
const DEFAULT_CONFIG_NAME = 'atlas.hcl';
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
  /** Created on first use, so a dry run never builds an AWS client. */
  aws(): AwsApis;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface RunResult {
  readonly outputs: Readonly<Record<string, string>>;
}

export async function run(settings: Settings, deps: Deps): Promise<RunResult> {
  const { io } = deps;

  const project = await deps.readProject({
    workspace: settings.workspace,
    migrationsDir: settings.migrationsDir,
    atlasConfig: settings.atlasConfig,
    atlasEnv: settings.atlasEnv,
  });
  for (const warning of project.warnings) io.warning(warning.message, warning.location);
  const fromFile = await readTaskDefinitionFile(settings, deps);

  // Pre-flight: read-only AWS calls; a dry run makes none.
  const checked = settings.dryRun
    ? undefined
    : await io.group('Pre-flight checks', () =>
        preflight(preflightRequest(settings, fromFile), deps.aws()),
      );
  for (const warning of checked?.warnings ?? []) io.warning(warning);
  const described = checked?.taskDefinition ?? fromFile;
  if (!described) {
    throw new InputError('task-definition', 'is required in a dry run', 'give a JSON file');
  }
  const secretValueFrom = checked ? checked.databaseUrlSecretValueFrom : settings.databaseUrlSecret;
  const warnings = project.warnings.map((w) => w.message);
  if (!checked && secretValueFrom && !secretValueFrom.startsWith('arn:')) {
    // ECS reads a bare name in valueFrom as an SSM parameter; Secrets Manager needs the full ARN.
    const message = `database-url-secret ${JSON.stringify(secretValueFrom)} is a name: this dry run renders it as given, a real run puts the secret's full ARN (from secretsmanager:DescribeSecret) into valueFrom`;
    io.warning(message);
    warnings.push(message);
  }

  const family = described.taskDefinition.family;
  const platform = platformForCpuArchitecture(
    described.taskDefinition.runtimePlatform?.cpuArchitecture,
  );
  const repository = settings.imageRepository ?? DRY_RUN_REPOSITORY;
  const patchOptions: Omit<PatchOptions, 'image'> = {
    containerName: settings.containerName,
    command: migrationCommand(settings),
    images: settings.images,
    ...(secretValueFrom ? { databaseUrlSecret: secretValueFrom } : {}),
    ...(settings.appContainers ? { appContainers: settings.appContainers } : {}),
    ...(settings.taskDefinition.kind === 'file'
      ? { source: workspaceRelative(settings.workspace, settings.taskDefinition.path) }
      : {}),
  };
  // Plan the revisions once with a stand-in image first: a task definition we cannot patch must
  // fail before anything is built, pushed or registered.
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

  const outputDir = path.join(deps.env.outputRoot, 'atlas-ecs-deploy');
  const { base, image } = await io.group('Build the migration image', async () => {
    const base = await deps.readBaseImage(settings.atlasImage, platform);
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

  const pushed = settings.dryRun
    ? undefined
    : await io.group(`Push to ${repository}`, () =>
        deps.pushImage(repository, pushableImage(image, base), tags),
      );

  const revisions = planRevisions(settings, described, patchOptions, imageReference);
  const patched = revisions.service;
  const rendered = renderTaskDefinition(patched);
  const taskDefinitionFile = path.join(outputDir, 'task-definition.json');
  await deps.writeTextFile(taskDefinitionFile, rendered);
  io.info(`Rendered the task definition to ${taskDefinitionFile}`);
  let diff = taskDefinitionDiff(family, renderCurrent(described), rendered);
  if (revisions.migrationTask) {
    const migrationFile = path.join(outputDir, 'migration-task-definition.json');
    const migrationJson = renderTaskDefinition(revisions.migrationTask);
    await deps.writeTextFile(migrationFile, migrationJson);
    io.info(`Rendered the migration task definition to ${migrationFile}`);
    diff += taskDefinitionDiff(revisions.migrationTask.family, '', migrationJson);
  }
  await io.group('Task definition changes', async () => io.info(diff));

  const imageFacts = describeImage(settings, image, imageReference);
  const outputs: Record<string, string> = {
    image: imageReference,
    'image-digest': image.manifestDigest,
    'task-definition-arn': '',
    'task-definition-file': taskDefinitionFile,
    'deployment-id': '',
    'migration-status': 'skipped',
  };

  if (!checked || !pushed) {
    for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);
    if (!settings.imageRepository) {
      warnings.push(
        `No image-repository given: the image is named ${DRY_RUN_REPOSITORY} in this dry run.`,
      );
    }
    await io.appendSummary(
      renderDryRunSummary({
        image: imageFacts,
        migrations: project.migrations,
        taskDefinitionFile,
        family,
        taskDefinitionDiff: diff,
        plan: planDeploy(settings, { family, imageReference, blobCount: image.blobCount, tags }),
        warnings,
      }),
    );
    return { outputs };
  }

  const awsDeps = {
    ecs: deps.aws().ecs,
    logs: deps.aws().logs,
    logsInRegion: (region: string) => deps.aws().logsInRegion(region),
    io,
    sleep: (ms: number) => deps.sleep(ms),
    now: () => deps.now(),
  };
  const pushFacts = {
    alreadyPresent: pushed.alreadyPresent,
    uploaded: pushed.uploaded.length,
    mounted: pushed.mounted.length,
    existing: pushed.existing.length,
    bytesUploaded: pushed.bytesUploaded,
    tags,
  };
  if (revisions.migrationTask) {
    // run-task mode: the service is only touched when the one-off migration succeeded.
    const outcome = await migrateOnce(settings, checked, revisions.migrationTask, awsDeps);
    if (outcome.status !== 'succeeded') {
      outputs['migration-status'] = 'failed';
      for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);
      await io.appendSummary(
        renderMigrationTaskFailure({
          service: checked.serviceName,
          image: imageFacts,
          push: pushFacts,
          outcome,
        }),
      );
      throw new Error(outcome.message);
    }
  }

  const existing =
    settings.taskDefinition.kind === 'file'
      ? undefined // a file's taskDefinitionArn may not describe what the file now says
      : unchangedRevision(described, rendered, revisions);
  const report = await runDeployment(
    { settings, preflight: checked, taskDefinition: patched, ...(existing ? { existing } : {}) },
    awsDeps,
  );
  Object.assign(outputs, deploymentOutputs(report));
  // In run-task mode the service's tasks hold no migration container: the task above decided it.
  if (revisions.migrationTask) outputs['migration-status'] = 'succeeded';
  for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);
  await io.appendSummary(
    renderDeploySummary({
      image: imageFacts,
      push: pushFacts,
      service: checked.serviceName,
      cluster: checked.cluster,
      family,
      taskDefinitionFile,
      taskDefinitionDiff: diff,
      report,
      links: links(checked, report),
    }),
  );
  if (report.error) throw report.error;
  return { outputs };
}

/** Registers the migration-only task definition and runs it once; never touches the service. */
async function migrateOnce(
  settings: Settings,
  checked: Preflight,
  migrationTask: RegisterTaskDefinitionJson,
  deps: MigrationTaskDeps & { readonly ecs: AwsApis['ecs'] },
): Promise<MigrationTaskOutcome> {
  const registered = await registerTaskDefinition(deps.ecs, migrationTask);
  deps.io.info(`Registered the migration task definition ${registered.taskDefinitionArn}`);
  return deps.io.group('Run the migration task', () =>
    runMigrationTask(
      {
        preflight: checked,
        taskDefinition: {
          taskDefinitionArn: registered.taskDefinitionArn,
          taskDefinition: migrationTask,
        },
        containerName: settings.containerName,
      },
      deps,
      {
        pollIntervalMs: settings.pollIntervalSeconds * 1000,
        timeoutMs: settings.waitTimeoutMinutes * 60 * 1000,
      },
    ),
  );
}

/**
 * A registered revision that already is exactly what this run would register (a re-run, or the
 * same artefact promoted from staging: the image digest is reproducible, and patching is
 * idempotent), so the service is pointed at it instead of registering a copy.
 */
function unchangedRevision(
  described: DescribedTaskDefinition,
  rendered: string,
  revisions: Revisions,
): RegisteredTaskDefinition | undefined {
  const arn = described.taskDefinition.taskDefinitionArn;
  if (revisions.migrationTask || typeof arn !== 'string') return undefined;
  return rendered === renderCurrent(described)
    ? { taskDefinitionArn: arn, taskDefinition: described.taskDefinition }
    : undefined;
}

interface Revisions {
  /** The service's new revision. */
  readonly service: RegisterTaskDefinitionJson;
  /** run-task mode: the migration-only task definition, run once before the service is updated. */
  readonly migrationTask?: RegisterTaskDefinitionJson;
}

/** sidecar: the migration container goes into the service's tasks. run-task: it runs on its own. */
function planRevisions(
  settings: Settings,
  described: DescribedTaskDefinition,
  patchOptions: Omit<PatchOptions, 'image'>,
  image: string,
): Revisions {
  if (settings.mode === 'sidecar') {
    return { service: patchTaskDefinition(described, { ...patchOptions, image }) };
  }
  return {
    service: removeMigrationContainer(
      described,
      settings.containerName,
      settings.images,
      patchOptions.source,
    ),
    migrationTask: buildMigrationTaskDefinition(described, {
      containerName: settings.containerName,
      image,
      command: patchOptions.command,
      ...(patchOptions.databaseUrlSecret
        ? { databaseUrlSecret: patchOptions.databaseUrlSecret }
        : {}),
      ...(patchOptions.source ? { source: patchOptions.source } : {}),
    }),
  };
}

function links(checked: Preflight, report: Awaited<ReturnType<typeof runDeployment>>) {
  const outcome = report.outcome;
  const migration =
    outcome?.status === 'failed' && outcome.kind === 'migration' ? outcome : undefined;
  return deploymentLinks({
    serviceArn: checked.serviceArn,
    cluster: checked.cluster,
    taskDefinitionArn: report.deployed.taskDefinitionArn,
    previousTaskDefinitionArn: report.deployed.previousTaskDefinitionArn,
    ...(migration ? { taskArn: migration.taskArn } : {}),
    ...(migration?.logStream ? { logStream: migration.logStream } : {}),
  });
}

async function readTaskDefinitionFile(
  settings: Settings,
  deps: Deps,
): Promise<DescribedTaskDefinition | undefined> {
  const source = settings.taskDefinition;
  if (source.kind !== 'file') return undefined;
  const text = await deps.readTextFile(source.path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(
      'task-definition',
      `cannot read ${source.path} (${error.code ?? error.message})`,
      'check the path and its permissions',
    );
  });
  return parseTaskDefinitionFile(text, workspaceRelative(settings.workspace, source.path));
}

/** The task definition as it is now, in the form it is registered in, for the diff. */
function renderCurrent(described: DescribedTaskDefinition): string {
  return renderTaskDefinition({
    ...stripReadOnly(described.taskDefinition),
    ...(described.tags && described.tags.length > 0 ? { tags: described.tags } : {}),
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

/** Atlas finds atlas.hcl in its working directory; any other name needs --config. */
function migrationCommand(settings: Settings): string[] {
  const configName = path.posix.basename(settings.atlasConfig);
  return buildMigrationCommand({
    atlasEnv: settings.atlasEnv,
    lockTimeout: settings.lockTimeout,
    migrateArgs: [...settings.migrateArgs],
    ...(configName !== DEFAULT_CONFIG_NAME ? { configFile: configName } : {}),
  });
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
