import { FileProblem, InputError, RemoteError, ValidationErrors } from '../../src/errors';
import type { ActionIO } from '../../src/report/action-io';
import { reportFailure } from '../../src/report/failure';

function fakeIO() {
  const errors: Array<{ message: string; location: unknown }> = [];
  const io = {
    error: (message: string, location?: unknown) => errors.push({ message, location }),
  } as unknown as ActionIO;
  return { io, errors };
}

describe('reportFailure', () => {
  it('fails with the message of a single error and adds no annotation of its own', () => {
    const { io, errors } = fakeIO();
    const message = reportFailure(
      io,
      new RemoteError('ecs:UpdateService', 'service api', 'throttled'),
    );
    expect(message).toBe('ecs:UpdateService on service api failed: throttled');
    expect(errors).toEqual([]);
  });

  it('annotates file problems at their file and line', () => {
    const { io, errors } = fakeIO();
    const problem = new FileProblem({ file: 'migrations/atlas.sum', line: 3 }, 'edited', 'rehash');
    const message = reportFailure(io, new ValidationErrors([problem]));
    expect(errors).toEqual([
      { message: problem.message, location: { file: 'migrations/atlas.sum', line: 3 } },
    ]);
    expect(message).toMatch(/^A problem was found .*nothing was pushed or deployed/);
  });

  it('annotates each of several problems and counts them', () => {
    const { io, errors } = fakeIO();
    const message = reportFailure(
      io,
      new ValidationErrors([
        new InputError('mode', 'bad', 'fix'),
        new InputError('cluster', 'bad', 'fix'),
      ]),
    );
    expect(errors.map((e) => e.message)).toEqual([
      "Input 'mode': bad. Fix: fix",
      "Input 'cluster': bad. Fix: fix",
    ]);
    expect(message).toMatch(/^2 problems were found in the inputs or files/);
  });

  it('copes with things thrown that are not errors', () => {
    const { io } = fakeIO();
    expect(reportFailure(io, 'plain text')).toBe('plain text');
  });
});
