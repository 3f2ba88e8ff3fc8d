// Atlas's file directives (`-- atlas:txmode none`) are read from a migration file's header only:
// the comment lines at its top, ended by an empty line. A directive directly above a statement is
// that statement's comment, and Atlas ignores it without a word: a `txmode none` file then runs in
// a transaction, and a CREATE INDEX CONCURRENTLY in it fails only in the task. Pure.
import type { ConfigWarning } from './env-migration';

const DIRECTIVE = /^--\s*atlas:txmode\b.*$/;
const COMMENT = /^\s*(--|#)/;

/** Warnings for a migration file's txmode directive that Atlas would not read. */
export function directiveWarnings(file: string, head: string): ConfigWarning[] {
  const lines = head.split(/\r?\n/);
  const warnings: ConfigWarning[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!COMMENT.test(line)) break; // past the header: directives below it are never read
    if (!DIRECTIVE.test(line.trim())) continue;
    let end = i + 1;
    while (end < lines.length && COMMENT.test(lines[end]!)) end++;
    const next = lines[end];
    if (next !== undefined && next.trim() !== '') {
      warnings.push({
        location: { file, line: i + 1 },
        message: `"${line.trim()}" is followed by a statement, not by an empty line, so Atlas takes it for that statement's comment and ignores it (the file runs with the default transaction mode). Fix: put an empty line after the directive`,
      });
    }
  }
  return warnings;
}
