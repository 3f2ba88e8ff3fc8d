import type { JsonValue } from './types';

/** The rendered file: two-space indent and a final newline, so it diffs cleanly in a repository. */
export function renderTaskDefinition(json: JsonValue): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}
