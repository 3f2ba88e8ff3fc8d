// Reads atlas.sum the way Atlas does (HashFile.UnmarshalText), keeping line numbers so each
// problem can point at the line to look at.

export interface RecordedEntry {
  readonly name: string;
  readonly hash: string;
  /** 1-based line in atlas.sum. */
  readonly line: number;
}

export interface MalformedLine {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedSumFile {
  /** The first line without its `h1:` prefix (Atlas trims the prefix and compares the rest). */
  readonly total: string;
  readonly entries: readonly RecordedEntry[];
  readonly malformed: readonly MalformedLine[];
}

const CONFLICT_MARKER = /^(<{7}|={7}|>{7}|\|{7})( |$)/;

export function parseSumFile(text: string): ParsedSumFile {
  const lines = scanLines(text);
  if (lines.length === 0) {
    return { total: '', entries: [], malformed: [{ line: 1, reason: 'atlas.sum is empty' }] };
  }
  const entries: RecordedEntry[] = [];
  const malformed: MalformedLine[] = [];
  const firstLineOf = new Map<string, number>();
  lines.slice(1).forEach((text, index) => {
    const line = index + 2;
    // Atlas splits at the first `h1:` and trims only the name, so the hash must be exact.
    const at = text.indexOf('h1:');
    if (at === -1) {
      malformed.push({ line, reason: describeBadLine(line, text) });
      return;
    }
    const name = text.slice(0, at).trim();
    const seen = firstLineOf.get(name);
    if (seen !== undefined) {
      malformed.push({ line, reason: `line ${line} lists ${name} again (first on line ${seen})` });
      return;
    }
    firstLineOf.set(name, line);
    entries.push({ name, hash: text.slice(at + 3), line });
  });
  const first = lines[0]!;
  const total = first.startsWith('h1:') ? first.slice(3) : first;
  return { total, entries, malformed };
}

function describeBadLine(line: number, text: string): string {
  if (CONFLICT_MARKER.test(text)) return `line ${line} is a leftover merge conflict marker`;
  if (text.trim() === '') return `line ${line} is empty`;
  return `line ${line} is not of the form '<file> h1:<hash>'`;
}

/** bufio.ScanLines: split at `\n`, drop one trailing `\r`, no empty line after a final `\n`. */
function scanLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
