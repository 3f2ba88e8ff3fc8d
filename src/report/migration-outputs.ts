// The outputs read from Atlas's report: set in every mode and on failure too, empty when no report
// was read. Pure.
import { migrationReportOutput, summariseReports } from '../atlas/report';
import type { MigrationRead } from '../deploy/applied-report';

export function migrationOutputs(
  read: MigrationRead | undefined,
  kind: 'apply' | 'plan',
): Record<string, string> {
  const reports = read?.reports ?? [];
  if (reports.length === 0) {
    return {
      'current-version': '',
      'target-version': '',
      'applied-count': kind === 'plan' ? '0' : '',
      'pending-count': '',
      'migration-report': '[]',
    };
  }
  const summary = summariseReports(reports);
  return {
    'current-version': summary.currentVersion ?? '',
    'target-version': summary.targetVersion ?? '',
    // A dry run lists what it would apply under Applied: nothing was.
    'applied-count': kind === 'plan' ? '0' : String(summary.appliedCount),
    'pending-count': String(summary.pendingCount),
    'migration-report': migrationReportOutput(reports),
  };
}
