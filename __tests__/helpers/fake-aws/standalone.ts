// Standalone tasks (RunTask), as mode run-task starts them: ECS validates the request like the real
// one does where the action depends on it (launch type XOR capacity provider strategy, awsvpc needs a
// network configuration, clientToken idempotency), answers a placement failure in `failures[]`
// instead of an error, and then plays a scenario, one step per DescribeTasks that names the task:
// PROVISIONING (RunTask's answer) → PENDING → RUNNING → STOPPED with the container's exit code.
//
//   aws.ecs.standalone.setBehaviour({ scenario: standalone.migrationFails() });
//   aws.ecs.standalone.setBehaviour({ failure: { reason: 'RESOURCE:MEMORY' } });
import type { FakeTask, FakeTaskDefinition } from './ecs';
import {
  runMigrationContainer,
  type FakeDatabase,
  type ImageProjects,
  type MigrationContainerOptions,
} from '../fake-atlas';
import { ATLAS_FAILURE_LOG, ATLAS_SUCCESS_LOG } from './scenarios';
import {
  ACCOUNT_ID,
  AwsFault,
  hexId,
  num,
  str,
  type JsonBody,
  type LogicalClock,
} from './protocol';
import type { FakeLogs } from './services';

/** What a scenario can make ECS do with a standalone task at one of its DescribeTasks. */
export interface StandaloneContext {
  /** 1 at the first DescribeTasks that names the task after RunTask started it. */
  readonly poll: number;
  readonly task: FakeTask;
  readonly taskDefinition: FakeTaskDefinition;
  /** The task definition's first container: the migration container of a migration-only task. */
  readonly container: string;
  /** Moves the task (and its containers that have not exited) to `status`. */
  setStatus(status: 'PENDING' | 'RUNNING'): void;
  /** Stops the task: its containers get the exit codes and reasons given (others none). */
  stop(spec: {
    stopCode: string;
    stoppedReason: string;
    containers: Record<string, { exitCode?: number; reason?: string }>;
  }): void;
  /** Writes to a container's awslogs stream `<prefix>/<container>/<task-id>`. */
  writeLog(container: string, lines: readonly string[]): void;
  /** The first `reads` GetLogEvents of that stream answer as if it did not exist yet. */
  delayLog(container: string, reads: number): void;
  /** Project files read back from the images of registered task definitions (fake Atlas). */
  readonly images?: ImageProjects;
}

export type StandaloneScenario = ((ctx: StandaloneContext) => void) & {
  /** Needs the images' project files: RegisterTaskDefinition reads them from the registry. */
  readonly readsImages?: boolean;
};

export interface RunTaskBehaviour {
  /** RunTask starts no task and answers this in `failures` (e.g. RESOURCE:MEMORY on EC2). */
  readonly failure?: { readonly reason: string; readonly detail?: string };
  /** What a started task does. Default: succeeds(). */
  readonly scenario?: StandaloneScenario;
}

/** What FakeEcs shares with this module. */
export interface StandaloneHost {
  readonly region: string;
  readonly clock: LogicalClock;
  readonly logs: FakeLogs;
  /** Every task of the fake ECS; standalone ones are added here. */
  readonly tasks: FakeTask[];
  cluster(body: JsonBody): { name: string; arn: string };
  taskDefinition(id: string): FakeTaskDefinition | undefined;
  nextTaskId(): string;
  /** The task as DescribeTasks (and RunTask) answer it. */
  taskJson(task: FakeTask): JsonBody;
  /** Project files of the images task definitions name (fake Atlas). */
  readonly images?: ImageProjects;
}

interface Running {
  readonly task: FakeTask;
  readonly taskDefinition: FakeTaskDefinition;
  readonly scenario: StandaloneScenario;
  polls: number;
}

const LAUNCH_TYPES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'];

export class FakeStandaloneTasks {
  private behaviour: RunTaskBehaviour = {};
  private readonly running = new Map<FakeTask, Running>();
  private readonly byClientToken = new Map<string, JsonBody>();
  private instanceCounter = 0;

  constructor(private readonly host: StandaloneHost) {}

  /** What every later RunTask does, until set again. */
  setBehaviour(behaviour: RunTaskBehaviour): void {
    this.behaviour = behaviour;
  }

  /** Does the scenario of later RunTasks need the images' project files? */
  get readsImages(): boolean {
    return this.behaviour.scenario?.readsImages === true;
  }

  /** The standalone tasks started so far, oldest first. */
  get tasks(): FakeTask[] {
    return [...this.running.keys()];
  }

  isStandalone(task: FakeTask): boolean {
    return this.running.has(task);
  }

  runTask(body: JsonBody): JsonBody {
    const token = str(body, 'clientToken');
    if (token !== undefined) {
      if (token.length > 64) {
        throw new AwsFault(
          'InvalidParameterException',
          'clientToken can be at most 64 characters.',
        );
      }
      const earlier = this.byClientToken.get(token);
      if (earlier) return earlier;
    }
    const answer = this.start(body);
    if (token !== undefined) this.byClientToken.set(token, answer);
    return answer;
  }

  private start(body: JsonBody): JsonBody {
    const cluster = this.host.cluster(body);
    const id = str(body, 'taskDefinition');
    const td = id ? this.host.taskDefinition(id) : undefined;
    if (!td || td.status !== 'ACTIVE') {
      throw new AwsFault('InvalidParameterException', 'TaskDefinition not found.');
    }
    const launchType = str(body, 'launchType');
    const strategy = Array.isArray(body.capacityProviderStrategy)
      ? (body.capacityProviderStrategy as JsonBody[])
      : undefined;
    if (launchType !== undefined && strategy !== undefined) {
      throw new AwsFault(
        'InvalidParameterException',
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    if (launchType !== undefined && !LAUNCH_TYPES.includes(launchType)) {
      throw new AwsFault('InvalidParameterException', `Invalid launch type ${launchType}.`);
    }
    const count = num(body, 'count') ?? 1;
    if (count < 1 || count > 10) {
      throw new AwsFault('InvalidParameterException', 'count must be between 1 and 10.');
    }
    const startedBy = str(body, 'startedBy');
    if (startedBy !== undefined && !/^[A-Za-z0-9_/-]{1,128}$/.test(startedBy)) {
      throw new AwsFault(
        'InvalidParameterException',
        'startedBy may hold up to 128 letters, numbers, hyphens, forward slashes and underscores.',
      );
    }
    const awsvpc = (body.networkConfiguration as JsonBody | undefined)?.awsvpcConfiguration as
      | JsonBody
      | undefined;
    if (td.body.networkMode === 'awsvpc') {
      if (!awsvpc) {
        throw new AwsFault(
          'InvalidParameterException',
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        );
      }
      if (!Array.isArray(awsvpc.subnets) || awsvpc.subnets.length === 0) {
        throw new AwsFault('InvalidParameterException', 'subnets can not be empty.');
      }
    }

    const failure = this.behaviour.failure;
    if (failure) {
      return {
        tasks: [],
        failures: [
          {
            arn: `arn:aws:ecs:${this.host.region}:${ACCOUNT_ID}:container-instance/${cluster.name}/${hexId(++this.instanceCounter)}`,
            reason: failure.reason,
            ...(failure.detail !== undefined ? { detail: failure.detail } : {}),
          },
        ],
      };
    }

    const tasks: JsonBody[] = [];
    for (let i = 0; i < count; i++) {
      const taskId = this.host.nextTaskId();
      const task: FakeTask = {
        arn: `arn:aws:ecs:${this.host.region}:${ACCOUNT_ID}:task/${cluster.name}/${taskId}`,
        id: taskId,
        clusterArn: cluster.arn,
        taskDefinitionArn: td.arn,
        startedBy: startedBy ?? '',
        group: str(body, 'group') ?? `family:${td.family}`,
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        containers: (td.body.containerDefinitions as JsonBody[]).map((c) => ({
          name: String(c.name),
          image: String(c.image),
          lastStatus: 'PENDING',
        })),
        createdAt: this.host.clock.now(),
        launchType: launchType ?? (strategy ? undefined : 'EC2'),
        capacityProviderName: strategy ? str(strategy[0] ?? {}, 'capacityProvider') : undefined,
      };
      this.host.tasks.push(task);
      this.running.set(task, {
        task,
        taskDefinition: td,
        scenario: this.behaviour.scenario ?? succeeds(),
        polls: 0,
      });
      tasks.push(this.host.taskJson(task));
    }
    return { tasks, failures: [] };
  }

  /** A DescribeTasks names the task: its scenario plays its next step. */
  advance(task: FakeTask): void {
    const run = this.running.get(task);
    if (!run || task.lastStatus === 'STOPPED') return;
    run.polls++;
    run.scenario(this.context(run));
  }

  private context(run: Running): StandaloneContext {
    const { task, taskDefinition } = run;
    const definitions = taskDefinition.body.containerDefinitions as JsonBody[];
    const streamOf = (container: string): { group: string; stream: string } => {
      const definition = definitions.find((c) => c.name === container);
      const options = (definition?.logConfiguration as JsonBody | undefined)?.options as
        | Record<string, string>
        | undefined;
      const group = options?.['awslogs-group'];
      const prefix = options?.['awslogs-stream-prefix'];
      if (!group || !prefix) throw new Error(`fake ECS: container ${container} has no awslogs`);
      return { group, stream: `${prefix}/${container}/${task.id}` };
    };
    return {
      poll: run.polls,
      task,
      taskDefinition,
      container: String(definitions[0]?.name),
      setStatus: (status) => {
        task.lastStatus = status;
        for (const container of task.containers) {
          if (container.lastStatus !== 'STOPPED') container.lastStatus = status;
        }
      },
      stop: (spec) => {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.stopCode = spec.stopCode;
        task.stoppedReason = spec.stoppedReason;
        task.stoppedAt = this.host.clock.now();
        for (const container of task.containers) {
          container.lastStatus = 'STOPPED';
          const how = spec.containers[container.name];
          if (how?.exitCode !== undefined) container.exitCode = how.exitCode;
          if (how?.reason !== undefined) container.reason = how.reason;
        }
      },
      writeLog: (container, lines) => {
        const { group, stream } = streamOf(container);
        this.host.logs.put(group, stream, lines);
      },
      delayLog: (container, reads) => {
        const { group, stream } = streamOf(container);
        this.host.logs.delay(group, stream, reads);
      },
      ...(this.host.images ? { images: this.host.images } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

export interface StandaloneTiming {
  /** The DescribeTasks at which the task is STOPPED. Default 3 (PENDING at 1, RUNNING at 2). */
  stopAtPoll?: number;
  /** Default: the task definition's first container. */
  container?: string;
}

/** PENDING, then RUNNING, then the given end at `stopAtPoll`. */
function lifecycle(
  timing: StandaloneTiming,
  end: (ctx: StandaloneContext) => void,
): StandaloneScenario {
  const stopAt = timing.stopAtPoll ?? 3;
  return (ctx) => {
    if (ctx.poll >= stopAt) end(ctx);
    else ctx.setStatus(ctx.poll >= stopAt - 1 ? 'RUNNING' : 'PENDING');
  };
}

/** Atlas applies the migrations and exits 0; the task stops. */
export function succeeds(
  options: StandaloneTiming & { log?: readonly string[] } = {},
): StandaloneScenario {
  return lifecycle(options, (ctx) => {
    const container = options.container ?? ctx.container;
    ctx.writeLog(container, options.log ?? ATLAS_SUCCESS_LOG);
    ctx.stop({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: { [container]: { exitCode: 0 } },
    });
  });
}

export interface StandaloneFailureOptions extends StandaloneTiming {
  exitCode?: number;
  log?: readonly string[];
  /** GetLogEvents answers "stream does not exist" this many times first. */
  logHiddenReads?: number;
}

/** Atlas fails (ATLAS_FAILURE_LOG ends with ATLAS_ERROR_LINE) and exits non-zero. */
export function migrationFails(options: StandaloneFailureOptions = {}): StandaloneScenario {
  return lifecycle(options, (ctx) => {
    const container = options.container ?? ctx.container;
    ctx.writeLog(container, options.log ?? ATLAS_FAILURE_LOG);
    if (options.logHiddenReads) ctx.delayLog(container, options.logHiddenReads);
    ctx.stop({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: { [container]: { exitCode: options.exitCode ?? 1 } },
    });
  });
}

/** The task stops before its container ran: no exit code (an image pull, a secret, the network). */
export function failsToStart(
  options: {
    stopAtPoll?: number;
    stoppedReason?: string;
    reason?: string;
    container?: string;
  } = {},
): StandaloneScenario {
  const stopAt = options.stopAtPoll ?? 2;
  return (ctx) => {
    if (ctx.poll < stopAt) {
      ctx.setStatus('PENDING');
      return;
    }
    const container = options.container ?? ctx.container;
    ctx.stop({
      stopCode: 'TaskFailedToStart',
      stoppedReason:
        options.stoppedReason ??
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException',
      containers: options.reason !== undefined ? { [container]: { reason: options.reason } } : {},
    });
  };
}

/** PENDING, then RUNNING for ever (a migration waiting on a lock, say). */
export function neverStops(): StandaloneScenario {
  return (ctx) => ctx.setStatus(ctx.poll >= 2 ? 'RUNNING' : 'PENDING');
}

export interface StandaloneAtlasOptions extends StandaloneTiming, MigrationContainerOptions {}

/**
 * Atlas itself: PENDING, RUNNING, then at `stopAtPoll` the container runs the command its task
 * definition gives it (`runAtlas`) on `db`, writes what it printed to its log and exits with its
 * exit code. The project files come from the image (read when the task definition was
 * registered) or `options.project`. Mode run-task and plan (`--dry-run`) alike.
 */
export function atlas(db: FakeDatabase, options: StandaloneAtlasOptions = {}): StandaloneScenario {
  const scenario = lifecycle(options, (ctx) => {
    const container = options.container ?? ctx.container;
    const run = runMigrationContainer(ctx.taskDefinition, container, db, ctx.images, options);
    ctx.writeLog(container, run.lines);
    ctx.stop({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: { [container]: { exitCode: run.exitCode } },
    });
  });
  return Object.assign(scenario, { readsImages: true });
}
