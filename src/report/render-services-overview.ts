// The overview that heads the summary of a step that deployed several services: one row each,
// the outcome first. Pure.
import type { DeploymentReport } from '../deploy/run-deployment';

export interface ServiceRow {
  readonly service: string;
  /** Absent: the step stopped before this service was updated. */
  readonly report: DeploymentReport | undefined;
}

export function renderServicesOverview(rows: readonly ServiceRow[], stopped?: string): string {
  const failed = rows.some((r) => r.report?.error) || stopped !== undefined;
  const lines = [
    `## Atlas ECS deploy: ${rows.length} services`,
    '',
    `### ${failed ? '❌ Deployment failed' : '✅ Every service is migrated and stable'}`,
    '',
  ];
  if (stopped) lines.push(`**Cause:** ${stopped}`, '');
  lines.push('| Service | Result | Task definition | Rollback |', '|---|---|---|---|');
  for (const row of rows) {
    const report = row.report;
    if (!report) {
      lines.push(`| \`${row.service}\` | ⏭️ not updated | — | — |`);
      continue;
    }
    const result = report.rolledBackWith
      ? '⏹️ stopped with the others'
      : report.error
        ? `❌ ${report.outcome?.status === 'failed' && report.outcome.kind === 'migration' ? 'migration failed' : report.outcome?.status === 'timeout' ? 'timed out' : 'rollout failed'}`
        : report.migrationStatus === 'skipped'
          ? '⏭️ not waited for'
          : '✅ stable';
    const rollback = report.rollback
      ? report.rollback.rolledBack
        ? `↩️ ${report.rollback.method === 'stop-service-deployment' ? 'StopServiceDeployment' : 'UpdateService'}${report.rollback.status ? ` (${report.rollback.status})` : ''}`
        : '⚠️ failed'
      : '—';
    lines.push(
      `| \`${row.service}\` | ${result} | \`${report.deployed.taskDefinitionArn.split('/').pop()}\` | ${rollback} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
