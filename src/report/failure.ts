// Turns whatever stopped the run into annotations and the one message the step fails with.
import { errorMessage, FileProblem, InputError, ValidationErrors } from '../errors';
import type { ActionIO } from './action-io';

/** Annotates each problem where it is (file and line when known), then fails the step once. */
export function reportFailure(io: ActionIO, error: unknown): string {
  const problems = error instanceof ValidationErrors ? error.errors : [error];
  if (problems.length === 1 && !(problems[0] instanceof FileProblem))
    return errorMessage(problems[0]);
  for (const problem of problems) {
    if (problem instanceof FileProblem) io.error(problem.message, problem.location);
    else io.error(errorMessage(problem));
  }
  const inputs = problems.some((p) => p instanceof InputError);
  return `${problems.length === 1 ? 'A problem was' : `${problems.length} problems were`} found${inputs ? ' in the inputs or files' : ''} (see the annotations above); nothing was pushed or deployed.`;
}
