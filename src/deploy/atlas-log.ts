// Reading Atlas's output in a container's log events. Pure: messages in, lines out.
//
// `atlas migrate apply` writes its failure to stderr as `Error: <cause>`; with
// `--format '{{ json . }}'` the report on stdout carries the same cause in a top-level "Error" field.
import { redactPasswordsInText } from '../migrations/url-password';

/** Lines kept from the end of a failed migration's log. */
export const DEFAULT_TAIL_LINES = 50;
/** Longer lines are cut: a statement in an error can be a whole migration file. */
export const MAX_LINE_LENGTH = 2000;

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
/** `Error: …`, after an optional RFC 3339 timestamp that a log router may prepend. */
const ERROR_LINE = /^(?:\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?\s+)?(Error:(?:\s.*)?)$/;

function cut(line: string): string {
  return line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH - 1)}…` : line;
}

/**
 * Log event messages as lines: an event may hold several lines (or a trailing newline), colour
 * codes are dropped, trailing blank lines are not kept, and database passwords are hidden: Atlas
 * quotes the URL it failed to connect to, and these lines go to annotations and the summary.
 */
export function logLines(messages: readonly string[]): string[] {
  const lines: string[] = [];
  for (const message of messages) {
    const text = message.replace(ANSI_ESCAPE, '').replace(/\r?\n$/, '');
    for (const line of text.split(/\r?\n|\r/)) lines.push(redactPasswordsInText(line.trimEnd()));
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Atlas's `Error:` lines, in order and without repeats (stderr and the JSON report agree). */
export function extractAtlasErrors(lines: readonly string[]): string[] {
  const found: string[] = [];
  const add = (line: string): void => {
    const kept = cut(line);
    if (!found.includes(kept)) found.push(kept);
  };
  for (const raw of lines) {
    const line = raw.replace(ANSI_ESCAPE, '').trim();
    const match = ERROR_LINE.exec(line);
    if (match) {
      add(match[1]!);
      continue;
    }
    const fromJson = jsonReportError(line);
    if (fromJson !== undefined) add(`Error: ${fromJson}`);
  }
  return found;
}

/** The "Error" of a JSON report line (`--format '{{ json . }}'`), if the line is one. */
function jsonReportError(line: string): string | undefined {
  if (!line.startsWith('{') || !line.endsWith('}') || !line.includes('"Error"')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const error = (parsed as Record<string, unknown>).Error;
    return typeof error === 'string' && error.trim() !== '' ? error.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The last `max` lines, each cut to MAX_LINE_LENGTH. */
export function logTail(lines: readonly string[], max: number = DEFAULT_TAIL_LINES): string[] {
  if (max <= 0) return [];
  return lines.slice(-max).map(cut);
}
