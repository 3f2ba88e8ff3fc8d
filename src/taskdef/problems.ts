// Problems are collected and thrown together, so one run shows the user everything to fix.
import { ValidationErrors } from '../errors';

export class Problems {
  private readonly errors: Error[] = [];

  add(...errors: Error[]): void {
    this.errors.push(...errors);
  }

  get size(): number {
    return this.errors.length;
  }

  /** A single problem is thrown as itself (a FileProblem keeps its location for annotations). */
  throwIfAny(): void {
    if (this.errors.length === 1) throw this.errors[0]!;
    if (this.errors.length > 1) throw new ValidationErrors([...this.errors]);
  }
}

/** `"a", "b" and "c"`, for messages listing names. */
export function quoteList(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}
