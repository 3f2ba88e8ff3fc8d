// Error types shared by every layer. This module imports nothing so the pure core can use it.

/** Where a problem sits in a file, for a GitHub annotation. Paths are workspace-relative. */
export interface FileLocation {
  file: string;
  line?: number;
  column?: number;
}

/** A bad action input: names the input, the value's problem and the fix. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`Input '${input}': ${problem}. Fix: ${fix}`);
    this.name = 'InputError';
  }
}

/** A problem found in one of the user's files (atlas.sum, atlas.hcl, a task definition). */
export class FileProblem extends Error {
  constructor(
    readonly location: FileLocation,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${formatLocation(location)}: ${problem}. Fix: ${fix}`);
    this.name = 'FileProblem';
  }
}

/** A failed call to AWS or a registry: the operation, the target and the cause. */
export class RemoteError extends Error {
  constructor(
    readonly operation: string,
    readonly target: string,
    readonly causeMessage: string,
    readonly fix?: string,
  ) {
    // AWS's own messages end with a period ("Cluster not found."); one is enough before the fix.
    super(
      `${operation} on ${target} failed: ${fix ? `${causeMessage.replace(/\.+$/, '')}. Fix: ${fix}` : causeMessage}`,
    );
    this.name = 'RemoteError';
  }
}

/**
 * Several problems found in one validation pass, reported together so the user fixes them all
 * in one round trip instead of one per run.
 */
export class ValidationErrors extends Error {
  constructor(readonly errors: readonly Error[]) {
    super(
      errors.length === 1
        ? errors[0]!.message
        : `${errors.length} problems:\n${errors.map((e) => `- ${e.message}`).join('\n')}`,
    );
    this.name = 'ValidationErrors';
  }
}

export function formatLocation(location: FileLocation): string {
  let text = location.file;
  if (location.line !== undefined) text += `:${location.line}`;
  if (location.line !== undefined && location.column !== undefined) text += `:${location.column}`;
  return text;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
