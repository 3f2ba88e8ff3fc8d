// Markdown for the job summary of a real run: the migration's result first, then what was shipped
// and where to look. Pure: data in, text out.
import type { DeploymentLinks } from '../deploy/console-links';
import { describeRollback } from '../deploy/rollback-words';
import type { DeploymentReport } from '../deploy/run-deployment';
import type { AppFailure } from '../deploy/watch';
import { taskIdOf } from '../deploy/log-stream';
import type { MigrationTaskFailure, MigrationTaskTimeout } from '../deploy/run-task';
import { atlasCommandLine, tableCell } from './command-line';
import { logTailDetails } from './log-tail';
import { renderMigrationSection, type MigrationSectionFacts } from './render-migration';
import { errorText, fence, formatBytes, type ImageFacts } from './render-summary';

export interface PushFacts {
  readonly alreadyPresent: boolean;
  readonly uploaded: number;
  readonly mounted: number;
  readonly existing: number;
  readonly bytesUploaded: number;
  readonly tags: readonly string[];
}

/** The GitHub deployment that records the deploy. */
export interface GitHubDeploymentFacts {
  readonly id: number;
  readonly environment: string;
  /** The environment's page among the repository's Deployments. */
  readonly url?: string;
}

export interface DeployFacts {
  readonly image: ImageFacts;
  readonly push: PushFacts;
  readonly service: string;
  readonly cluster: string;
  readonly family: string;
  readonly taskDefinitionFile: string;
  readonly taskDefinitionDiff: string;
  readonly report: DeploymentReport;
  readonly links: DeploymentLinks;
  /** What Atlas applied (or failed on), from its report. */
  readonly migration?: MigrationSectionFacts;
  /** The migration container's command (Atlas's arguments). */
  readonly command?: readonly string[];
  /** Absent when none was recorded. */
  readonly githubDeployment?: GitHubDeploymentFacts;
}

const HEADLINES = {
  succeeded: '✅ Migration applied and the service is stable',
  failed: '❌ Deployment failed',
  skipped: '⏭️ Deployed without waiting: the migration result is not known',
} as const;

function link(label: string, url: string | undefined): string | undefined {
  return url ? `[${label}](${url})` : undefined;
}

export function renderDeploySummary(facts: DeployFacts): string {
  const { report } = facts;
  const failed = report.error !== undefined;
  const lines: string[] = [];
  const headline = failed ? HEADLINES.failed : HEADLINES[report.migrationStatus];
  lines.push(`## Atlas ECS deploy: ${facts.service}`, '', `### ${headline}`, '');

  const outcome = report.outcome;
  if (outcome?.status === 'failed' && outcome.kind === 'migration') {
    if (facts.migration) lines.push(...renderMigrationSection(facts.migration));
    else if (outcome.errorLines.length > 0) {
      lines.push(errorText(outcome.errorLines.join('\n')), '');
    }
    lines.push(`The migration container exited with code ${outcome.exitCode}.`);
    if (outcome.stoppedReason) lines.push(`ECS: ${outcome.stoppedReason}`);
    lines.push('');
    if (outcome.logTail.length > 0) {
      lines.push(...logTailDetails(outcome.logTail));
    } else if (outcome.logProblem) {
      lines.push(`The log could not be read: ${outcome.logProblem}`, '');
    }
  } else if (report.error) {
    // The rollback gets its own line below: the whole message would say it twice.
    lines.push(errorText(report.rollback ? report.error.problem : report.error.message), '');
    if (outcome?.appFailure) lines.push(...appFailureLines(outcome.appFailure));
    if (facts.migration && facts.migration.targets.length > 0) {
      lines.push('The migration itself succeeded:', '', ...renderMigrationSection(facts.migration));
    }
  } else if (facts.migration) {
    lines.push(...renderMigrationSection(facts.migration));
  }
  if (report.rollback) {
    const words = describeRollback(report.rollback, report.deployed.previousTaskDefinitionArn);
    lines.push(`${report.rollback.rolledBack ? '↩️' : '⚠️'} ${codeArns(words)}`, '');
  } else if (report.replacedBy) {
    lines.push(
      `⚠️ Not rolled back: deployment \`${report.replacedBy.id}\` (\`${report.replacedBy.taskDefinitionArn ?? 'unknown task definition'}\`), started by someone else, had replaced this one; rolling back would have undone it.`,
      '',
    );
  }

  const push = facts.push;
  const moved = push.alreadyPresent
    ? 'already in the registry: nothing uploaded'
    : `${push.uploaded} blobs uploaded (${formatBytes(push.bytesUploaded)}), ${push.mounted} mounted, ${push.existing} already there`;
  lines.push('| Deploy | Details |', '|---|---|');
  lines.push(`| Migration | ${report.migrationStatus} |`);
  if (facts.command && facts.command.length > 0) {
    lines.push(`| Atlas | ${tableCell(atlasCommandLine(facts.command))} |`);
  }
  lines.push(`| Image | \`${facts.image.reference}\` |`);
  lines.push(`| Push | ${moved}; tags ${push.tags.map((t) => `\`${t}\``).join(', ')} |`);
  lines.push(
    `| Layer | ${facts.image.fileCount} files, ${formatBytes(facts.image.layerSize)} (${facts.image.platform}) |`,
  );
  lines.push(`| Task definition | \`${report.deployed.taskDefinitionArn}\` |`);
  lines.push(`| Previous | \`${report.deployed.previousTaskDefinitionArn}\` |`);
  lines.push(`| Deployment | \`${report.deployed.deploymentId}\` |`);
  const recorded = facts.githubDeployment;
  if (recorded) {
    lines.push(
      `| GitHub deployment | ${link(String(recorded.id), recorded.url) ?? recorded.id} in \`${tableCell(recorded.environment)}\` |`,
    );
  }
  const links = [
    link('service', facts.links.service),
    link('task definition', facts.links.taskDefinition),
    link('stopped task', facts.links.task),
    link('migration log', facts.links.logStream),
  ].filter((l): l is string => l !== undefined);
  if (links.length > 0) lines.push(`| Console | ${links.join(' · ')} |`);
  lines.push('');
  lines.push(
    '<details><summary>Task definition changes</summary>',
    '',
    fence(facts.taskDefinitionDiff, 'diff'),
    '',
    '</details>',
    '',
  );
  return lines.join('\n');
}

export interface MigrationTaskFailureFacts {
  readonly service: string;
  readonly image: ImageFacts;
  readonly push: PushFacts;
  readonly outcome: MigrationTaskFailure | MigrationTaskTimeout;
  readonly migration?: MigrationSectionFacts;
}

/** run-task mode, when the one-off migration task did not succeed: the service was not touched. */
export function renderMigrationTaskFailure(facts: MigrationTaskFailureFacts): string {
  const { outcome } = facts;
  const lines = [`## Atlas ECS deploy: ${facts.service}`, '', `### ${HEADLINES.failed}`, ''];
  if (facts.migration) {
    lines.push(...renderMigrationSection(facts.migration));
    lines.push(`${firstLine(outcome.message)}`, '');
  } else {
    lines.push(errorText(outcome.message), '');
  }
  if (outcome.status === 'failed' && outcome.kind !== 'not-started' && outcome.logTail.length > 0) {
    lines.push(...logTailDetails(outcome.logTail));
  }
  lines.push('| Deploy | Details |', '|---|---|');
  lines.push('| Migration | failed (standalone task); the service was not updated |');
  lines.push(`| Image | \`${facts.image.reference}\` |`);
  lines.push(`| Migration task definition | \`${outcome.taskDefinitionArn}\` |`);
  lines.push('');
  return lines.join('\n');
}

/** The app container that failed after a good migration: its exit, ECS's reason, its log. */
function appFailureLines(app: AppFailure): string[] {
  const how =
    app.exitCode !== undefined
      ? `exited with code ${app.exitCode}${app.reason ? ` (${app.reason})` : ''}`
      : app.kind === 'elb-health-check' || app.kind === 'container-health-check'
        ? 'failed its health checks'
        : `stopped${app.reason ? ` (${app.reason})` : ''}`;
  const lines = [
    `The migration succeeded; then the app container \`${app.container}\` ${how} in task \`${taskIdOf(app.taskArn)}\`.`,
  ];
  if (app.stoppedReason) lines.push(`ECS: ${app.stoppedReason}`);
  lines.push('');
  if (app.logTail.length > 0)
    lines.push(...logTailDetails(app.logTail, `Log tail of ${app.container}`));
  else if (app.logProblem) lines.push(`Its log could not be read: ${app.logProblem}`, '');
  return lines;
}

/** ARNs set in code spans, so they read as names (and break only where GitHub breaks code). */
function codeArns(text: string): string {
  return text.replace(/\barn:aws[\w-]*:[^\s()]+?(?=[.,;]?(?:\s|\)|$))/g, (arn) => `\`${arn}\``);
}

/** The first line of a multi-line message: its headline. */
export function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
