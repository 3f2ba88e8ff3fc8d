// Mode plan: `migrate apply --dry-run` once, in a standalone task with the service's network,
// secrets and roles: what a deploy would apply, from inside the VPC the database is in. Registers
// the migration-only task definition and nothing else; the service is never updated. The step
// fails only when the dry run did (Atlas's error), whatever is pending.
import { migrationLeftBehind } from '../deploy/left-behind';
import { migrationSectionFacts, withHint } from '../report/migration-facts';
import { migrationOutputs } from '../report/migration-outputs';
import { renderPlanSummary } from '../report/render-plan-summary';
import { migrateOnce } from './migrate-once';
import { migrationCommandOf } from './sidecar';
import type { DeployMode, ModeContext, ModeResult } from './types';

export const planMode: DeployMode = {
  async run(context: ModeContext): Promise<ModeResult> {
    const { settings, preflight, revisions, deps } = context;
    const outcome = await migrateOnce(
      settings,
      preflight,
      revisions.migrationTask!,
      deps,
      'Run the migration task with --dry-run',
    );
    const migration = 'migration' in outcome ? outcome.migration : undefined;
    const failed = outcome.status !== 'succeeded';
    const facts = migrationSectionFacts(migration, 'plan', {
      settings,
      ...(outcome.status === 'failed' && outcome.kind !== 'not-started'
        ? { errorLines: outcome.errorLines }
        : {}),
    });
    return {
      outputs: {
        'task-definition-arn': outcome.taskDefinitionArn,
        // Nothing was migrated: a plan only says what would be.
        'migration-status': failed ? 'failed' : 'skipped',
        ...migrationOutputs(migration, 'plan'),
      },
      summary: renderPlanSummary({
        service: preflight.serviceName,
        image: context.image,
        outcome,
        command: migrationCommandOf(context),
        ...(facts ? { migration: facts } : {}),
      }),
      ...(failed ? { error: withHint(new Error(outcome.message), facts) } : {}),
      leftBehind: migrationLeftBehind(revisions.migrationTask!.family, outcome.taskDefinitionArn),
    };
  },
};
