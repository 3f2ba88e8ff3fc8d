// The block and attribute structure of an HCL file, with source positions.
//
// HashiCorp's parser (through @cdktf/hcl2json) decides whether a file is valid HCL, but its JSON
// form drops every source position and rejects a file that mixes labeled and unlabeled blocks of
// one type, which is exactly Atlas's `env "x" { }` next to `env { name = atlas.env }`. So once the
// parser has accepted a file, this walks its structure directly. It relies on that validation and
// does not try to report syntax errors of its own.
import { stringLiteralValue } from './hcl-string';

export interface HclAttribute {
  readonly name: string;
  /** 1-based line and column of the attribute name. */
  readonly line: number;
  readonly column: number;
  /** The expression's source text, without surrounding blanks or a trailing comment. */
  readonly expression: string;
}

export interface HclBlock {
  /** Empty for the file body itself. */
  readonly type: string;
  readonly labels: readonly string[];
  readonly line: number;
  readonly column: number;
  readonly attributes: readonly HclAttribute[];
  readonly blocks: readonly HclBlock[];
}

/** `text` must already have been accepted by an HCL parser. */
export function outlineHcl(text: string): HclBlock {
  return new Scanner(text).file();
}

const IDENTIFIER = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const HEREDOC_HEADER = /<<-?([\p{ID_Start}_][\p{ID_Continue}-]*)\r?\n/uy;
const OPENERS = '([{';
const CLOSERS = ')]}';

interface MutableBlock {
  type: string;
  labels: string[];
  line: number;
  column: number;
  attributes: HclAttribute[];
  blocks: MutableBlock[];
}

class Scanner {
  private pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  file(): HclBlock {
    // A byte order mark is accepted by HCL and is no part of the first identifier.
    if (this.text.startsWith('\uFEFF')) this.pos = 1;
    const root: MutableBlock = {
      type: '',
      labels: [],
      line: 1,
      column: 1,
      attributes: [],
      blocks: [],
    };
    this.body(root, false);
    return root;
  }

  private body(block: MutableBlock, nested: boolean): void {
    for (;;) {
      this.skipBlanks(true);
      if (this.pos >= this.text.length) {
        if (nested) this.fail('a closing brace');
        return;
      }
      if (this.text[this.pos] === '}') {
        if (!nested) this.fail('an attribute or block');
        this.pos++;
        return;
      }
      const start = this.pos;
      const name = this.identifier();
      this.skipBlanks(false);
      if (this.text[this.pos] === '=' && this.text[this.pos + 1] !== '=') {
        this.pos++;
        block.attributes.push({ name, ...this.position(start), expression: this.expression() });
        continue;
      }
      const child: MutableBlock = {
        type: name,
        labels: [],
        ...this.position(start),
        attributes: [],
        blocks: [],
      };
      for (;;) {
        this.skipBlanks(false);
        const c = this.text[this.pos];
        if (c === '{') break;
        if (c === '"') {
          const labelStart = this.pos;
          this.quoted();
          const label = stringLiteralValue(this.text.slice(labelStart, this.pos));
          if (label === undefined) this.fail('a literal block label');
          child.labels.push(label);
        } else {
          child.labels.push(this.identifier());
        }
      }
      this.pos++;
      this.body(child, true);
      block.blocks.push(child);
    }
  }

  /** Scans to the end of an attribute's expression: a newline or the `}` of a one-line block. */
  private expression(): string {
    this.skipBlanks(false);
    const start = this.pos;
    let end = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\n' && depth === 0) break;
      if (this.comment()) continue;
      if (c === '"') {
        this.quoted();
        end = this.pos;
        continue;
      }
      if (this.heredoc()) {
        end = this.pos;
        continue;
      }
      if (c === '}' && depth === 0) break;
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      this.pos++;
      if (!/\s/.test(c)) end = this.pos;
    }
    return this.text.slice(start, end);
  }

  /** Skips a quoted string, including any `${ }` / `%{ }` sequences inside it. */
  private quoted(): void {
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      const next = this.text[this.pos + 1];
      if (c === '\\') {
        this.pos += 2;
      } else if (c === '"') {
        this.pos++;
        return;
      } else if ((c === '$' || c === '%') && next === c && this.text[this.pos + 2] === '{') {
        this.pos += 3;
      } else if ((c === '$' || c === '%') && next === '{') {
        this.pos += 2;
        this.templateSequence();
      } else {
        this.pos++;
      }
    }
    this.fail('a closing quote');
  }

  /** Skips the inside of `${ ... }` up to and including its closing brace. */
  private templateSequence(): void {
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (this.comment()) continue;
      if (c === '"') {
        this.quoted();
        continue;
      }
      if (this.heredoc()) continue;
      if (c === '}' && depth === 0) {
        this.pos++;
        return;
      }
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      this.pos++;
    }
    this.fail('the end of a template sequence');
  }

  /** Skips a heredoc from `<<` to the end of its closing marker, if one starts here. */
  private heredoc(): boolean {
    HEREDOC_HEADER.lastIndex = this.pos;
    const header = HEREDOC_HEADER.exec(this.text);
    if (header === null) return false;
    const marker = header[1]!;
    let lineStart = this.pos + header[0].length;
    while (lineStart <= this.text.length) {
      const newline = this.text.indexOf('\n', lineStart);
      const lineEnd = newline === -1 ? this.text.length : newline;
      if (this.text.slice(lineStart, lineEnd).trim() === marker) {
        this.pos = lineEnd;
        return true;
      }
      if (newline === -1) break;
      lineStart = newline + 1;
    }
    this.fail(`the heredoc end marker ${marker}`);
  }

  /** Skips a comment if one starts here. Line comments stop before their newline. */
  private comment(): boolean {
    const c = this.text[this.pos];
    const next = this.text[this.pos + 1];
    if (c === '#' || (c === '/' && next === '/')) {
      const newline = this.text.indexOf('\n', this.pos);
      this.pos = newline === -1 ? this.text.length : newline;
      return true;
    }
    if (c === '/' && next === '*') {
      const close = this.text.indexOf('*/', this.pos + 2);
      if (close === -1) this.fail('the end of a comment');
      this.pos = close + 2;
      return true;
    }
    return false;
  }

  private skipBlanks(newlines: boolean): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.pos++;
      else if (!this.comment()) return;
    }
  }

  private identifier(): string {
    IDENTIFIER.lastIndex = this.pos;
    const match = IDENTIFIER.exec(this.text);
    if (match === null) this.fail('an identifier');
    this.pos += match[0].length;
    return match[0];
  }

  private position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    // HCL counts columns in characters, not UTF-16 units.
    const column = [...this.text.slice(this.lineStarts[low]!, offset)].length + 1;
    return { line: low + 1, column };
  }

  private fail(expected: string): never {
    const { line, column } = this.position(this.pos);
    throw new Error(
      `HCL outline: expected ${expected} at ${line}:${column} in a file the parser accepted`,
    );
  }
}
