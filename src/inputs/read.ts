// The only module that reads action inputs. Everything else receives the Settings it returns.
import * as core from '@actions/core';
import * as fs from 'node:fs';
import { INPUT_NAMES, looksLikeAtlasToken, parseInputs, type RawInputs } from './parse';
import type { Settings } from './settings';

export function readInputs(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: Partial<Record<(typeof INPUT_NAMES)[number], string>> = {};
  for (const name of INPUT_NAMES) raw[name] = core.getInput(name);
  // A token pasted where its secret's name belongs is refused without being echoed; masked too,
  // so that nothing printed later can show it.
  const token = raw['atlas-token-secret'];
  if (token && looksLikeAtlasToken(token)) core.setSecret(token);
  // The GitHub token is masked before anything (a validation error included) can print it.
  const githubToken = raw['github-token'];
  if (githubToken) core.setSecret(githubToken);
  return parseInputs(raw as RawInputs, {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    isFile: (absolutePath) => {
      try {
        return fs.statSync(absolutePath).isFile();
      } catch {
        return false;
      }
    },
  });
}
