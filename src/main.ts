// Entry point of the bundled action: wires the real adapters, runs, and reports failure once.
import * as core from '@actions/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMigrationImage } from './files/build-image';
import { readMigrationProject } from './files/read-project';
import { readInputs } from './inputs/read';
import { createActionIO, type ActionIO } from './report/action-io';
import { reportFailure } from './report/failure';
import { run, type Deps } from './run';

function createDeps(io: ActionIO, env: NodeJS.ProcessEnv): Deps {
  return {
    io,
    env: {
      outputRoot: env.RUNNER_TEMP || os.tmpdir(),
      ...(env.GITHUB_SERVER_URL ? { githubServerUrl: env.GITHUB_SERVER_URL } : {}),
      ...(env.GITHUB_REPOSITORY ? { githubRepository: env.GITHUB_REPOSITORY } : {}),
      ...(env.GITHUB_SHA ? { githubSha: env.GITHUB_SHA } : {}),
    },
    readProject: readMigrationProject,
    readTextFile: (file) => readFile(file, 'utf8'),
    writeTextFile: async (file, text) => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    },
    buildImage: buildMigrationImage,
  };
}

async function main(): Promise<void> {
  const io = createActionIO();
  try {
    const settings = readInputs();
    await run(settings, createDeps(io, process.env));
  } catch (error) {
    core.setFailed(reportFailure(io, error));
  }
}

void main();
