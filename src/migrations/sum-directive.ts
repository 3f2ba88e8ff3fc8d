// Detects the `atlas:sum ignore` file directive exactly as Atlas does, because a file Atlas hashes
// and we skip (or the reverse) would make our atlas.sum check disagree with `migrate apply`.

// Atlas's own pattern (sql/migrate/dir.go, `reDirective`, as of Atlas v1.1), with Go's `.` spelled
// `[^\n]`: JavaScript's `.` also stops at `\r`, Go's does not. Unanchored to lines (no `m` flag) like
// Go's default, so only the first line of the file can hold the directive.
const DIRECTIVE = /^([ -~]*)atlas:(\w+)(?: +([^\n]+))*/;
const ATLAS_COLON = Buffer.from('atlas:', 'latin1');

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
  const line = content.subarray(0, newline === -1 ? content.length : newline);
  // The pattern needs `atlas:` on the line; most files lack it, and need no decoding or regex.
  if (line.indexOf(ATLAS_COLON) === -1) return false;
  // latin1 maps each byte to one character, so the ASCII classes match byte for byte like Go's.
  const firstLine = line.toString('latin1');
  const match = DIRECTIVE.exec(firstLine);
  return match !== null && match[2] === 'sum' && match[3] === 'ignore';
}

/**
 * isSumIgnored's answer from the start of a file (`head`), or undefined while it cannot be known
 * yet, so a large file is decided without reading all of it. Once the first line is complete (a
 * newline, or `wholeFile`) it is isSumIgnored itself. Before that, a byte outside printable ASCII
 * already means no: a match needs the whole line to be prefix (printable ASCII), `atlas:sum`,
 * spaces and `ignore`, up to its end. `checked` bytes at the start were found undecided already.
 */
export function sumIgnoredFromHead(
  head: Buffer,
  wholeFile: boolean,
  checked = 0,
): boolean | undefined {
  if (wholeFile || head.indexOf(0x0a, checked) !== -1) return isSumIgnored(head);
  for (let i = checked; i < head.length; i++) {
    const byte = head[i]!;
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return undefined;
}
