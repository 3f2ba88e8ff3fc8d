// Reliability suites (__tests__/reliability) publish what they tried as Markdown tables: each
// suite writes reports/<name>.md and prints it, so `npm run reliability` shows every table the
// README quotes, produced by the tests that fail when the behaviour regresses.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPORTS_DIR = path.resolve(__dirname, '..', '..', 'reports');

/** A Markdown table; cells have `|` escaped and newlines flattened. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes reports/<name>.md (a title, a one-line summary, the body) and prints it. */
export function writeReport(name: string, title: string, summary: string, body: string): string {
  const text = `## ${title}\n\n${summary}\n\n${body}\n`;
  mkdirSync(REPORTS_DIR, { recursive: true });
  const file = path.join(REPORTS_DIR, `${name}.md`);
  writeFileSync(file, text);
  process.stdout.write(`\n${text}\n`);
  return file;
}

/** Keeps a run's step summary as reports/summaries/<name>.md, for scripts/render-summaries.js. */
export function keepSummary(name: string, markdown: string): void {
  const dir = path.join(REPORTS_DIR, 'summaries');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.md`), markdown);
}
