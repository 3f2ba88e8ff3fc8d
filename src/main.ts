// The whole action as the actions/typescript-action template shapes it: run() reads the inputs,
// wires the real adapters, runs the phases and reports failure once. src/index.ts calls it in the
// bundle; @github/local-action imports this file and calls run() itself, so nothing runs on import.
import * as core from '@actions/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createAwsApis, createAwsClients, type AwsClients } from './aws/clients';
import { createEcrCredentialGetter } from './aws/ecr-auth';
import { buildMigrationImage } from './files/build-image';
import { readOciLayoutImage } from './files/oci-layout';
import { readMigrationProject } from './files/read-project';
import { createGitHubDeployments } from './github/client';
import { readInputs } from './inputs/read';
import { createRegistryClient, type RegistryClient } from './registry/client';
import { pullBaseImage } from './registry/pull';
import { pushImage } from './registry/push';
import { stageBase } from './registry/stage-base';
import { collectingGarbage } from './util/collect-garbage';
import { startHclParser } from './util/hcl2json';
import { parseImageReference, parseRepository } from './registry/reference';
import { createActionIO, type ActionIO } from './report/action-io';
import { reportFailure } from './report/failure';
import { run as runPhases, type Deps } from './run';
import { realSleep } from './util/retry';
import { version } from '../package.json';

const USER_AGENT = `atlas-ecs-deploy/${version}`;

function createDeps(io: ActionIO, env: NodeJS.ProcessEnv): Deps & { close(): void } {
  let clients: AwsClients | undefined;
  const awsClients = (): AwsClients => (clients ??= createAwsClients({ userAgent: USER_AGENT }));
  let apis: ReturnType<typeof createAwsApis> | undefined;
  const aws = () => (apis ??= createAwsApis(awsClients()));
  let registryClient: RegistryClient | undefined;
  const registry = (): RegistryClient =>
    (registryClient ??= createRegistryClient({
      mask: (value) => io.setSecret(value),
      log: (message) => io.info(message),
      ecrCredentials: createEcrCredentialGetter(
        (region) => aws().ecrAuthInRegion(region),
        (value) => io.setSecret(value),
      ),
      userAgent: USER_AGENT,
    }));

  return {
    io,
    env: {
      outputRoot: env.RUNNER_TEMP || os.tmpdir(),
      ...(env.GITHUB_SERVER_URL ? { githubServerUrl: env.GITHUB_SERVER_URL } : {}),
      ...(env.GITHUB_REPOSITORY ? { githubRepository: env.GITHUB_REPOSITORY } : {}),
      ...(env.GITHUB_SHA ? { githubSha: env.GITHUB_SHA } : {}),
      ...(env.GITHUB_RUN_ID ? { githubRunId: env.GITHUB_RUN_ID } : {}),
      ...(env.GITHUB_RUN_ATTEMPT ? { githubRunAttempt: env.GITHUB_RUN_ATTEMPT } : {}),
    },
    // The phases that stream the whole migration directory run with the memory bound kept.
    readProject: (options) => collectingGarbage(() => readMigrationProject(options)),
    readTextFile: (file) => readFile(file, 'utf8'),
    writeTextFile: async (file, text) => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    },
    readBaseImage: async (source, platform) => {
      if (source.kind === 'oci-layout')
        return readOciLayoutImage(source.path, source.tag, platform);
      // Validated by the input parser, so it parses.
      return pullBaseImage(registry(), parseImageReference(source.reference)!, platform);
    },
    // Validated by the input parser, so both parse.
    stageBase: (reference, platform, repository) =>
      stageBase(
        registry(),
        parseImageReference(reference)!,
        platform,
        parseRepository(repository)!,
      ),
    buildImage: (options) => collectingGarbage(() => buildMigrationImage(options)),
    pushImage: (repository, image, tags) =>
      collectingGarbage(() =>
        pushImage(registry(), parseRepository(repository)!, image, tags, (message) =>
          io.info(message),
        ),
      ),
    aws,
    loadAws: () => {
      const loaded = awsClients();
      void loaded.ecs;
      void loaded.secretsManager;
    },
    // Octokit's base URL is GITHUB_API_URL (GitHub Enterprise Server), its default.
    githubDeployments: (target) =>
      createGitHubDeployments({
        ...target,
        userAgent: USER_AGENT,
        sleep: realSleep,
        log: (message) => io.info(message),
      }),
    sleep: realSleep,
    now: Date.now,
    close: () => clients?.destroy(),
  };
}

/** Runs the action once; never rejects: every failure ends in core.setFailed. */
export async function run(): Promise<void> {
  const io = createActionIO();
  let deps: ReturnType<typeof createDeps> | undefined;
  // Every mode reads atlas.hcl: the parser's thread starts while the inputs are read.
  startHclParser();
  try {
    const settings = readInputs();
    deps = createDeps(io, process.env);
    await runPhases(settings, deps);
  } catch (error) {
    core.setFailed(reportFailure(io, error));
  } finally {
    deps?.close();
  }
}
