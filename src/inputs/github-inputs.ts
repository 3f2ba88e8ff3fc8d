// The inputs of the GitHub deployment record: `github-token` and `environment`. Pure.
import type { ProblemCollector } from './atlas-options';
import type { RawInputs } from './parse';
import { shown } from './shown';

/** GitHub refuses longer environment names. */
export const MAX_ENVIRONMENT_NAME_LENGTH = 255;
const CONTROL_RE = /\p{Cc}/u;

/** The token as given (inputs/read.ts masked it); absent when empty. */
export function parseGithubToken(raw: RawInputs): string | undefined {
  return raw['github-token'] || undefined;
}

export function parseEnvironment(raw: RawInputs, c: ProblemCollector): string | undefined {
  const value = raw.environment;
  if (!value) return undefined;
  if (CONTROL_RE.test(value)) {
    return c.fail(
      'environment',
      `${shown(value)} holds a line break or another control character`,
      'give one GitHub environment name, e.g. production',
    );
  }
  if (value.length > MAX_ENVIRONMENT_NAME_LENGTH) {
    return c.fail(
      'environment',
      `${shown(value)} is ${value.length} characters long; GitHub allows ${MAX_ENVIRONMENT_NAME_LENGTH}`,
      'use a shorter environment name',
    );
  }
  return value;
}
