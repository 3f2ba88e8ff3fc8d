// Which task-definition revisions a run left behind may be deregistered (input
// deregister-revisions), decided from data alone: the service revision a failed deploy registered
// and that was rolled back, and in run-task and plan modes the `<family>-migrate` revisions beyond
// the newest few. Never a revision a service runs or one of its deployments still uses. Pure:
// deregister.ts makes the calls.
import type { DeploymentReport } from './run-deployment';

/** ACTIVE revisions of the migration family that stay registered; the run's own always does. */
export const KEPT_MIGRATION_REVISIONS = 5;

/**
 * Deregistrations one run makes at most: a family that grew for years before the input was set
 * is trimmed over a few runs rather than holding one step for hundreds of calls.
 */
export const MAX_DEREGISTRATIONS_PER_RUN = 20;

/** What a mode tells the clean-up about the revisions it registered. */
export interface LeftBehind {
  /** Service revisions this run registered whose deploy failed and was rolled back. */
  readonly rolledBackRevisions?: readonly string[];
  /** run-task and plan: the migration task's family, trimmed to its newest revisions. */
  readonly migrationFamily?: string;
  /** The migration revision this run registered and ran: always kept. */
  readonly usedMigrationRevision?: string;
}

/**
 * The service revision a deploy leaves behind: the one it registered (`registered` false for a
 * revision it found already registered and only pointed the service at) when it failed and the
 * service was put back, by this action's rollback or by ECS's own (circuit breaker, alarms).
 */
export function rolledBackLeftBehind(
  report: Pick<DeploymentReport, 'deployed' | 'outcome' | 'rollback'>,
  registered: boolean,
): LeftBehind {
  const { deployed, outcome } = report;
  const ecsRolledBack =
    outcome?.status === 'failed' && outcome.kind === 'rollout' && outcome.cause === 'rolled-back';
  const rolledBack = report.rollback?.rolledBack === true || ecsRolledBack;
  if (!registered || !rolledBack) return {};
  if (sameRevision(deployed.taskDefinitionArn, deployed.previousTaskDefinitionArn)) return {};
  return { rolledBackRevisions: [deployed.taskDefinitionArn] };
}

/** run-task and plan: the migration family to trim, and the revision this run ran (kept). */
export function migrationLeftBehind(family: string, usedTaskDefinitionArn: string): LeftBehind {
  return { migrationFamily: family, usedMigrationRevision: usedTaskDefinitionArn };
}

/** A revision's family and number, from its ARN or `family:revision`. */
export interface RevisionId {
  readonly family: string;
  readonly revision: number;
}

const REVISION_RE = /(?:^|:task-definition\/)([A-Za-z0-9_-]{1,255}):([1-9]\d*)$/;

export function parseRevision(arnOrName: string): RevisionId | undefined {
  const match = REVISION_RE.exec(arnOrName);
  return match ? { family: match[1]!, revision: Number(match[2]) } : undefined;
}

/** `family:revision`, how the summary and the log name a revision; the text itself otherwise. */
export function revisionLabel(arnOrName: string): string {
  const id = parseRevision(arnOrName);
  return id ? `${id.family}:${id.revision}` : arnOrName;
}

function sameRevision(a: string, b: string): boolean {
  return revisionLabel(a) === revisionLabel(b);
}

/** What DescribeServices tells of a service (the fields read here). */
export interface ServiceView {
  readonly serviceName?: string;
  readonly taskDefinition?: string;
  readonly deployments?: readonly {
    readonly id?: string;
    readonly status?: string;
    readonly taskDefinition?: string;
    readonly rolloutState?: string;
    readonly runningCount?: number;
    readonly pendingCount?: number;
  }[];
}

/** A revision a service runs or a deployment of it still uses, and who uses it. */
export interface RevisionInUse {
  /** `family:revision`. */
  readonly revision: string;
  readonly by: string;
}

/**
 * The revisions the services use now: each service's task definition, and every deployment that
 * is PRIMARY, still rolling out, or still has tasks running or starting. A deployment that failed
 * and was rolled back, its tasks gone, uses nothing any more.
 */
export function revisionsInUse(services: readonly ServiceView[]): RevisionInUse[] {
  const used: RevisionInUse[] = [];
  for (const service of services) {
    const name = service.serviceName ?? 'the service';
    if (service.taskDefinition) {
      used.push({ revision: revisionLabel(service.taskDefinition), by: `service ${name} runs it` });
    }
    for (const d of service.deployments ?? []) {
      if (!d.taskDefinition) continue;
      const tasks = (d.runningCount ?? 0) + (d.pendingCount ?? 0);
      if (d.status !== 'PRIMARY' && d.rolloutState !== 'IN_PROGRESS' && tasks === 0) continue;
      const state = [d.status, d.rolloutState].filter(Boolean).join(', ');
      used.push({
        revision: revisionLabel(d.taskDefinition),
        by: `deployment ${d.id ?? '(no id)'} of service ${name} (${state}${tasks > 0 ? `, ${tasks} task(s)` : ''}) uses it`,
      });
    }
  }
  return used;
}

export type DeregistrationReason = 'rolled-back' | 'old-migration';

export interface PlannedDeregistration {
  readonly taskDefinitionArn: string;
  /** `family:revision`. */
  readonly label: string;
  readonly reason: DeregistrationReason;
}

/** A revision that would have gone, kept, and why. */
export interface KeptRevision {
  readonly label: string;
  readonly reason: DeregistrationReason;
  readonly why: string;
}

export interface LeftBehindFacts {
  readonly leftBehind: LeftBehind;
  readonly inUse: readonly RevisionInUse[];
  /**
   * ACTIVE revisions ListTaskDefinitions gave for the migration family, in any order; those of
   * other families (a familyPrefix that matched more) are ignored. Absent: not listed.
   */
  readonly migrationRevisions?: readonly string[];
  readonly keep?: number;
  readonly maxPerRun?: number;
}

export interface LeftBehindPlan {
  /** Oldest first within each reason, rolled-back ones first. */
  readonly deregister: readonly PlannedDeregistration[];
  readonly kept: readonly KeptRevision[];
  /** The migration family's ACTIVE revisions, as listed (exact family only). */
  readonly migration?: { readonly family: string; readonly active: number; readonly keep: number };
  /** Revisions due beyond `maxPerRun`, left for a later run. */
  readonly deferred: number;
}

export function planLeftBehind(facts: LeftBehindFacts): LeftBehindPlan {
  const keep = facts.keep ?? KEPT_MIGRATION_REVISIONS;
  const maxPerRun = facts.maxPerRun ?? MAX_DEREGISTRATIONS_PER_RUN;
  const inUse = new Map<string, string>();
  for (const use of facts.inUse) if (!inUse.has(use.revision)) inUse.set(use.revision, use.by);

  const due: PlannedDeregistration[] = [];
  const kept: KeptRevision[] = [];
  const planned = new Set<string>();
  const consider = (taskDefinitionArn: string, reason: DeregistrationReason): void => {
    const label = revisionLabel(taskDefinitionArn);
    if (planned.has(label)) return;
    planned.add(label);
    const by = inUse.get(label);
    if (by) kept.push({ label, reason, why: by });
    else due.push({ taskDefinitionArn, label, reason });
  };

  for (const arn of facts.leftBehind.rolledBackRevisions ?? []) consider(arn, 'rolled-back');

  const family = facts.leftBehind.migrationFamily;
  let migration: LeftBehindPlan['migration'];
  if (family !== undefined && facts.migrationRevisions) {
    const used = facts.leftBehind.usedMigrationRevision;
    const usedLabel = used === undefined ? undefined : revisionLabel(used);
    const revisions = uniqueRevisions(facts.migrationRevisions, family);
    migration = { family, active: revisions.length, keep };
    const older = revisions
      .slice(keep)
      .filter((r) => r.label !== usedLabel)
      .reverse();
    for (const r of older) consider(r.arn, 'old-migration');
  }

  return {
    deregister: due.slice(0, maxPerRun),
    kept,
    ...(migration ? { migration } : {}),
    deferred: Math.max(0, due.length - maxPerRun),
  };
}

/** The family's revisions, newest first, each once, whatever order the pages came in. */
function uniqueRevisions(
  arns: readonly string[],
  family: string,
): { arn: string; label: string; revision: number }[] {
  const byRevision = new Map<number, { arn: string; label: string; revision: number }>();
  for (const arn of arns) {
    const id = parseRevision(arn);
    if (!id || id.family !== family || byRevision.has(id.revision)) continue;
    byRevision.set(id.revision, {
      arn,
      label: `${id.family}:${id.revision}`,
      revision: id.revision,
    });
  }
  return [...byRevision.values()].sort((a, b) => b.revision - a.revision);
}
