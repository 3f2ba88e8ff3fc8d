// Input deregister-revisions: once a run's outcome is known, deregisters the revisions it left
// behind (left-behind.ts decides which). Best effort: a refused or failed call is a warning that
// names the permission, never the step's failure; a failed deploy still fails with its own error.
import type { EcsApi, EcsRevisionsApi } from '../aws/api';
import { isAwsError } from '../aws/errors';
import { errorMessage } from '../errors';
import type { Settings } from '../inputs/settings';
import type { ActionIO } from '../report/action-io';
import {
  reasonText,
  renderLeftBehind,
  type DeregistrationOutcome,
  type FailedDeregistration,
} from '../report/render-left-behind';
import {
  planLeftBehind,
  revisionsInUse,
  type LeftBehind,
  type PlannedDeregistration,
  type RevisionInUse,
} from './left-behind';

/** DescribeServices takes up to 10 services a call. */
const SERVICES_PER_CALL = 10;
/** 100 revisions a page: enough for any family this action trims, and a bound on a bad endpoint. */
const MAX_LIST_PAGES = 50;
/** What the workflow's role needs for this clean-up. */
const DEREGISTER_PERMISSIONS = 'ecs:DeregisterTaskDefinition (and ecs:ListTaskDefinitions)';
/** Errors that refuse the operation itself, not one revision. */
const REFUSALS = ['AccessDeniedException', 'AccessDenied', 'UnknownOperationException'];

export interface DeregisterDeps {
  readonly ecs: EcsApi & EcsRevisionsApi;
  readonly io: ActionIO;
}

export type DeregisterSettings = Pick<Settings, 'deregisterRevisions' | 'cluster' | 'services'>;

/**
 * The phase run.ts calls after the mode: with deregister-revisions set, deregisters what the mode
 * left behind and appends what it did to the mode's summary. Never throws.
 */
export async function deregisterPhase<
  R extends { readonly summary: string; readonly leftBehind?: LeftBehind },
>(settings: DeregisterSettings, result: R, deps: DeregisterDeps): Promise<R> {
  const leftBehind = result.leftBehind;
  if (!settings.deregisterRevisions || !leftBehind || !hasWork(leftBehind)) return result;
  const outcome = await deps.io.group('Deregister the revisions left behind', () =>
    deregisterLeftBehind(settings, leftBehind, deps),
  );
  const section = renderLeftBehind(outcome);
  return section === '' ? result : { ...result, summary: `${result.summary}\n${section}` };
}

function hasWork(leftBehind: LeftBehind): boolean {
  return (leftBehind.rolledBackRevisions?.length ?? 0) > 0 || !!leftBehind.migrationFamily;
}

export async function deregisterLeftBehind(
  settings: Pick<Settings, 'cluster' | 'services'>,
  leftBehind: LeftBehind,
  deps: DeregisterDeps,
): Promise<DeregistrationOutcome> {
  const { io } = deps;
  const problems: string[] = [];
  let inUse: RevisionInUse[];
  try {
    inUse = await revisionsTheServicesUse(settings, deps.ecs);
  } catch (error) {
    const problem = `Deregistered nothing: could not read ${settings.services.join(', ')} to check which revisions they still use (${errorMessage(error)})`;
    io.warning(problem);
    return emptyOutcome([problem]);
  }

  let migrationRevisions: string[] | undefined;
  const family = leftBehind.migrationFamily;
  if (family) {
    try {
      migrationRevisions = await activeRevisions(family, deps.ecs);
    } catch (error) {
      const problem = `Kept the older revisions of ${family}: could not list them (${errorMessage(error)})${isAwsError(error, ...REFUSALS) ? `. Allow ${DEREGISTER_PERMISSIONS} for the workflow's role, or set deregister-revisions to false` : ''}`;
      io.warning(problem);
      problems.push(problem);
    }
  }

  const plan = planLeftBehind({
    leftBehind,
    inUse,
    ...(migrationRevisions ? { migrationRevisions } : {}),
  });
  for (const kept of plan.kept) io.info(`Kept ${kept.label}, which would have gone: ${kept.why}`);

  const deregistered: PlannedDeregistration[] = [];
  const failed: FailedDeregistration[] = [];
  let notTried: PlannedDeregistration[] = [];
  const why = (revision: PlannedDeregistration) =>
    reasonText(revision.reason, plan.migration).replace(/`/g, '');
  for (const [index, revision] of plan.deregister.entries()) {
    try {
      await deps.ecs.deregisterTaskDefinition({ taskDefinition: revision.taskDefinitionArn });
      deregistered.push(revision);
      io.info(`Deregistered ${revision.label} (${why(revision)})`);
    } catch (error) {
      failed.push({ ...revision, error: errorMessage(error) });
      // A refusal of the operation itself would refuse the next ones too: one warning says it all.
      const refused = isAwsError(error, ...REFUSALS);
      if (refused) notTried = plan.deregister.slice(index + 1);
      const more = notTried.length > 0 ? ` (${notTried.length} more not tried)` : '';
      io.warning(
        `Could not deregister ${revision.label} (${why(revision)})${more}: ${errorMessage(error)}. It stays registered, and the step's outcome does not change${refused ? `. To deregister the revisions a run leaves behind, allow ${DEREGISTER_PERMISSIONS} for the workflow's role, or set deregister-revisions to false` : ''}`,
      );
      if (refused) break;
    }
  }
  if (plan.deferred > 0) {
    io.info(
      `${plan.deferred} more older revision(s) are left for the next runs (at most ${plan.deregister.length} a run)`,
    );
  }
  return {
    deregistered,
    failed,
    notTried,
    kept: plan.kept,
    ...(plan.migration ? { migration: plan.migration } : {}),
    deferred: plan.deferred,
    problems,
  };
}

function emptyOutcome(problems: string[]): DeregistrationOutcome {
  return { deregistered: [], failed: [], notTried: [], kept: [], deferred: 0, problems };
}

async function revisionsTheServicesUse(
  settings: Pick<Settings, 'cluster' | 'services'>,
  ecs: EcsApi,
): Promise<RevisionInUse[]> {
  const used: RevisionInUse[] = [];
  for (let i = 0; i < settings.services.length; i += SERVICES_PER_CALL) {
    const services = settings.services.slice(i, i + SERVICES_PER_CALL);
    const answer = await ecs.describeServices({ cluster: settings.cluster, services });
    const missing = (answer.failures ?? []).map((f) => `${f.arn ?? '?'}: ${f.reason ?? 'failed'}`);
    if (missing.length > 0) throw new Error(`DescribeServices failures: ${missing.join('; ')}`);
    used.push(...revisionsInUse(answer.services ?? []));
  }
  return used;
}

/**
 * The family's ACTIVE revisions, newest first. ECS reads familyPrefix as the full family name, but
 * emulators (and older behaviour) match it as a prefix, so `web` may bring `web-migrate` too:
 * planLeftBehind keeps the exact family only.
 */
async function activeRevisions(family: string, ecs: EcsRevisionsApi): Promise<string[]> {
  const arns: string[] = [];
  const seen = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const answer = await ecs.listTaskDefinitions({
      familyPrefix: family,
      status: 'ACTIVE',
      sort: 'DESC',
      maxResults: 100,
      ...(nextToken ? { nextToken } : {}),
    });
    arns.push(...(answer.taskDefinitionArns ?? []));
    nextToken = answer.nextToken;
    if (!nextToken || seen.has(nextToken)) break;
    seen.add(nextToken);
  }
  return arns;
}
