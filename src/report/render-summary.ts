// Markdown for the job summary. Pure: data in, text out.
import { codeSpan, tableCell } from './command-line';
import type { PlannedCall } from './plan';

export interface ImageFacts {
  readonly reference: string;
  readonly digest: string;
  readonly platform: string;
  readonly base: string;
  readonly baseDigest: string;
  readonly layerDigest: string;
  readonly layerSize: number;
  readonly layerUncompressedSize: number;
  readonly fileCount: number;
  readonly layoutDir: string;
}

export interface DryRunFacts {
  readonly image: ImageFacts;
  readonly migrations: readonly string[];
  /** The Atlas Cloud directory (`atlas://app`) the env reads instead of shipped files. */
  readonly cloudDirectory?: string;
  readonly taskDefinitionFile: string;
  readonly family: string;
  readonly taskDefinitionDiff: string;
  readonly plan: readonly PlannedCall[];
  readonly warnings: readonly string[];
}

/** How many migration names are listed before the rest collapse into a count. */
const MIGRATIONS_SHOWN = 50;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * An error message to read, not to copy as code: each line in inline code, which wraps where a
 * fenced block would need scrolling sideways, quoted so it stands apart from the prose.
 */
export function errorText(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => `> ${codeSpan(line)}`)
    .join('\n>\n');
}

export function fence(text: string, language: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${text.endsWith('\n') ? text : `${text}\n`}${ticks}`;
}

/** The run's warnings as a section of its summary, dry or real; nothing for none. */
export function renderWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return ['### Warnings', '', ...warnings.map((w) => `- ${tableCell(w)}`), ''].join('\n');
}

export function renderDryRunSummary(facts: DryRunFacts): string {
  const { image } = facts;
  const lines: string[] = [];
  lines.push('## Atlas ECS deploy: dry run', '');
  lines.push('Nothing was pushed and no AWS call was made. This is what a real run would do.', '');
  if (facts.warnings.length > 0) lines.push(renderWarnings(facts.warnings));
  lines.push('### Migration image', '');
  lines.push('| Dry run | Details |', '|---|---|');
  lines.push(`| Image | \`${tableCell(image.reference)}\` |`);
  lines.push(`| Digest | \`${image.digest}\` |`);
  lines.push(`| Platform | ${tableCell(image.platform)} |`);
  lines.push(`| Base | \`${tableCell(image.base)}\` (\`${image.baseDigest}\`) |`);
  lines.push(
    `| Migration layer | \`${image.layerDigest}\`: ${formatBytes(image.layerSize)} compressed, ${formatBytes(image.layerUncompressedSize)} uncompressed, ${image.fileCount} files |`,
  );
  lines.push(`| OCI layout | \`${tableCell(image.layoutDir)}\` |`, '');

  if (facts.cloudDirectory !== undefined) {
    lines.push('### Migrations', '');
    lines.push(
      `From Atlas Cloud: \`${tableCell(facts.cloudDirectory)}\`. Atlas pulls them in the migration container with its \`ATLAS_TOKEN\`; the image holds only the project file.`,
      '',
    );
  } else {
    lines.push(`### Migrations (${facts.migrations.length})`, '');
  }
  const shown = facts.migrations.slice(0, MIGRATIONS_SHOWN);
  lines.push(...shown.map((name) => `- \`${tableCell(name)}\``));
  if (facts.migrations.length > shown.length) {
    lines.push(`- … and ${facts.migrations.length - shown.length} more`);
  }
  lines.push('');

  lines.push(`### Task definition \`${tableCell(facts.family)}\``, '');
  lines.push(`Rendered to \`${tableCell(facts.taskDefinitionFile)}\`.`, '');
  lines.push(
    '<details open><summary>Changes</summary>',
    '',
    fence(facts.taskDefinitionDiff, 'diff'),
    '',
    '</details>',
    '',
  );

  lines.push('### Plan of a real run', '');
  lines.push('| Phase | Call | What |', '|---|---|---|');
  for (const step of facts.plan) {
    lines.push(`| ${step.phase} | \`${tableCell(step.call)}\` | ${tableCell(step.detail)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
