// Detects the `atlas:sum ignore` file directive exactly as Atlas does, because a file Atlas hashes
// and we skip (or the reverse) would make our atlas.sum check disagree with `migrate apply`.

// Atlas's own pattern (sql/migrate/dir.go, `reDirective`, as of Atlas v1.1), with Go's `.` spelled
// `[^\n]`: JavaScript's `.` also stops at `\r`, Go's does not. Unanchored to lines (no `m` flag) like
// Go's default, so only the first line of the file can hold the directive.
const DIRECTIVE = /^([ -~]*)atlas:(\w+)(?: +([^\n]+))*/;

/**
 * Whether Atlas leaves this migration file's content out of atlas.sum (its name still counts).
 *
 * Atlas matches its pattern against the whole file: the first line must contain `atlas:sum`
 * after any printable-ASCII prefix (`-- `, `#`, `//`, nothing), followed by spaces and exactly
 * `ignore` up to the line end. Since Atlas v1.1 the argument runs to the newline, so a CRLF line
 * gives `ignore\r` and the file is hashed; older releases stopped at `\r` and ignored it.
 */
export function isSumIgnored(content: Buffer): boolean {
  const newline = content.indexOf(0x0a);
  // latin1 maps each byte to one character, so the ASCII classes match byte for byte like Go's.
  const firstLine = content
    .subarray(0, newline === -1 ? content.length : newline)
    .toString('latin1');
  const match = DIRECTIVE.exec(firstLine);
  return match !== null && match[2] === 'sum' && match[3] === 'ignore';
}
