// A second, position-aware pass over JSON text. JSON.parse does the real parsing; it only sometimes
// says where it failed (V8 omits the position for "Unexpected token"), and never where a value sits,
// which annotations need to point at the offending container.

export interface JsonScan {
  /** Offset of the first syntax error, when the text is not valid JSON. */
  errorOffset?: number;
  /** Start offset of every value, by JSON pointer ('' is the root, '/a/0' the first item of a). */
  offsets: Map<string, number>;
}

class ScanError extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at ${offset}`);
  }
}

export function scanJson(text: string): JsonScan {
  const offsets = new Map<string, number>();
  let i = 0;

  const fail = (at = i): never => {
    throw new ScanError(at);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) if (text[i++] !== ch) fail(i - 1);
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) fail();
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const ch = text[i]!;
      if (ch === '"') break;
      if (ch < ' ') fail();
      if (ch === '\\') {
        i++;
        const esc = text[i] ?? '';
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(esc) || esc === '') fail();
      }
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (pointer: string): void => {
    skipSpace();
    offsets.set(pointer, i);
    const ch = text[i];
    if (ch === '{') return object(pointer);
    if (ch === '[') return array(pointer);
    if (ch === '"') {
      string();
      return;
    }
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || /[0-9]/.test(ch ?? '')) return number();
    fail();
  };
  const object = (pointer: string): void => {
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail();
      const key = string();
      skipSpace();
      if (text[i] !== ':') fail();
      i++;
      value(`${pointer}/${escapePointer(key)}`);
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail();
    }
  };
  const array = (pointer: string): void => {
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      value(`${pointer}/${index}`);
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail();
    }
  };

  try {
    value('');
    skipSpace();
    if (i < text.length) fail();
    return { offsets };
  } catch (error) {
    if (error instanceof ScanError)
      return { errorOffset: Math.min(error.offset, text.length), offsets };
    // Nesting deep enough to overflow the stack: give up on positions rather than fail the run.
    if (error instanceof RangeError) return { offsets };
    throw error;
  }
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** 1-based line and column of an offset, counting columns in UTF-16 units as editors mostly do. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastNewline };
}
