// The action's phases in order, over injected adapters. main.ts wires the real ones; tests pass fakes.
import * as path from 'node:path';
import { InputError } from './errors';
import type { BuildImageOptions, BuiltImage } from './files/build-image';
import type { MigrationProject, ReadProjectOptions } from './files/read-project';
import { contentTag } from './registry/reference';
import { formatPlatform, platformForCpuArchitecture } from './image/platform';
import type { Settings } from './inputs/settings';
import type { ActionIO } from './report/action-io';
import { planDeploy } from './report/plan';
import { renderDryRunSummary } from './report/render-summary';
import { taskDefinitionDiff } from './report/task-definition-diff';
import {
  buildMigrationCommand,
  parseTaskDefinitionFile,
  patchTaskDefinition,
  renderTaskDefinition,
  stripReadOnly,
  type DescribedTaskDefinition,
  type PatchOptions,
} from './taskdef';

/** Where the repository's files sit inside the image; the container starts in the config's folder. */
export const IMAGE_ROOT = 'workspace';
/** The project file name Atlas reads without --config. */
const DEFAULT_CONFIG_NAME = 'atlas.hcl';
/** Names the image when no image-repository is given (dry run only). */
export const DRY_RUN_REPOSITORY = 'atlas-migrations.local/dry-run';
/** A digest that cannot exist, for checking the patch before anything is built. */
const PLACEHOLDER_DIGEST = `sha256:${'0'.repeat(64)}`;

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
  buildImage(options: BuildImageOptions): Promise<BuiltImage>;
}

export interface RunResult {
  readonly outputs: Readonly<Record<string, string>>;
}

export async function run(settings: Settings, deps: Deps): Promise<RunResult> {
  if (!settings.dryRun) {
    throw new InputError(
      'dry-run',
      'is false, but this version of the action only runs dry: pushing the image and deploying to ECS are not built yet',
      "set dry-run: 'true'",
    );
  }
  if (settings.mode === 'run-task') {
    throw new InputError(
      'mode',
      "'run-task' is not built yet in this version",
      "use mode 'sidecar'",
    );
  }
  const { io } = deps;

  const project = await deps.readProject({
    workspace: settings.workspace,
    migrationsDir: settings.migrationsDir,
    atlasConfig: settings.atlasConfig,
    atlasEnv: settings.atlasEnv,
  });
  for (const warning of project.warnings) io.warning(warning.message, warning.location);

  const described = await readTaskDefinition(settings, deps);
  const family = described.taskDefinition.family;
  const platform = platformForCpuArchitecture(
    described.taskDefinition.runtimePlatform?.cpuArchitecture,
  );
  const repository = settings.imageRepository ?? DRY_RUN_REPOSITORY;
  const patchOptions: Omit<PatchOptions, 'image'> = {
    containerName: settings.containerName,
    command: migrationCommand(settings),
    images: settings.images,
    ...(settings.databaseUrlSecret ? { databaseUrlSecret: settings.databaseUrlSecret } : {}),
    ...(settings.appContainers ? { appContainers: settings.appContainers } : {}),
    ...(settings.taskDefinition.kind === 'file'
      ? { source: workspaceRelative(settings.workspace, settings.taskDefinition.path) }
      : {}),
  };
  // Patch once with a stand-in image first: a task definition we cannot patch must fail before
  // anything is built or written.
  patchTaskDefinition(described, { ...patchOptions, image: `${repository}@${PLACEHOLDER_DIGEST}` });

  if (settings.atlasImage.kind !== 'oci-layout') {
    throw new InputError(
      'atlas-image',
      `${JSON.stringify(settings.atlasImage.reference)} is a registry image, and this version builds only from an OCI image layout on disk`,
      'use oci-layout://<dir>[:<tag>] (e.g. made by `skopeo copy docker://arigaio/atlas oci:<dir>:latest`)',
    );
  }

  const outputDir = path.join(deps.env.outputRoot, 'atlas-ecs-deploy');
  const image = await io.group('Build the migration image', () =>
    deps.buildImage({
      base: settings.atlasImage as BuildImageOptions['base'],
      platform,
      files: project.files,
      imageRoot: IMAGE_ROOT,
      workingDir: imageWorkingDir(settings.atlasConfig),
      labels: imageLabels(settings, deps.env),
      outputDir: path.join(outputDir, 'image'),
      tag: settings.imageTag ?? 'latest',
    }),
  );
  const imageReference = `${repository}@${image.manifestDigest}`;
  io.info(
    `Built ${imageReference} for ${formatPlatform(image.platform)}: layer ${image.layer.digest}, ${image.layer.fileCount} files, ${image.layer.size} bytes`,
  );

  const patched = patchTaskDefinition(described, { ...patchOptions, image: imageReference });
  const rendered = renderTaskDefinition(patched);
  const taskDefinitionFile = path.join(outputDir, 'task-definition.json');
  await deps.writeTextFile(taskDefinitionFile, rendered);
  io.info(`Rendered the task definition to ${taskDefinitionFile}`);

  const before = renderTaskDefinition({
    ...stripReadOnly(described.taskDefinition),
    ...(described.tags && described.tags.length > 0 ? { tags: described.tags } : {}),
  });
  const diff = taskDefinitionDiff(family, before, rendered);
  await io.group('Task definition changes', async () => io.info(diff));

  const outputs = {
    image: imageReference,
    'image-digest': image.manifestDigest,
    'task-definition-arn': '',
    'task-definition-file': taskDefinitionFile,
    'deployment-id': '',
    'migration-status': 'skipped',
  };
  for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);

  const warnings = project.warnings.map((w) => w.message);
  if (settings.databaseUrlSecret && !settings.databaseUrlSecret.startsWith('arn:')) {
    // ECS reads a bare name in valueFrom as an SSM parameter; Secrets Manager needs the full ARN.
    const message = `database-url-secret ${JSON.stringify(settings.databaseUrlSecret)} is a name: this dry run renders it as given, a real run puts the secret's full ARN (from secretsmanager:DescribeSecret) into valueFrom`;
    io.warning(message);
    warnings.push(message);
  }
  if (!settings.imageRepository) {
    warnings.push(
      `No image-repository given: the image is named ${DRY_RUN_REPOSITORY} in this dry run.`,
    );
  }
  await io.appendSummary(
    renderDryRunSummary({
      image: {
        reference: imageReference,
        digest: image.manifestDigest,
        platform: formatPlatform(image.platform),
        base:
          settings.atlasImage.path + (settings.atlasImage.tag ? `:${settings.atlasImage.tag}` : ''),
        baseDigest: image.baseManifestDigest,
        layerDigest: image.layer.digest,
        layerSize: image.layer.size,
        layerUncompressedSize: image.layer.uncompressedSize,
        fileCount: image.layer.fileCount,
        layoutDir: image.layoutDir,
      },
      migrations: project.migrations,
      taskDefinitionFile,
      family,
      taskDefinitionDiff: diff,
      plan: planDeploy(settings, {
        family,
        imageReference,
        blobCount: image.blobCount,
        tags: [contentTag(image.manifestDigest), ...(settings.imageTag ? [settings.imageTag] : [])],
      }),
      warnings,
    }),
  );
  return { outputs };
}

async function readTaskDefinition(
  settings: Settings,
  deps: Deps,
): Promise<DescribedTaskDefinition> {
  const source = settings.taskDefinition;
  if (source.kind !== 'file') {
    throw new InputError(
      'task-definition',
      'must be a JSON file in this version',
      'give the path of a task definition JSON file',
    );
  }
  const text = await deps.readTextFile(source.path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(
      'task-definition',
      `cannot read ${source.path} (${error.code ?? error.message})`,
      'check the path and its permissions',
    );
  });
  return parseTaskDefinitionFile(text, workspaceRelative(settings.workspace, source.path));
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
