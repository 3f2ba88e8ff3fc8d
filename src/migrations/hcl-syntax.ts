// Checks that a file is valid HCL, with HashiCorp's own HCL2 parser (Go, compiled to WebAssembly in
// @cdktf/hcl2json): it accepts and rejects exactly what Atlas's parser does, so a file that passes
// here will not fail to parse inside the migration task, and one that fails is reported at the same
// position Atlas would give.
import { parse } from '../util/hcl2json';
import { FileProblem } from '../errors';

/** Syntax problems of `text`, located in `file` (workspace-relative); empty when it parses. */
export async function hclSyntaxProblems(file: string, text: string): Promise<FileProblem[]> {
  try {
    await parse(file, text);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Only "parse config" failures are syntax errors. The JSON conversion that follows also fails
    // on valid files (labeled and unlabeled blocks of one type), which is no problem of the file.
    if (message.startsWith('convert to HCL:')) return [];
    if (!message.startsWith('parse config:')) throw error;
    return diagnostics(file, message);
  }
}

/**
 * Splits `parse config: [f:2,8-3,1: Summary; Detail. f:3,2-4,1: ...]` into one problem per
 * diagnostic (HCL's `file:line,column-line,column: summary; detail`).
 */
function diagnostics(file: string, message: string): FileProblem[] {
  const body = message.replace(/^parse config: \[/, '').replace(/\]$/, '');
  const subject = new RegExp(
    `(?:^|\\s)${escapeRegExp(file)}:(\\d+),(\\d+)(?:-\\d+(?:,\\d+)?)?: `,
    'g',
  );
  const starts = [...body.matchAll(subject)];
  const problems = starts.map((match, i) => {
    const textStart = match.index + match[0].length;
    const textEnd = i + 1 < starts.length ? starts[i + 1]!.index : body.length;
    const text = body.slice(textStart, textEnd).trim();
    const [summary = '', ...rest] = text.split('; ');
    const detail = rest.join('; ');
    return new FileProblem(
      { file, line: Number(match[1]), column: Number(match[2]) },
      `invalid HCL: ${summary}${detail ? ` (${detail.replace(/\.$/, '')})` : ''}`,
      `correct the syntax at this position; Atlas parses ${file} with the same HCL parser and would reject it too`,
    );
  });
  if (problems.length === 0) {
    problems.push(
      new FileProblem(
        { file },
        `invalid HCL: ${body}`,
        `correct the syntax; Atlas parses ${file} with the same HCL parser and would reject it too`,
      ),
    );
  }
  return problems;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
