// The step summary of mode plan: what a deploy would apply, as Atlas's dry run in the service's
// network reported it, or why the dry run failed. Pure: data in, markdown out.
import type { MigrationTaskOutcome } from '../deploy/run-task';
import { atlasCommandLine, tableCell } from './command-line';
import { logTailDetails } from './log-tail';
import { firstLine } from './render-deploy-summary';
import { renderMigrationSection, type MigrationSectionFacts } from './render-migration';
import { errorText, type ImageFacts } from './render-summary';

export interface PlanSummaryFacts {
  readonly service: string;
  readonly image: ImageFacts;
  readonly outcome: MigrationTaskOutcome;
  readonly migration?: MigrationSectionFacts;
  /** The dry run's command line, as the container runs it. */
  readonly command: readonly string[];
}

export function renderPlanSummary(facts: PlanSummaryFacts): string {
  const { outcome, migration } = facts;
  const lines = [`## Atlas ECS plan: ${facts.service}`, '', `### ${headline(facts)}`, ''];
  if (migration) {
    lines.push(...renderMigrationSection(migration));
    if (outcome.status !== 'succeeded') lines.push(firstLine(outcome.message), '');
  } else if (outcome.status !== 'succeeded') {
    lines.push(errorText(outcome.message), '');
  }
  if (outcome.status === 'failed' && outcome.kind !== 'not-started' && outcome.logTail.length > 0) {
    lines.push(...logTailDetails(outcome.logTail));
  }
  lines.push('| Plan | Details |', '|---|---|');
  lines.push('| Service | not updated: a plan changes nothing |');
  lines.push(`| Dry run | ${tableCell(atlasCommandLine(facts.command))} |`);
  lines.push(`| Image | \`${facts.image.reference}\` |`);
  lines.push(`| Migration task definition | \`${outcome.taskDefinitionArn}\` |`);
  if ('taskArn' in outcome) lines.push(`| Task | \`${outcome.taskArn}\` |`);
  lines.push('');
  return lines.join('\n');
}

function headline(facts: PlanSummaryFacts): string {
  if (facts.outcome.status !== 'succeeded') return '❌ The dry run failed';
  const targets = facts.migration?.targets ?? [];
  if (targets.length === 0) return "⚠️ The dry run succeeded, but Atlas's report could not be read";
  const pending = targets.reduce((n, t) => n + t.pending.length, 0);
  return pending === 0
    ? '✅ Nothing to apply'
    : `📋 ${pending} migration file${pending === 1 ? '' : 's'} would be applied`;
}
