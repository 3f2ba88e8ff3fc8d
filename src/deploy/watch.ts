// Our own waiter for a deployment. The SDK's waitUntilServicesStable only compares counts, so a
// migration that fails (and takes each of its tasks down with it) looks like a slow rollout until
// the timeout. This one reads, at every poll, the deployment's rollout state, the service events,
// and the tasks the deployment started that have stopped: a migration container that exited
// non-zero ends the wait at the first poll that sees its task STOPPED, with Atlas's error from the
// container's log stream.
//
// Where ECS's service-deployment API answers (2025), each poll also reads the deployment there: its
// status (PENDING → IN_PROGRESS → SUCCESSFUL, STOPPED, ROLLBACK_*), the lifecycle stage of a
// blue/green, linear or canary rollout (printed as it moves, bake time included), the circuit
// breaker and the alarms. Where it does not (older regions, emulators, a policy without
// ecs:DescribeServiceDeployments), the wait reads the rollout from DescribeServices alone.
import { formatDuration } from '../util/duration';
import type {
  Deployment,
  Service,
  ServiceDeployment,
  ServiceEvent,
  Task,
} from '@aws-sdk/client-ecs';
import { errorMessage } from '../errors';
import type { Settings } from '../inputs/settings';
import type { ActionIO } from '../report/action-io';
import { POLL_INTERVAL_SECONDS } from '../report/plan';
import type { EcsApi, EcsServiceDeploymentsApi } from '../aws/api';
import { isAwsError, isTransientAwsError } from '../aws/errors';
import { migrationRead, type MigrationRead } from './applied-report';
import { DESCRIBE_TASKS_BATCH, migratedTasks } from './migrated-tasks';
import { extractAtlasErrors } from './atlas-log';
import { taskIdOf, type ContainersWithLogs } from './log-stream';
import {
  readMigrationLog,
  type LogStreamRef,
  type MigrationLogDeps,
  type MigrationLogOptions,
} from './migration-log';
import {
  describeServiceDeployment,
  serviceDeploymentId,
  serviceDeploymentPhase,
} from './service-deployment';
import {
  classifyStoppedTask,
  isFullyStopped,
  migrationExitedNonZero,
  type StoppedTaskReport,
} from './stopped-task';

export type { LogStreamRef } from './migration-log';

export interface WatchRequest {
  readonly cluster: string;
  /** Name or ARN. */
  readonly service: string;
  readonly deploymentId: string;
  /** The revision the deployment rolls out. */
  readonly taskDefinitionArn: string;
  /** The revision the service ran before: a PRIMARY deployment of it means a rollback. */
  readonly previousTaskDefinitionArn: string;
  readonly migrationContainer: string;
  /** The registered task definition: the migration container's awslogs configuration. */
  readonly registeredTaskDefinition: ContainersWithLogs;
  /**
   * When ECS created the deployment (its own clock): service events from then on are printed.
   * Absent: the events present at the first poll are taken as old.
   */
  readonly eventsSince?: Date;
  /**
   * The service deployment UpdateService started (its answer's currentServiceDeployment). Absent:
   * taken from the service at the first poll, or ListServiceDeployments, when the API answers.
   */
  readonly serviceDeploymentArn?: string;
}

/** How long and how often to poll, and how to read the migration log: the run-task wait's too. */
export interface WatchOptions extends MigrationLogOptions {
  /** Default POLL_INTERVAL_SECONDS. */
  readonly pollIntervalMs?: number;
  readonly timeoutMs: number;
  /** Polls in a row that may fail on throttling, a 5xx or the network before the wait gives up. */
  readonly maxConsecutivePollErrors?: number;
  /**
   * Asked after each poll: a reason ends the wait there (as stoppedWatching). Several services
   * deployed together stop watching once the migration failed in one of them.
   */
  readonly stopWhen?: () => string | undefined;
}

export interface WatchDeps extends MigrationLogDeps {
  /** The service-deployment calls are optional: without them the wait reads DescribeServices. */
  readonly ecs: EcsApi & Partial<EcsServiceDeploymentsApi>;
  readonly io: ActionIO;
  /** Milliseconds clock. */
  now(): number;
}

interface OutcomeBase {
  /** DescribeServices polls made. */
  readonly polls: number;
  /** Every stopped task of the deployment seen, in the order seen. */
  readonly stoppedTasks: readonly StoppedTaskReport[];
  /** The service deployment as last read, when the service-deployment API answered. */
  readonly serviceDeployment?: ServiceDeployment;
  /** Why the wait read DescribeServices only, when the service-deployment API did not answer. */
  readonly serviceDeploymentApiProblem?: string;
  /** The first app container seen failing after a good migration, with its log's tail. */
  readonly appFailure?: AppFailure;
}

/** An app container that stopped its task after the migration had exited 0. */
export interface AppFailure {
  readonly taskArn: string;
  readonly container: string;
  readonly kind: StoppedTaskReport['kind'];
  readonly exitCode: number | undefined;
  /** The container's own reason (ECS's `reason`), when it gives one. */
  readonly reason: string | undefined;
  readonly stoppedReason: string | undefined;
  readonly logTail: readonly string[];
  readonly logStream: LogStreamRef | undefined;
  readonly logProblem: string | undefined;
}

/** Stopped-task kinds that are the app's doing once the migration is through. */
const APP_FAILURE_KINDS: ReadonlySet<StoppedTaskReport['kind']> = new Set([
  'app-exit',
  'elb-health-check',
  'container-health-check',
  'essential-exit',
]);

export interface WatchSucceeded extends OutcomeBase {
  readonly status: 'succeeded';
  readonly runningCount: number;
  readonly desiredCount: number;
}

export interface MigrationFailure extends OutcomeBase {
  readonly status: 'failed';
  readonly kind: 'migration';
  readonly exitCode: number;
  /** Atlas's report(s) from the container's log (none for an error raised before one). */
  readonly migration: MigrationRead;
  /** Atlas's `Error:` lines from the container's log. */
  readonly errorLines: readonly string[];
  /** The last lines of that log. */
  readonly logTail: readonly string[];
  readonly stoppedReason: string | undefined;
  readonly taskArn: string;
  readonly logStream: LogStreamRef | undefined;
  /** Why the log could not be read, when it could not. */
  readonly logProblem: string | undefined;
}

export interface RolloutFailure extends OutcomeBase {
  readonly status: 'failed';
  readonly kind: 'rollout';
  readonly reason: string;
  /**
   * `failed`: rolloutState FAILED, the service left on the new revision. `rolled-back`: ECS's
   * circuit breaker already put the previous revision back. `superseded`: another deployment
   * (not ours, not a rollback) replaced this one.
   */
  readonly cause: 'failed' | 'rolled-back' | 'superseded';
  /**
   * Superseded only: tasks of the deployment (running, or drained since) whose migration
   * container had exited 0, so the step can say the migration did run.
   */
  readonly tasksMigrated?: number;
}

export interface WatchTimeout extends OutcomeBase {
  readonly status: 'timeout';
  /** The last service events (printed ones first), oldest first. */
  readonly lastEvents: readonly string[];
  readonly rolloutState: string | undefined;
  /**
   * Set when the wait ended early because the service could no longer be read (polls kept
   * failing): the deployment goes on, its outcome unknown.
   */
  readonly stoppedWatching?: string;
}

export type WatchFailure = MigrationFailure | RolloutFailure;
export type WatchOutcome = WatchSucceeded | WatchFailure | WatchTimeout;

export const DEFAULT_MAX_CONSECUTIVE_POLL_ERRORS = 3;
/** Events a timeout reports. */
const LAST_EVENTS = 10;
/** ListTasks pages read per poll (100 tasks each). */
const MAX_LIST_PAGES = 10;

/** Poll interval and timeout from the settings. */
export function watchOptionsFromSettings(
  settings: Pick<Settings, 'waitTimeoutMinutes' | 'pollIntervalSeconds'>,
  overrides: Partial<WatchOptions> = {},
): WatchOptions {
  return {
    pollIntervalMs: settings.pollIntervalSeconds * 1000,
    timeoutMs: settings.waitTimeoutMinutes * 60 * 1000,
    ...overrides,
  };
}

function formatEvent(event: ServiceEvent): string {
  const at = event.createdAt ? `${event.createdAt.toISOString()} ` : '';
  return `${at}${event.message ?? ''}`;
}

function eventKey(event: ServiceEvent): string {
  return event.id ?? `${event.createdAt?.getTime() ?? ''}|${event.message ?? ''}`;
}

function deploymentState(d: Deployment): string {
  return `${d.rolloutState ?? d.status ?? 'unknown'}, running ${d.runningCount ?? 0}/${d.desiredCount ?? 0}, pending ${d.pendingCount ?? 0}, failed tasks ${d.failedTasks ?? 0}`;
}

/**
 * The service-deployment API is not there for this caller: an older region or an emulator that
 * lacks the operation, or a policy that does not allow it. Anything else is a failed poll.
 */
export function isServiceDeploymentApiAbsent(error: unknown): boolean {
  return (
    isAwsError(
      error,
      'AccessDeniedException',
      'UnknownOperationException',
      'UnsupportedFeatureException',
      'InvalidAction',
      'NotImplemented',
    ) ||
    (isAwsError(error) && error.httpStatus === 501)
  );
}

export async function watchDeployment(
  request: WatchRequest,
  deps: WatchDeps,
  options: WatchOptions,
): Promise<WatchOutcome> {
  const watcher = new Watcher(request, deps, options);
  return watcher.run();
}

class Watcher {
  private polls = 0;
  private readonly seenEvents = new Set<string>();
  private readonly printedEvents: string[] = [];
  private latestEvents: string[] = [];
  private readonly doneTasks = new Set<string>();
  private readonly stoppedTasks: StoppedTaskReport[] = [];
  private rollbackEvent: string | undefined;
  private failedEvent: string | undefined;
  private lastState: string | undefined;
  private lastRolloutState: string | undefined;
  /** Undefined until known; the API is not used once it failed as absent or denied. */
  private serviceDeploymentArn: string | undefined;
  private serviceDeploymentApi: boolean;
  private serviceDeploymentApiProblem: string | undefined;
  private serviceDeployment: ServiceDeployment | undefined;
  private lastServiceDeploymentState: string | undefined;
  private appFailure: AppFailure | undefined;

  constructor(
    private readonly request: WatchRequest,
    private readonly deps: WatchDeps,
    private readonly options: WatchOptions,
  ) {
    this.serviceDeploymentArn = request.serviceDeploymentArn;
    this.serviceDeploymentApi = deps.ecs.describeServiceDeployments !== undefined;
  }

  async run(): Promise<WatchOutcome> {
    const { io } = this.deps;
    const now = (): number => this.deps.now();
    const interval = this.options.pollIntervalMs ?? POLL_INTERVAL_SECONDS * 1000;
    const maxErrors = this.options.maxConsecutivePollErrors ?? DEFAULT_MAX_CONSECUTIVE_POLL_ERRORS;
    const deadline = now() + this.options.timeoutMs;
    let errors = 0;
    io.info(
      `Watching deployment ${this.request.deploymentId} of service ${this.request.service}: every ${formatDuration(interval)}, for up to ${formatDuration(this.options.timeoutMs)}`,
    );
    for (;;) {
      let outcome: WatchOutcome | undefined;
      try {
        outcome = await this.poll();
        errors = 0;
      } catch (error) {
        errors++;
        // The deployment is under way: losing sight of it ends the wait like a timeout does,
        // so the step still reports the revision and deployment it started.
        if (!isTransientAwsError(error) || errors >= maxErrors) {
          return this.timeout(`poll ${this.polls} failed: ${errorMessage(error)}`);
        }
        io.warning(
          `Poll ${this.polls} failed (${errorMessage(error)}); trying again at the next poll (${errors}/${maxErrors - 1} in a row)`,
        );
      }
      if (outcome) return outcome;
      const stop = this.options.stopWhen?.();
      if (stop) return this.timeout(stop);
      const left = deadline - now();
      if (left <= 0) return this.timeout();
      await this.deps.sleep(Math.min(interval, left));
    }
  }

  private base(): OutcomeBase {
    return {
      polls: this.polls,
      stoppedTasks: [...this.stoppedTasks],
      ...(this.serviceDeployment ? { serviceDeployment: this.serviceDeployment } : {}),
      ...(this.serviceDeploymentApiProblem
        ? { serviceDeploymentApiProblem: this.serviceDeploymentApiProblem }
        : {}),
      ...(this.appFailure ? { appFailure: this.appFailure } : {}),
    };
  }

  private timeout(stoppedWatching?: string): WatchTimeout {
    const lastEvents =
      this.printedEvents.length > 0
        ? this.printedEvents.slice(-LAST_EVENTS)
        : this.latestEvents.slice(-LAST_EVENTS);
    return {
      status: 'timeout',
      ...this.base(),
      lastEvents,
      rolloutState: this.lastRolloutState,
      ...(stoppedWatching ? { stoppedWatching } : {}),
    };
  }

  /** One poll: the service, its new events, newly stopped tasks; an outcome when there is one. */
  private async poll(): Promise<WatchOutcome | undefined> {
    const { ecs } = this.deps;
    const { request } = this;
    this.polls++;
    const answer = await ecs.describeServices({
      cluster: request.cluster,
      services: [request.service],
    });
    const service = answer.services?.[0];
    if (!service) {
      const failure = answer.failures?.[0];
      return {
        status: 'failed',
        kind: 'rollout',
        ...this.base(),
        reason: `the service is gone (DescribeServices: ${failure?.reason ?? 'not in the answer'})`,
        cause: 'superseded',
      };
    }
    this.printNewEvents(service);

    const migrationFailure = await this.checkStoppedTasks();
    if (migrationFailure) return migrationFailure;
    const serviceDeployment = await this.readServiceDeployment(service);
    const outcome = serviceDeployment
      ? this.serviceDeploymentOutcome(
          await this.freshIfReplacedSince(service, serviceDeployment),
          serviceDeployment,
        )
      : this.rolloutOutcome(service);
    if (
      outcome?.status === 'failed' &&
      outcome.kind === 'rollout' &&
      outcome.cause === 'superseded'
    ) {
      // A task of ours may have stopped since this poll looked (the replacing deployment drains
      // them): a migration that failed in it is the stronger news.
      const late = await this.checkStoppedTasks();
      if (late) return late;
      return { ...outcome, ...this.base(), tasksMigrated: await this.tasksMigrated() };
    }
    return outcome;
  }

  /**
   * Tasks of the deployment whose migration container exited 0: what a replaced deployment can
   * tell about its migration. Running ones, and stopped ones too: the deployment that replaced
   * ours drains our tasks as soon as its own are up, which can fall between this poll's look at
   * the stopped tasks and this one. Best effort: a failed read counts none.
   */
  private async tasksMigrated(): Promise<number> {
    const { ecs } = this.deps;
    const { request } = this;
    try {
      const migrated = (
        await migratedTasks(ecs, {
          cluster: request.cluster,
          deploymentId: request.deploymentId,
          containerName: request.migrationContainer,
        })
      ).length;
      if (migrated > 0) {
        this.deps.io.info(
          `Before it was replaced, the migration container "${request.migrationContainer}" had exited 0 in ${migrated} task(s) of deployment ${request.deploymentId}`,
        );
      }
      return migrated;
    } catch (error) {
      this.deps.io.info(
        `Could not read the tasks of deployment ${request.deploymentId}: ${errorMessage(error)}`,
      );
      return 0;
    }
  }

  private printNewEvents(service: Service): void {
    const events = service.events ?? [];
    // ECS lists the newest first.
    this.latestEvents = events.slice(0, LAST_EVENTS).reverse().map(formatEvent);
    const firstPoll = this.polls === 1;
    const since = this.request.eventsSince?.getTime();
    const fresh: ServiceEvent[] = [];
    for (const event of events) {
      const key = eventKey(event);
      if (this.seenEvents.has(key)) continue;
      this.seenEvents.add(key);
      const created = event.createdAt?.getTime();
      const isNew = since !== undefined ? created === undefined || created >= since : !firstPoll;
      if (isNew) fresh.push(event);
    }
    for (const event of fresh.reverse()) {
      const line = formatEvent(event);
      this.printedEvents.push(line);
      this.deps.io.info(line);
      const message = event.message ?? '';
      if (/rolling back/i.test(message)) this.rollbackEvent ??= message;
      if (message.includes(this.request.deploymentId) && /deployment failed/i.test(message)) {
        this.failedEvent ??= message;
      }
    }
  }

  /** Newly stopped tasks of the deployment: each reported once; a failed migration ends the wait. */
  private async checkStoppedTasks(): Promise<MigrationFailure | undefined> {
    const tasks = await this.newlyStoppedTasks();
    const reports = tasks.map((task) => {
      this.doneTasks.add(task.taskArn!);
      const report = classifyStoppedTask(task, this.request.migrationContainer);
      this.stoppedTasks.push(report);
      return { task, report };
    });
    const failed = reports.find((r) => r.report.kind === 'migration-failed');
    for (const { report } of reports) {
      if (report === failed?.report) continue;
      const line = `Task ${taskIdOf(report.taskArn)} of deployment ${this.request.deploymentId} stopped: ${report.description}`;
      if (report.kind === 'scaled-in') this.deps.io.info(line);
      else this.deps.io.warning(line);
    }
    if (failed) return this.migrationFailure(failed.task, failed.report);
    if (!this.appFailure) {
      const app = reports.find((r) => this.isAppFailure(r.report));
      if (app) this.appFailure = await this.readAppFailure(app.task, app.report);
    }
    return undefined;
  }

  /** The app's failure, not the migration's: the migration exited 0 (or ran in a task of its own). */
  private isAppFailure(report: StoppedTaskReport): boolean {
    if (!APP_FAILURE_KINDS.has(report.kind)) return false;
    const migration = this.request.migrationContainer;
    const hasMigration = report.containers.some((c) => c.name === migration);
    return hasMigration ? report.migrationExitCode === 0 : true;
  }

  /** Which app container failed, and the tail of its log, printed and kept for the summary. */
  private async readAppFailure(task: Task, report: StoppedTaskReport): Promise<AppFailure> {
    const { io } = this.deps;
    const { request } = this;
    const taskArn = task.taskArn!;
    const apps = report.containers.filter((c) => c.name && c.name !== request.migrationContainer);
    const essential = new Set(
      (request.registeredTaskDefinition.containerDefinitions ?? [])
        .filter((c) => c.essential !== false)
        .map((c) => c.name),
    );
    const culprit =
      apps.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ??
      apps.find((c) => essential.has(c.name!)) ??
      apps[0];
    const container = culprit?.name ?? '?';
    const log = culprit?.name
      ? await readMigrationLog(
          { taskDefinition: request.registeredTaskDefinition, containerName: container, taskArn },
          this.deps,
          { ...this.options, logRetries: 0 },
        )
      : { tail: [], logStream: undefined, problem: 'no app container is named in the task' };
    if (log.tail.length > 0) {
      await io.group(
        `Log of ${container} in task ${taskIdOf(taskArn)} (last ${log.tail.length} lines)`,
        async () => io.info(log.tail.join('\n')),
      );
    }
    return {
      taskArn,
      container,
      kind: report.kind,
      exitCode: culprit?.exitCode,
      reason: culprit?.reason,
      stoppedReason: report.stoppedReason,
      logTail: log.tail,
      logStream: log.logStream,
      logProblem: log.problem,
    };
  }

  private async newlyStoppedTasks(): Promise<Task[]> {
    const { ecs } = this.deps;
    const { request } = this;
    const arns: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      // startedBy must be the only filter besides the cluster and the desired status.
      const page = await ecs.listTasks({
        cluster: request.cluster,
        startedBy: request.deploymentId,
        desiredStatus: 'STOPPED',
        ...(nextToken ? { nextToken } : {}),
      });
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken && pages < MAX_LIST_PAGES);
    const fresh = arns.filter((arn) => !this.doneTasks.has(arn));
    const stopped: Task[] = [];
    for (let i = 0; i < fresh.length; i += DESCRIBE_TASKS_BATCH) {
      const answer = await ecs.describeTasks({
        cluster: request.cluster,
        tasks: fresh.slice(i, i + DESCRIBE_TASKS_BATCH),
      });
      // A task still stopping may not have its final exit codes yet: it is looked at again next
      // poll. A migration container that already exited non-zero is final, and decides now.
      const migration = request.migrationContainer;
      stopped.push(
        ...(answer.tasks ?? []).filter(
          (t) => t.taskArn && (isFullyStopped(t) || migrationExitedNonZero(t, migration)),
        ),
      );
    }
    const order = new Map(fresh.map((arn, index) => [arn, index]));
    return stopped.sort((a, b) => order.get(a.taskArn!)! - order.get(b.taskArn!)!);
  }

  private async migrationFailure(task: Task, report: StoppedTaskReport): Promise<MigrationFailure> {
    const { io } = this.deps;
    const { request } = this;
    const taskArn = task.taskArn!;
    const taskId = taskIdOf(taskArn);
    const exitCode = report.migrationExitCode!;
    const log = await readMigrationLog(
      {
        taskDefinition: request.registeredTaskDefinition,
        containerName: request.migrationContainer,
        taskArn,
      },
      this.deps,
      this.options,
    );
    const { tail, logStream, problem: logProblem } = log;
    const errorLines = extractAtlasErrors(log.lines);

    const head = `Migration failed: container "${request.migrationContainer}" exited with code ${exitCode} in task ${taskId}`;
    const body =
      errorLines.length > 0
        ? errorLines.join('\n')
        : tail.length > 0
          ? `No "Error:" line in its log; its last lines:\n${tail.slice(-10).join('\n')}`
          : `Its log could not be read: ${logProblem ?? 'the stream is empty'}`;
    // Logged, not annotated: the step's failure message (run-deployment) carries the same lines
    // into the one annotation the run ends with.
    io.info(`${head}\n${body}`);
    if (tail.length > 0) {
      await io.group(
        `Log of ${request.migrationContainer} in task ${taskId} (last ${tail.length} lines)`,
        async () => io.info(tail.join('\n')),
      );
    }
    return {
      status: 'failed',
      kind: 'migration',
      ...this.base(),
      exitCode,
      migration: migrationRead(log.lines, { taskArn, logStream, problem: logProblem }),
      errorLines,
      logTail: tail,
      stoppedReason: task.stoppedReason,
      taskArn,
      logStream,
      logProblem,
    };
  }

  /**
   * Our service deployment, read through the service-deployment API; undefined when that API is
   * not there (or not allowed), and from then on the wait reads DescribeServices only.
   */
  private async readServiceDeployment(service: Service): Promise<ServiceDeployment | undefined> {
    const { ecs, io } = this.deps;
    if (!this.serviceDeploymentApi) return undefined;
    try {
      this.serviceDeploymentArn ??= await this.findServiceDeployment(service);
      const arn = this.serviceDeploymentArn;
      const ours = (service.deployments ?? []).find((d) => d.id === this.request.deploymentId);
      if (!arn && ours?.status !== 'PRIMARY') return undefined;
      if (!arn) {
        return this.stopUsingServiceDeployments(
          'neither UpdateService nor DescribeServices named the service deployment (currentServiceDeployment), and ListServiceDeployments listed none in progress',
        );
      }
      const answer = await ecs.describeServiceDeployments!({ serviceDeploymentArns: [arn] });
      const found = (answer.serviceDeployments ?? []).find((d) => d.serviceDeploymentArn === arn);
      if (!found) {
        const failure = answer.failures?.[0];
        return this.stopUsingServiceDeployments(
          `DescribeServiceDeployments did not return ${arn}${failure?.reason ? ` (${failure.reason})` : ''}`,
        );
      }
      this.serviceDeployment = found;
      const state = describeServiceDeployment(found);
      if (state !== this.lastServiceDeploymentState) {
        this.lastServiceDeploymentState = state;
        io.info(`Service deployment ${serviceDeploymentId(arn)}: ${state}`);
      }
      this.lastRolloutState = [found.status, found.lifecycleStage].filter(Boolean).join(', ');
      return found;
    } catch (error) {
      if (!isServiceDeploymentApiAbsent(error)) throw error;
      return this.stopUsingServiceDeployments(errorMessage(error));
    }
  }

  /**
   * ECS names it on the service; else the newest deployment ListServiceDeployments has going.
   * Only while ours is the PRIMARY deployment: once another replaced it, the service's current
   * deployment is that other one's, and DescribeServices tells the replacement on its own.
   */
  private async findServiceDeployment(service: Service): Promise<string | undefined> {
    const ours = (service.deployments ?? []).find((d) => d.id === this.request.deploymentId);
    if (ours?.status !== 'PRIMARY') return undefined;
    if (service.currentServiceDeployment) return service.currentServiceDeployment;
    if (!this.deps.ecs.listServiceDeployments) return undefined;
    const since = this.request.eventsSince;
    const listed = await this.deps.ecs.listServiceDeployments({
      cluster: this.request.cluster,
      service: this.request.service,
      status: ['PENDING', 'IN_PROGRESS'],
      ...(since ? { createdAt: { after: new Date(since.getTime() - 1000) } } : {}),
    });
    const newest = [...(listed.serviceDeployments ?? [])].sort(
      (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
    )[0];
    return newest?.serviceDeploymentArn;
  }

  private stopUsingServiceDeployments(problem: string): undefined {
    this.serviceDeploymentApi = false;
    this.serviceDeploymentApiProblem = problem;
    this.deps.io.info(
      `Reading the rollout from DescribeServices only: the service-deployment API did not answer (${problem}). Allow ecs:ListServiceDeployments and ecs:DescribeServiceDeployments to see lifecycle stages, circuit breaker and alarm states`,
    );
    return undefined;
  }

  /** The outcome as the service deployment tells it; events and tasks come from the poll. */
  private serviceDeploymentOutcome(
    service: Service,
    sd: ServiceDeployment,
  ): WatchOutcome | undefined {
    const { request } = this;
    const phase = serviceDeploymentPhase(sd);
    const id = serviceDeploymentId(sd.serviceDeploymentArn ?? '');
    switch (phase.kind) {
      case 'in-progress':
        return undefined;
      case 'succeeded':
        this.deps.io.info(
          `Deployment ${request.deploymentId} (service deployment ${id}) SUCCESSFUL: ${service.runningCount ?? 0}/${service.desiredCount ?? 0} tasks running ${request.taskDefinitionArn}`,
        );
        return {
          status: 'succeeded',
          ...this.base(),
          runningCount: service.runningCount ?? 0,
          desiredCount: service.desiredCount ?? 0,
        };
      case 'rolled-back': {
        // The rollout's own reason (which tasks failed, and how) says more than the rollback's.
        const ours = (service.deployments ?? []).find((d) => d.id === request.deploymentId);
        const specific =
          ours?.rolloutState === 'FAILED' ? ours.rolloutStateReason : this.failedEvent;
        return this.rolloutFailure(
          specific ?? phase.reason,
          'rolled-back',
          `; ECS ${phase.final ? 'rolled' : 'is rolling'} the service back to ${request.previousTaskDefinitionArn} (${phase.status}: ${phase.reason})`,
        );
      }
      case 'rollback-failed':
        return this.rolloutFailure(`${phase.reason}; ECS's own rollback failed`, 'failed');
      case 'stopped': {
        const replacing = service.currentServiceDeployment;
        if (replacing && replacing !== sd.serviceDeploymentArn) {
          const primary = (service.deployments ?? []).find((d) => d.status === 'PRIMARY');
          // The words DescribeServices' reading uses: the deployment id users see in the console.
          return this.rolloutFailure(
            primary && primary.id !== request.deploymentId
              ? `deployment ${request.deploymentId} was replaced by deployment ${primary.id} (${primary.taskDefinition ?? 'unknown task definition'}), started by someone else`
              : `deployment ${request.deploymentId} was replaced by service deployment ${serviceDeploymentId(replacing)}, started by someone else`,
            'superseded',
          );
        }
        const ours = (service.deployments ?? []).find((d) => d.id === request.deploymentId);
        return this.rolloutFailure(
          ours?.rolloutState === 'FAILED' && ours.rolloutStateReason
            ? ours.rolloutStateReason
            : `service deployment ${id} ${phase.status}: ${phase.reason}`,
          'failed',
        );
      }
    }
  }

  /**
   * The service was read before its deployment: when the deployment says STOPPED while the
   * service still names it current, another deployment may have replaced it in between, which
   * only a fresh read of the service shows. Otherwise the service as read.
   */
  private async freshIfReplacedSince(service: Service, sd: ServiceDeployment): Promise<Service> {
    const stopped = sd.status === 'STOPPED' || sd.status === 'STOP_REQUESTED';
    if (!stopped || service.currentServiceDeployment !== sd.serviceDeploymentArn) return service;
    const answer = await this.deps.ecs.describeServices({
      cluster: this.request.cluster,
      services: [this.request.service],
    });
    return answer.services?.[0] ?? service;
  }

  private rolloutOutcome(service: Service): WatchOutcome | undefined {
    const { request } = this;
    const deployments = service.deployments ?? [];
    const ours = deployments.find((d) => d.id === request.deploymentId);
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (ours) {
      this.lastRolloutState = ours.rolloutState;
      const state = deploymentState(ours);
      if (state !== this.lastState) {
        this.lastState = state;
        this.deps.io.info(`Deployment ${request.deploymentId}: ${state}`);
      }
    }
    const rolledBackTo =
      primary && primary.id !== request.deploymentId
        ? primary.taskDefinition === request.previousTaskDefinitionArn
          ? primary
          : undefined
        : undefined;
    const rolledBack = rolledBackTo !== undefined || this.rollbackEvent !== undefined;
    const rollbackNote = rolledBackTo
      ? `; ECS rolled the service back to ${request.previousTaskDefinitionArn} (deployment ${rolledBackTo.id})`
      : this.rollbackEvent
        ? `; ${this.rollbackEvent}`
        : '';

    if (ours?.rolloutState === 'FAILED') {
      const reason = ours.rolloutStateReason ?? this.failedEvent ?? 'the rollout FAILED';
      return this.rolloutFailure(reason, rolledBack ? 'rolled-back' : 'failed', rollbackNote);
    }
    if (rolledBack) {
      const reason = this.failedEvent ?? 'the deployment failed';
      return this.rolloutFailure(reason, 'rolled-back', rollbackNote);
    }
    if (!ours || (primary && primary.id !== request.deploymentId)) {
      return this.rolloutFailure(
        primary
          ? `deployment ${request.deploymentId} was replaced by deployment ${primary.id} (${primary.taskDefinition ?? 'unknown task definition'}), started by someone else`
          : `deployment ${request.deploymentId} is no longer listed by the service`,
        'superseded',
      );
    }
    const settled =
      ours.rolloutState === 'COMPLETED' ||
      (ours.rolloutState === undefined && deployments.length === 1);
    if (
      settled &&
      (ours.runningCount ?? 0) === (ours.desiredCount ?? 0) &&
      (service.runningCount ?? 0) === (service.desiredCount ?? 0)
    ) {
      this.deps.io.info(
        `Deployment ${request.deploymentId} completed: ${service.runningCount ?? 0}/${service.desiredCount ?? 0} tasks running ${request.taskDefinitionArn}`,
      );
      return {
        status: 'succeeded',
        ...this.base(),
        runningCount: service.runningCount ?? 0,
        desiredCount: service.desiredCount ?? 0,
      };
    }
    return undefined;
  }

  /** `note` (how ECS rolled back) goes to the log only: the failure message says it once. */
  private rolloutFailure(
    reason: string,
    cause: RolloutFailure['cause'],
    note = '',
  ): RolloutFailure {
    this.deps.io.info(`Deployment ${this.request.deploymentId} failed: ${reason}${note}`);
    return { status: 'failed', kind: 'rollout', ...this.base(), reason, cause };
  }
}
