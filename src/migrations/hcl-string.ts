// Decodes HCL quoted strings, so a literal `dir`, `format` or `url` can be checked as the value
// Atlas will see.

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

export interface StringTemplate {
  /** The decoded text before the first `${...}` or `%{...}` sequence (all of it when none). */
  readonly prefix: string;
  /** True when there is no such sequence: `prefix` is then the whole value. */
  readonly literal: boolean;
}

/**
 * Reads `raw` (quotes included) when it is one quoted string; undefined for any other expression
 * (a reference, a function call, a heredoc, `"a" == "b"`, ...).
 */
export function readQuotedString(raw: string): StringTemplate | undefined {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return undefined;
  let prefix = '';
  let literal = true;
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    const next = raw[i + 1];
    if ((c === '$' || c === '%') && next === c && raw[i + 2] === '{') {
      // `$${` and `%%{` are the escapes for a literal `${` and `%{`.
      if (literal) prefix += `${c}{`;
      i += 2;
    } else if ((c === '$' || c === '%') && next === '{') {
      literal = false;
      i = skipSequence(raw, i + 2) - 1;
      if (i >= raw.length - 1) return undefined;
    } else if (c === '"') {
      return undefined; // a quote closed earlier: this is more than one string
    } else if (c === '\\') {
      const decoded = decodeEscape(raw, i);
      if (decoded === undefined) return undefined;
      if (literal) prefix += decoded.text;
      i += decoded.length - 1;
    } else if (literal) {
      prefix += c;
    }
  }
  return { prefix, literal };
}

/** The value of a plain string literal; undefined for anything else, templates included. */
export function stringLiteralValue(raw: string): string | undefined {
  const read = readQuotedString(raw);
  return read?.literal ? read.prefix : undefined;
}

function decodeEscape(raw: string, at: number): { text: string; length: number } | undefined {
  const kind = raw[at + 1];
  const digits = kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
  if (digits > 0) {
    const hex = raw.slice(at + 2, at + 2 + digits);
    if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const codePoint = parseInt(hex, 16);
    if (codePoint > 0x10ffff) return undefined;
    return { text: String.fromCodePoint(codePoint), length: 2 + digits };
  }
  const text = kind === undefined ? undefined : ESCAPES[kind];
  return text === undefined ? undefined : { text, length: 2 };
}

/** Index just past the `}` closing a template sequence whose body starts at `from`. */
function skipSequence(raw: string, from: number): number {
  let depth = 0;
  for (let i = from; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      i = skipNestedString(raw, i);
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
  }
  return raw.length;
}

/** Index of the quote closing the string that opens at `from`, template sequences included. */
function skipNestedString(raw: string, from: number): number {
  for (let i = from + 1; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
    else if ((c === '$' || c === '%') && raw[i + 1] === '{') i = skipSequence(raw, i + 2) - 1;
  }
  return raw.length;
}
