// Entry point of the bundled action: wires the real adapters, runs, and reports failure once.
import * as core from '@actions/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createAwsApis, createAwsClients, type AwsClients } from './aws/clients';
import { createEcrCredentialGetter } from './aws/ecr-auth';
import { buildMigrationImage } from './files/build-image';
import { readOciLayoutImage } from './files/oci-layout';
import { readMigrationProject } from './files/read-project';
import { readInputs } from './inputs/read';
import { createRegistryClient, type RegistryClient } from './registry/client';
import { pullBaseImage } from './registry/pull';
import { pushImage } from './registry/push';
import { collectingGarbage } from './util/collect-garbage';
import { parseImageReference, parseRepository } from './registry/reference';
import { createActionIO, type ActionIO } from './report/action-io';
import { reportFailure } from './report/failure';
import { run, type Deps } from './run';
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
    buildImage: (options) => collectingGarbage(() => buildMigrationImage(options)),
    pushImage: (repository, image, tags) =>
      collectingGarbage(() =>
        pushImage(registry(), parseRepository(repository)!, image, tags, (message) =>
          io.info(message),
        ),
      ),
    aws,
    sleep: realSleep,
    now: Date.now,
    close: () => clients?.destroy(),
  };
}

async function main(): Promise<void> {
  const io = createActionIO();
  let deps: ReturnType<typeof createDeps> | undefined;
  try {
    const settings = readInputs();
    deps = createDeps(io, process.env);
    await run(settings, deps);
  } catch (error) {
    core.setFailed(reportFailure(io, error));
  } finally {
    deps?.close();
  }
}

void main();
