// An in-memory ECS that behaves like the real one where the action depends on it: RegisterTaskDefinition
// keeps every field it knows and refuses others (read-only ones included; see ecs-fields.ts for what
// it knows beyond the SDK), revisions are numbered per family, UpdateService creates a
// PRIMARY deployment (id `ecs-svc/<digits>`) and demotes the old one to ACTIVE, a CODE_DEPLOY
// service refuses a new task definition, stopped tasks stay listable by startedBy, and a scenario
// decides, poll after poll, what the new deployment's tasks do.
//
// Two deployments can race, as when two runs deploy the same service at once: an UpdateService
// while a rollout is IN_PROGRESS makes the new deployment PRIMARY and the old one ACTIVE (it
// launches nothing more; a scenario marked `afterReplaced` keeps playing, as tasks it already
// launched keep running); when the PRIMARY one completes, the others' tasks are drained (stopped
// by the scheduler) and the old deployments leave the list. Each deployment takes the next
// scenario queued for its service.
import {
  ACCOUNT_ID,
  AwsFault,
  hexId,
  num,
  str,
  type JsonBody,
  type LogicalClock,
} from './protocol';
import { ImageProjects } from '../fake-atlas';
import type { FakeLogs } from './services';
import {
  deploymentConfigurationJson,
  newServiceDeployment,
  serviceDeploymentJson,
  STOPPABLE,
  trafficStages,
  type FakeServiceDeployment,
  type FakeStrategy,
  type ServiceDeploymentApiMode,
} from './service-deployments';
import { FakeStandaloneTasks } from './standalone';
import { registerableBody, registeredTaskSize, type ShapeMember } from './ecs-fields';

export type { FakeStrategy, ServiceDeploymentApiMode } from './service-deployments';

export interface FakeTaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  /** What was registered (the request, without tags). */
  readonly body: JsonBody;
  readonly tags: JsonBody[] | undefined;
  readonly registeredAt: number;
}

export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  /** DescribeServices polls since this deployment was created. */
  polls: number;
  scenario: Scenario | undefined;
  /** The task definition the service ran before this deployment. */
  previousTaskDefinition: string;
  /** Its service deployment (ECS's deployment API). */
  readonly sd: FakeServiceDeployment;
}

export interface FakeContainer {
  name: string;
  image: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
}

export interface FakeTask {
  readonly arn: string;
  readonly id: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly startedBy: string;
  readonly group: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEPROVISIONING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  stopCode?: string;
  stoppedReason?: string;
  containers: FakeContainer[];
  readonly createdAt: number;
  stoppedAt?: number;
  /** A standalone task's (RunTask's); a service's tasks answer FARGATE. */
  readonly launchType?: string | undefined;
  readonly capacityProviderName?: string | undefined;
}

export interface FakeService {
  readonly name: string;
  readonly arn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  deploymentController: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  deployments: FakeDeployment[];
  /** Newest first, as ECS lists them. */
  events: { id: string; createdAt: number; message: string }[];
  networkConfiguration: JsonBody | undefined;
  launchType: string;
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** Given to the next deployments UpdateService creates, one each, in order. */
  nextScenarios: Scenario[];
  strategy: FakeStrategy;
  alarms: { alarmNames: string[]; rollback: boolean } | undefined;
  /** The service deployment UpdateService last started (Service.currentServiceDeployment). */
  currentServiceDeployment: string | undefined;
  /** ECS's own rollback (StopServiceDeployment) ends ROLLBACK_FAILED. */
  rollbackFails: boolean;
}

/** How a stopped task's containers ended. */
export interface StopSpec {
  stopCode: string;
  stoppedReason: string;
  containers: Record<string, { exitCode?: number; reason?: string }>;
}

/** What a scenario can make ECS do at a poll of its deployment. */
export interface ScenarioContext {
  /** 1 at the first DescribeServices after the UpdateService that created the deployment. */
  readonly poll: number;
  readonly service: FakeService;
  readonly deployment: FakeDeployment;
  readonly taskDefinition: FakeTaskDefinition;
  /** Starts `count` (default: the deployment's desired count) RUNNING tasks of the deployment. */
  startTasks(count?: number): FakeTask[];
  /** The deployment's tasks that are not stopped. */
  liveTasks(): FakeTask[];
  stopTask(task: FakeTask, spec: StopSpec): void;
  /** Writes log lines to a container's awslogs stream (from its logConfiguration). */
  writeLog(task: FakeTask, container: string, lines: readonly string[]): void;
  /** The first `reads` GetLogEvents of that stream answer as if it did not exist yet. */
  delayLog(task: FakeTask, container: string, reads: number): void;
  /** rolloutState COMPLETED, the old deployments drained. */
  complete(): void;
  /** rolloutState FAILED; with rollback, a new PRIMARY deployment of the previous revision. */
  fail(reason: string, options: { rollback: boolean }): void;
  /** CloudWatch alarms of the service go into ALARM: ECS rolls back when alarms say so. */
  alarm(names: readonly string[]): void;
  event(message: string): void;
  /** Project files read back from the images of registered task definitions (fake Atlas). */
  readonly images?: ImageProjects;
}

export type Scenario = ((ctx: ScenarioContext) => void) & {
  /** Keeps playing once another deployment replaced this one (its tasks run until drained). */
  readonly afterReplaced?: boolean;
  /** Needs the images' project files: RegisterTaskDefinition reads them from the registry. */
  readonly readsImages?: boolean;
};

export interface AddServiceOptions {
  cluster?: string;
  name: string;
  /** ARN or family:revision of a task definition added before. */
  taskDefinition: string;
  desiredCount?: number;
  status?: FakeService['status'];
  deploymentController?: FakeService['deploymentController'];
  circuitBreaker?: { enable: boolean; rollback: boolean };
  networkConfiguration?: JsonBody;
  /** deploymentConfiguration.strategy and its bake times. Default ROLLING. */
  strategy?: FakeStrategy;
  alarms?: { alarmNames: string[]; rollback: boolean };
}

export class FakeEcs {
  readonly clusters = new Map<string, string>();
  readonly taskDefinitions: FakeTaskDefinition[] = [];
  readonly services: FakeService[] = [];
  readonly tasks: FakeTask[] = [];
  /** Every deployment ever created, oldest first (completed ones leave their service's list). */
  readonly deploymentHistory: FakeDeployment[] = [];
  private deploymentCounter = 0;
  private taskCounter = 0;
  private eventCounter = 0;
  /** How the service-deployment API answers (older regions and emulators lack it). */
  serviceDeploymentApi: ServiceDeploymentApiMode = 'available';
  /** A policy that allows reading service deployments but not ecs:StopServiceDeployment. */
  stopServiceDeploymentDenied = false;
  /** Tasks started by RunTask, and what they do. */
  readonly standalone: FakeStandaloneTasks;
  /** Project files of the images task definitions name, for scenarios that play Atlas. */
  readonly images = new ImageProjects();

  constructor(
    private readonly region: string,
    private readonly clock: LogicalClock,
    private readonly logs: FakeLogs,
  ) {
    this.standalone = new FakeStandaloneTasks({
      region,
      clock,
      logs,
      tasks: this.tasks,
      cluster: (body) => this.clusterOf(body),
      taskDefinition: (id) => this.findTaskDefinition(id),
      nextTaskId: () => hexId(++this.taskCounter),
      taskJson: (task) => this.taskJson(task),
      images: this.images,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Fixtures

  addCluster(name: string): string {
    const arn = `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:cluster/${name}`;
    this.clusters.set(name, arn);
    return arn;
  }

  /** Registers a task definition as a fixture (no request recorded); returns its ARN. */
  addTaskDefinition(body: JsonBody, tags?: JsonBody[]): string {
    return this.register(body, tags).arn;
  }

  addService(options: AddServiceOptions): FakeService {
    const clusterName = options.cluster ?? 'default';
    const clusterArn = this.clusters.get(clusterName) ?? this.addCluster(clusterName);
    const td = this.findTaskDefinition(options.taskDefinition);
    if (!td) throw new Error(`fake ECS: no task definition ${options.taskDefinition}`);
    const desiredCount = options.desiredCount ?? 1;
    const service: FakeService = {
      name: options.name,
      arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:service/${clusterName}/${options.name}`,
      clusterName,
      clusterArn,
      status: options.status ?? 'ACTIVE',
      desiredCount,
      taskDefinition: td.arn,
      deploymentController: options.deploymentController ?? 'ECS',
      deployments: [],
      events: [],
      networkConfiguration: options.networkConfiguration ?? {
        awsvpcConfiguration: {
          subnets: ['subnet-0abc'],
          securityGroups: ['sg-0abc'],
          assignPublicIp: 'DISABLED',
        },
      },
      launchType: 'FARGATE',
      circuitBreaker: options.circuitBreaker ?? { enable: true, rollback: true },
      nextScenarios: [],
      strategy: options.strategy ?? { name: 'ROLLING' },
      alarms: options.alarms,
      currentServiceDeployment: undefined,
      rollbackFails: false,
    };
    const initial = this.newDeployment(service, td.arn, td.arn);
    initial.rolloutState = 'COMPLETED';
    initial.rolloutStateReason = `ECS deployment ${initial.id} completed.`;
    initial.runningCount = desiredCount;
    initial.sd.status = 'SUCCESSFUL';
    service.currentServiceDeployment = initial.sd.arn;
    service.deployments.push(initial);
    this.addEvent(service, `(service ${service.name}) has reached a steady state.`);
    this.services.push(service);
    return service;
  }

  service(name: string, cluster = 'default'): FakeService {
    const found = this.services.find((s) => s.name === name && s.clusterName === cluster);
    if (!found) throw new Error(`fake ECS: no service ${cluster}/${name}`);
    return found;
  }

  /** The scenario the next deployment of the service plays (forgets any queued ones). */
  setScenario(service: string, scenario: Scenario, cluster = 'default'): void {
    this.service(service, cluster).nextScenarios = [scenario];
  }

  /** Scenarios for the deployments after those already queued: one each, in order. */
  queueScenarios(service: string, scenarios: readonly Scenario[], cluster = 'default'): void {
    this.service(service, cluster).nextScenarios.push(...scenarios);
  }

  taskDefinition(arnOrName: string): FakeTaskDefinition | undefined {
    return this.findTaskDefinition(arnOrName);
  }

  /** Does a queued or playing scenario (or RunTask's) need the images' project files? */
  readsImages(): boolean {
    return (
      this.images.always ||
      this.standalone.readsImages ||
      this.services.some(
        (s) =>
          s.nextScenarios.some((sc) => sc.readsImages) ||
          s.deployments.some((d) => d.scenario?.readsImages),
      )
    );
  }

  /**
   * Before RegisterTaskDefinition answers: reads the project files of its loopback images when a
   * scenario needs them (errors are kept in `images.errors`, never thrown).
   */
  async beforeRegister(body: JsonBody): Promise<void> {
    if (this.readsImages()) await this.images.prefetch(body);
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  handle(operation: string, body: JsonBody): JsonBody {
    switch (operation) {
      case 'DescribeServices':
        return this.describeServices(body);
      case 'DescribeTaskDefinition':
        return this.describeTaskDefinition(body);
      case 'RegisterTaskDefinition':
        return this.registerTaskDefinition(body);
      case 'UpdateService':
        return this.updateService(body);
      case 'ListTasks':
        return this.listTasks(body);
      case 'DescribeTasks':
        return this.describeTasks(body);
      case 'RunTask':
        return this.standalone.runTask(body);
      case 'ListServiceDeployments':
        this.serviceDeploymentApiAnswers(operation);
        return this.listServiceDeployments(body);
      case 'DescribeServiceDeployments':
        this.serviceDeploymentApiAnswers(operation);
        return this.describeServiceDeployments(body);
      case 'StopServiceDeployment':
        this.serviceDeploymentApiAnswers(operation);
        if (this.stopServiceDeploymentDenied) {
          this.serviceDeploymentApi = 'access-denied';
          try {
            this.serviceDeploymentApiAnswers(operation);
          } finally {
            this.serviceDeploymentApi = 'available';
          }
        }
        return this.stopServiceDeployment(body);
      case 'ListTaskDefinitions':
        return this.listTaskDefinitions(body);
      case 'DeregisterTaskDefinition':
        return this.deregisterTaskDefinition(body);
      default:
        throw new AwsFault('UnknownOperationException', `fake ECS does not implement ${operation}`);
    }
  }

  private clusterOf(body: JsonBody): { name: string; arn: string } {
    const given = str(body, 'cluster') ?? 'default';
    for (const [name, arn] of this.clusters) {
      if (given === name || given === arn) return { name, arn };
    }
    throw new AwsFault('ClusterNotFoundException', 'Cluster not found.');
  }

  private findService(cluster: string, nameOrArn: string): FakeService | undefined {
    return this.services.find(
      (s) => s.clusterName === cluster && (s.name === nameOrArn || s.arn === nameOrArn),
    );
  }

  private describeServices(body: JsonBody): JsonBody {
    const cluster = this.clusterOf(body);
    const names = Array.isArray(body.services) ? (body.services as string[]) : [];
    if (names.length === 0 || names.length > 10) {
      throw new AwsFault('InvalidParameterException', 'services must hold 1 to 10 names or ARNs.');
    }
    const services: JsonBody[] = [];
    const failures: JsonBody[] = [];
    for (const name of names) {
      const service = this.findService(cluster.name, name);
      if (!service) {
        failures.push({
          arn: name.startsWith('arn:')
            ? name
            : `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:service/${cluster.name}/${name}`,
          reason: 'MISSING',
        });
        continue;
      }
      this.advance(service);
      services.push(this.serviceJson(service));
    }
    return { services, failures };
  }

  /**
   * A poll: the PRIMARY deployment's scenario plays its next step, and so do the scenarios of
   * replaced deployments still in progress that keep playing after being replaced.
   */
  private advance(service: FakeService): void {
    const playing = service.deployments.filter(
      (d) =>
        d.scenario &&
        d.rolloutState === 'IN_PROGRESS' &&
        (d.status === 'PRIMARY' || (d.status === 'ACTIVE' && d.scenario.afterReplaced)),
    );
    // Oldest first: a replaced deployment's tasks were launched before the PRIMARY one's.
    for (const deployment of playing.reverse()) {
      deployment.polls++;
      const sd = deployment.sd;
      if (sd.status === 'PENDING') {
        sd.status = 'IN_PROGRESS';
        sd.startedAt = this.clock.now();
        if (service.strategy.name !== 'ROLLING') sd.lifecycleStage = 'SCALE_UP';
      } else if (sd.stages && sd.status === 'IN_PROGRESS') {
        this.nextStage(service, deployment);
        if (deployment.rolloutState !== 'IN_PROGRESS') continue;
      }
      deployment.scenario!(this.context(service, deployment));
    }
  }

  /** Blue/green, linear, canary: one lifecycle stage per poll once the tasks are up. */
  private nextStage(service: FakeService, deployment: FakeDeployment): void {
    const sd = deployment.sd;
    const next = sd.stages!.shift();
    if (!next) {
      this.finishComplete(service, deployment);
      return;
    }
    sd.lifecycleStage = next.stage;
    sd.updatedAt = this.clock.now();
    if (next.productionWeight !== undefined) sd.productionWeight = next.productionWeight;
    if (next.testWeight !== undefined) sd.testWeight = next.testWeight;
    else delete sd.testWeight;
  }

  private context(service: FakeService, deployment: FakeDeployment): ScenarioContext {
    const td = this.findTaskDefinition(deployment.taskDefinition)!;
    const streamOf = (task: FakeTask, container: string): { group: string; stream: string } => {
      const definition = (td.body.containerDefinitions as JsonBody[]).find(
        (c) => c.name === container,
      );
      const options = (definition?.logConfiguration as JsonBody | undefined)?.options as
        | Record<string, string>
        | undefined;
      const group = options?.['awslogs-group'];
      const prefix = options?.['awslogs-stream-prefix'];
      if (!group || !prefix) throw new Error(`fake ECS: container ${container} has no awslogs`);
      return { group, stream: `${prefix}/${container}/${task.id}` };
    };
    return {
      poll: deployment.polls,
      service,
      deployment,
      taskDefinition: td,
      startTasks: (count) => this.startTasks(service, deployment, td, count),
      liveTasks: () =>
        this.tasks.filter((t) => t.startedBy === deployment.id && t.lastStatus !== 'STOPPED'),
      stopTask: (task, spec) => this.stopTask(service, deployment, task, spec),
      writeLog: (task, container, lines) => {
        const { group, stream } = streamOf(task, container);
        this.logs.put(group, stream, lines);
      },
      delayLog: (task, container, reads) => {
        const { group, stream } = streamOf(task, container);
        this.logs.delay(group, stream, reads);
      },
      complete: () => this.complete(service, deployment),
      fail: (reason, options) => this.fail(service, deployment, reason, options.rollback),
      alarm: (names) => this.alarm(service, deployment, names),
      event: (message) => this.addEvent(service, message),
      images: this.images,
    };
  }

  private startTasks(
    service: FakeService,
    deployment: FakeDeployment,
    td: FakeTaskDefinition,
    count = deployment.desiredCount,
  ): FakeTask[] {
    const started: FakeTask[] = [];
    for (let i = 0; i < count; i++) {
      const id = hexId(++this.taskCounter);
      const task: FakeTask = {
        arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:task/${service.clusterName}/${id}`,
        id,
        clusterArn: service.clusterArn,
        taskDefinitionArn: td.arn,
        startedBy: deployment.id,
        group: `service:${service.name}`,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        containers: (td.body.containerDefinitions as JsonBody[]).map((c) => ({
          name: String(c.name),
          image: String(c.image),
          lastStatus: 'RUNNING',
        })),
        createdAt: this.clock.now(),
      };
      this.tasks.push(task);
      started.push(task);
    }
    deployment.runningCount += started.length;
    deployment.updatedAt = this.clock.now();
    this.addEvent(
      service,
      `(service ${service.name}) has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`,
    );
    return started;
  }

  private stopTask(
    service: FakeService,
    deployment: FakeDeployment,
    task: FakeTask,
    spec: StopSpec,
  ): void {
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.stopCode = spec.stopCode;
    task.stoppedReason = spec.stoppedReason;
    task.stoppedAt = this.clock.now();
    for (const container of task.containers) {
      container.lastStatus = 'STOPPED';
      const how = spec.containers[container.name];
      if (how?.exitCode !== undefined) container.exitCode = how.exitCode;
      if (how?.reason !== undefined) container.reason = how.reason;
    }
    deployment.runningCount = Math.max(0, deployment.runningCount - 1);
    if (spec.stopCode !== 'ServiceSchedulerInitiated' || /health checks/.test(spec.stoppedReason)) {
      deployment.failedTasks++;
    }
    deployment.updatedAt = this.clock.now();
    this.addEvent(
      service,
      `(service ${service.name}) has stopped 1 running tasks: (task ${task.id}).`,
    );
  }

  /** Rolling: done now. Other strategies: their traffic stages first, one per poll. */
  private complete(service: FakeService, deployment: FakeDeployment): void {
    if (service.strategy.name === 'ROLLING') {
      this.finishComplete(service, deployment);
      return;
    }
    if (deployment.sd.stages) return;
    deployment.sd.stages = trafficStages(service.strategy);
    this.nextStage(service, deployment);
  }

  private finishComplete(service: FakeService, deployment: FakeDeployment): void {
    deployment.sd.status = 'SUCCESSFUL';
    deployment.sd.finishedAt = this.clock.now();
    deployment.sd.updatedAt = this.clock.now();
    // The scheduler drains what the deployments it replaces still run.
    for (const old of service.deployments) {
      if (old === deployment) continue;
      for (const task of this.tasks.filter(
        (t) => t.startedBy === old.id && t.lastStatus !== 'STOPPED',
      )) {
        this.stopTask(service, old, task, {
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: `Scaling activity initiated by (deployment ${deployment.id})`,
          containers: {},
        });
      }
    }
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    deployment.runningCount = deployment.desiredCount;
    deployment.pendingCount = 0;
    deployment.updatedAt = this.clock.now();
    service.deployments = [deployment];
    this.addEvent(
      service,
      `(service ${service.name}) (deployment ${deployment.id}) deployment completed.`,
    );
    this.addEvent(service, `(service ${service.name}) has reached a steady state.`);
  }

  private fail(
    service: FakeService,
    deployment: FakeDeployment,
    reason: string,
    rollback: boolean,
  ): void {
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = `ECS deployment circuit breaker: ${reason}`;
    deployment.updatedAt = this.clock.now();
    const sd = deployment.sd;
    sd.breaker.status = 'TRIGGERED';
    sd.breaker.failureCount = Math.max(deployment.failedTasks, sd.breaker.threshold);
    sd.updatedAt = this.clock.now();
    if (rollback) {
      sd.status = 'ROLLBACK_IN_PROGRESS';
      sd.rollback = {
        reason:
          'Service deployment rolled back because the circuit breaker threshold was exceeded.',
        startedAt: this.clock.now(),
        serviceRevisionArn: sd.sourceRevisionArn,
      };
      sd.onNextRead = () => {
        sd.status = 'ROLLBACK_SUCCESSFUL';
        sd.finishedAt = this.clock.now();
      };
    } else {
      sd.status = 'STOPPED';
      sd.statusReason = `Service deployment stopped because the circuit breaker threshold was exceeded: ${reason}`;
      sd.finishedAt = this.clock.now();
    }
    this.addEvent(
      service,
      `(service ${service.name}) (deployment ${deployment.id}) deployment failed: ${reason}`,
    );
    if (!rollback) return;
    const previous = service.deployments.find((d) => d.id !== deployment.id);
    deployment.status = 'ACTIVE';
    const back = this.newDeployment(
      service,
      deployment.previousTaskDefinition,
      deployment.taskDefinition,
    );
    service.deployments.unshift(back);
    service.taskDefinition = deployment.previousTaskDefinition;
    this.addEvent(
      service,
      `(service ${service.name}) rolling back to deployment ${previous?.id ?? back.id}.`,
    );
  }

  private alarm(service: FakeService, deployment: FakeDeployment, names: readonly string[]): void {
    const sd = deployment.sd;
    sd.alarms = {
      status: 'TRIGGERED',
      alarmNames: service.alarms?.alarmNames ?? [...names],
      triggeredAlarmNames: [...names],
    };
    this.addEvent(
      service,
      `(service ${service.name}) (deployment ${deployment.id}) CloudWatch alarm(s) ${names.join(', ')} in ALARM.`,
    );
    if (!service.alarms?.rollback) return;
    sd.status = 'ROLLBACK_IN_PROGRESS';
    sd.rollback = {
      reason: `Service deployment rolled back because CloudWatch alarm(s) ${names.join(', ')} went into ALARM.`,
      startedAt: this.clock.now(),
      serviceRevisionArn: sd.sourceRevisionArn,
    };
    this.rollBackTo(service, deployment);
    sd.onNextRead = () => {
      sd.status = 'ROLLBACK_SUCCESSFUL';
      sd.finishedAt = this.clock.now();
    };
  }

  /** ECS's own rollback: the previous revision PRIMARY again, this deployment's tasks drained. */
  private rollBackTo(service: FakeService, deployment: FakeDeployment): void {
    deployment.rolloutState = 'FAILED';
    deployment.status = 'ACTIVE';
    const back = this.newDeployment(
      service,
      deployment.previousTaskDefinition,
      deployment.taskDefinition,
    );
    back.sd.status = 'SUCCESSFUL';
    service.deployments.unshift(back);
    service.taskDefinition = deployment.previousTaskDefinition;
    this.finishComplete(service, back);
  }

  private serviceDeploymentApiAnswers(operation: string): void {
    if (this.serviceDeploymentApi === 'access-denied') {
      throw new AwsFault(
        'AccessDeniedException',
        `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/deploy/github is not authorized to perform: ecs:${operation} because no identity-based policy allows the ecs:${operation} action`,
      );
    }
    if (this.serviceDeploymentApi === 'absent') {
      throw new AwsFault('UnknownOperationException', `fake ECS does not implement ${operation}`);
    }
  }

  private findServiceDeployment(
    arn: string,
  ): { service: FakeService; deployment: FakeDeployment } | undefined {
    for (const service of this.services) {
      const deployment = this.deploymentHistory.find(
        (d) => d.sd.arn === arn && d.sd.arn.includes(`/${service.clusterName}/${service.name}/`),
      );
      if (deployment) return { service, deployment };
    }
    return undefined;
  }

  private listServiceDeployments(body: JsonBody): JsonBody {
    const cluster = this.clusterOf(body);
    const service = this.findService(cluster.name, str(body, 'service') ?? '');
    if (!service) throw new AwsFault('ServiceNotFoundException', 'Service not found.');
    const statuses = Array.isArray(body.status) ? (body.status as string[]) : undefined;
    const createdAt = body.createdAt as { after?: number; before?: number } | undefined;
    const ofService = this.deploymentHistory.filter((d) =>
      d.sd.arn.includes(`/${service.clusterName}/${service.name}/`),
    );
    const listed = ofService
      .filter((d) => !statuses || statuses.includes(d.sd.status))
      .filter((d) => createdAt?.after === undefined || d.sd.createdAt >= createdAt.after)
      .filter((d) => createdAt?.before === undefined || d.sd.createdAt <= createdAt.before)
      .reverse();
    return {
      serviceDeployments: listed.map((d) => ({
        serviceDeploymentArn: d.sd.arn,
        serviceArn: service.arn,
        clusterArn: service.clusterArn,
        createdAt: d.sd.createdAt,
        ...(d.sd.startedAt !== undefined ? { startedAt: d.sd.startedAt } : {}),
        ...(d.sd.finishedAt !== undefined ? { finishedAt: d.sd.finishedAt } : {}),
        targetServiceRevisionArn: d.sd.targetRevisionArn,
        status: d.sd.status,
        ...(d.sd.statusReason ? { statusReason: d.sd.statusReason } : {}),
      })),
    };
  }

  private describeServiceDeployments(body: JsonBody): JsonBody {
    const arns = Array.isArray(body.serviceDeploymentArns)
      ? (body.serviceDeploymentArns as string[])
      : [];
    if (arns.length === 0 || arns.length > 20) {
      throw new AwsFault(
        'InvalidParameterException',
        'serviceDeploymentArns must hold 1 to 20 ARNs.',
      );
    }
    const serviceDeployments: JsonBody[] = [];
    const failures: JsonBody[] = [];
    for (const arn of arns) {
      const found = this.findServiceDeployment(arn);
      if (!found) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      const { service, deployment } = found;
      const sd = deployment.sd;
      sd.reads++;
      const tasks = this.tasks.filter((t) => t.startedBy === deployment.id);
      const sourceRunning = this.tasks.filter(
        (t) =>
          t.taskDefinitionArn === deployment.previousTaskDefinition &&
          t.startedBy !== deployment.id &&
          t.lastStatus !== 'STOPPED',
      ).length;
      serviceDeployments.push(
        serviceDeploymentJson(sd, {
          serviceArn: service.arn,
          clusterArn: service.clusterArn,
          requested: deployment.desiredCount,
          running: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
          pending: tasks.filter((t) => t.lastStatus === 'PENDING').length,
          sourceRunning,
          configuration: deploymentConfigurationJson(
            service.strategy,
            service.circuitBreaker,
            service.alarms,
          ),
        }),
      );
      // A rollback moves on one status per read.
      const move = sd.onNextRead;
      delete sd.onNextRead;
      move?.();
    }
    return { serviceDeployments, failures };
  }

  private stopServiceDeployment(body: JsonBody): JsonBody {
    const arn = str(body, 'serviceDeploymentArn') ?? '';
    const stopType = str(body, 'stopType') ?? 'ROLLBACK';
    if (stopType !== 'ROLLBACK') {
      throw new AwsFault(
        'InvalidParameterException',
        'The valid values for stopType are ROLLBACK.',
      );
    }
    const found = this.findServiceDeployment(arn);
    if (!found)
      throw new AwsFault(
        'ServiceDeploymentNotFoundException',
        'The service deployment does not exist.',
      );
    const { service, deployment } = found;
    const sd = deployment.sd;
    if (service.status !== 'ACTIVE') {
      throw new AwsFault('ServiceNotActiveException', 'Service was not ACTIVE.');
    }
    if (!STOPPABLE.has(sd.status)) {
      throw new AwsFault(
        'ConflictException',
        `The service deployment is ${sd.status} and cannot be stopped.`,
      );
    }
    if (sd.status === 'PENDING' || sd.status === 'IN_PROGRESS') {
      sd.status = 'ROLLBACK_REQUESTED';
      sd.updatedAt = this.clock.now();
      sd.rollback = {
        reason: 'Service deployment rolled back because of a StopServiceDeployment request.',
        startedAt: this.clock.now(),
        serviceRevisionArn: sd.sourceRevisionArn,
      };
      delete sd.stages;
      sd.onNextRead = () => {
        sd.status = 'ROLLBACK_IN_PROGRESS';
        sd.onNextRead = () => {
          if (service.rollbackFails) {
            sd.status = 'ROLLBACK_FAILED';
            sd.statusReason =
              'Service deployment rollback failed: the previous service revision could not be started.';
          } else {
            sd.status = 'ROLLBACK_SUCCESSFUL';
            this.rollBackTo(service, deployment);
          }
          sd.finishedAt = this.clock.now();
        };
      };
      this.addEvent(
        service,
        `(service ${service.name}) (deployment ${deployment.id}) rolling back: StopServiceDeployment requested.`,
      );
    }
    return { serviceDeploymentArn: sd.arn };
  }

  private describeTaskDefinition(body: JsonBody): JsonBody {
    const id = str(body, 'taskDefinition');
    const td = id ? this.findTaskDefinition(id) : undefined;
    if (!td) throw new AwsFault('ClientException', 'Unable to describe task definition.');
    const include = Array.isArray(body.include) ? (body.include as string[]) : [];
    return {
      taskDefinition: this.taskDefinitionJson(td),
      ...(include.includes('TAGS') ? { tags: td.tags ?? [] } : {}),
    };
  }

  private registerTaskDefinition(body: JsonBody): JsonBody {
    // Fields it knows are kept, others refused; those a test made it ignore are dropped silently.
    const kept = registerableBody(body, this.silentlyDropped);
    const td = this.register(kept, kept.tags as JsonBody[] | undefined);
    return { taskDefinition: this.taskDefinitionJson(td), tags: td.tags ?? [] };
  }

  /**
   * Members RegisterTaskDefinition accepts and then leaves out of the revision, as an ECS that
   * ignores a member would: `Shape.member` of the SDK model or of FIELDS_BEYOND_SDK.
   */
  readonly silentlyDropped = new Set<ShapeMember>();

  /** Makes RegisterTaskDefinition accept `Shape.member` and keep nothing of it. */
  dropSilently(field: ShapeMember): void {
    this.silentlyDropped.add(field);
  }

  private register(input: JsonBody, tags: JsonBody[] | undefined): FakeTaskDefinition {
    const family = str(input, 'family');
    if (!family || !/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
      throw new AwsFault('ClientException', 'Family contains invalid characters.');
    }
    const containers = input.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new AwsFault('ClientException', 'Container list cannot be empty.');
    }
    const defs = containers as JsonBody[];
    for (const c of defs) {
      if (!str(c, 'name') || !str(c, 'image')) {
        throw new AwsFault(
          'ClientException',
          'Container.name and Container.image should not be null or empty.',
        );
      }
      for (const dep of (c.dependsOn as JsonBody[] | undefined) ?? []) {
        const target = defs.find((d) => d.name === dep.containerName);
        if (!target) {
          throw new AwsFault(
            'ClientException',
            `Container ${String(c.name)} depends on unknown container ${String(dep.containerName)}.`,
          );
        }
        if (
          (dep.condition === 'SUCCESS' || dep.condition === 'COMPLETE') &&
          target.essential !== false
        ) {
          throw new AwsFault(
            'ClientException',
            `Dependency container ${String(target.name)} with condition ${String(dep.condition)} must be non-essential.`,
          );
        }
      }
    }
    if (
      defs.some((c) => Array.isArray(c.secrets) && c.secrets.length > 0) &&
      !input.executionRoleArn
    ) {
      throw new AwsFault(
        'ClientException',
        "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
      );
    }
    const revision = this.taskDefinitions.filter((t) => t.family === family).length + 1;
    const body = { ...input };
    delete body.tags;
    for (const field of ['cpu', 'memory'] as const) {
      if (body[field] !== undefined) body[field] = registeredTaskSize(field, body[field]);
    }
    const td: FakeTaskDefinition = {
      arn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
      family,
      revision,
      status: 'ACTIVE',
      body,
      tags: tags && tags.length > 0 ? tags : undefined,
      registeredAt: this.clock.now(),
    };
    this.taskDefinitions.push(td);
    return td;
  }

  private updateService(body: JsonBody): JsonBody {
    const cluster = this.clusterOf(body);
    const name = str(body, 'service') ?? '';
    const service = this.findService(cluster.name, name);
    if (!service) throw new AwsFault('ServiceNotFoundException', 'Service not found.');
    if (service.status !== 'ACTIVE') {
      throw new AwsFault('ServiceNotActiveException', 'Service was not ACTIVE.');
    }
    const requested = str(body, 'taskDefinition');
    if (requested && service.deploymentController === 'CODE_DEPLOY') {
      throw new AwsFault(
        'InvalidParameterException',
        'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
      );
    }
    if (requested && service.deploymentController === 'EXTERNAL') {
      throw new AwsFault(
        'InvalidParameterException',
        'Unable to update task definition on services with an EXTERNAL deployment controller.',
      );
    }
    const td = requested ? this.findTaskDefinition(requested) : undefined;
    if (requested && !td) throw new AwsFault('ClientException', 'TaskDefinition not found.');
    const desired = num(body, 'desiredCount');
    if (desired !== undefined) service.desiredCount = desired;
    const changes = (td && td.arn !== service.taskDefinition) || body.forceNewDeployment === true;
    if (changes) {
      const target = td?.arn ?? service.taskDefinition;
      for (const d of service.deployments) {
        if (d.status === 'PRIMARY') d.status = 'ACTIVE';
        if (d.sd.status === 'PENDING' || d.sd.status === 'IN_PROGRESS') {
          d.sd.status = 'STOPPED';
          d.sd.statusReason =
            'Service deployment stopped because a newer service deployment started.';
          d.sd.finishedAt = this.clock.now();
        }
      }
      const deployment = this.newDeployment(service, target, service.taskDefinition);
      service.currentServiceDeployment = deployment.sd.arn;
      deployment.scenario = service.nextScenarios.shift();
      service.deployments.unshift(deployment);
      service.taskDefinition = target;
    }
    return { service: this.serviceJson(service) };
  }

  private newDeployment(
    service: FakeService,
    taskDefinition: string,
    previousTaskDefinition: string,
  ): FakeDeployment {
    const id = `ecs-svc/${String(4_000_000_000_000_000_000n + BigInt(++this.deploymentCounter))}`;
    const now = this.clock.now();
    const deployment: FakeDeployment = {
      id,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: service.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: `ECS deployment ${id} in progress.`,
      polls: 0,
      scenario: undefined,
      previousTaskDefinition,
      sd: newServiceDeployment({
        region: this.region,
        cluster: service.clusterName,
        service: service.name,
        now,
        counter: this.deploymentCounter,
        ...(service.alarms ? { alarmNames: service.alarms.alarmNames } : {}),
      }),
    };
    this.deploymentHistory.push(deployment);
    return deployment;
  }

  private listTasks(body: JsonBody): JsonBody {
    const cluster = this.clusterOf(body);
    const startedBy = str(body, 'startedBy');
    if (
      startedBy &&
      (body.serviceName || body.family || body.containerInstance || body.launchType)
    ) {
      throw new AwsFault(
        'InvalidParameterException',
        'When you specify startedBy as the filter, it must be the only filter that you use.',
      );
    }
    const desired = str(body, 'desiredStatus') ?? 'RUNNING';
    const serviceName = str(body, 'serviceName');
    const family = str(body, 'family');
    const matching = this.tasks.filter(
      (t) =>
        t.clusterArn === cluster.arn &&
        t.desiredStatus === desired &&
        (!startedBy || t.startedBy === startedBy) &&
        (!serviceName || t.group === `service:${serviceName}`) &&
        (!family || t.taskDefinitionArn.includes(`:task-definition/${family}:`)),
    );
    const max = num(body, 'maxResults') ?? 100;
    const start = Number(str(body, 'nextToken') ?? '0');
    const page = matching.slice(start, start + max);
    return {
      taskArns: page.map((t) => t.arn),
      ...(start + max < matching.length ? { nextToken: String(start + max) } : {}),
    };
  }

  private describeTasks(body: JsonBody): JsonBody {
    const cluster = this.clusterOf(body);
    const ids = Array.isArray(body.tasks) ? (body.tasks as string[]) : [];
    if (ids.length === 0 || ids.length > 100) {
      throw new AwsFault(
        'InvalidParameterException',
        'Tasks cannot be empty and can hold at most 100 items.',
      );
    }
    const tasks: JsonBody[] = [];
    const failures: JsonBody[] = [];
    for (const id of ids) {
      const task = this.tasks.find(
        (t) => t.clusterArn === cluster.arn && (t.arn === id || t.id === id),
      );
      if (task) this.standalone.advance(task);
      if (task) tasks.push(this.taskJson(task));
      else failures.push({ arn: id, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  /** When each revision DeregisterTaskDefinition made INACTIVE was deregistered. */
  private readonly deregisteredAt = new Map<string, number>();

  /**
   * DeregisterTaskDefinition, as the API reference has it: `family:revision` or a full ARN (a
   * bare family is refused: "You must specify a revision"); the revision turns INACTIVE and stays
   * describable. The reference names no error for one that already is INACTIVE: it is answered
   * as it is, its deregisteredAt unchanged.
   */
  private deregisterTaskDefinition(body: JsonBody): JsonBody {
    const id = str(body, 'taskDefinition') ?? '';
    const named = id.startsWith('arn:') ? id.slice(id.indexOf('/') + 1) : id;
    if (!/^[A-Za-z0-9_-]{1,255}:\d+$/.test(named)) {
      throw new AwsFault(
        'ClientException',
        'Invalid revision number. Specify the family and revision (family:revision) or the full ARN of the task definition.',
      );
    }
    const td = this.findTaskDefinition(id);
    if (!td) throw new AwsFault('ClientException', 'The specified task definition does not exist.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      this.deregisteredAt.set(td.arn, this.clock.now());
    }
    return {
      taskDefinition: {
        ...this.taskDefinitionJson(td),
        deregisteredAt: this.deregisteredAt.get(td.arn),
      },
    };
  }

  /**
   * ListTaskDefinitions, as the API reference has it: familyPrefix is the full family name (an
   * exact match, unlike ListTaskDefinitionFamilies), status ACTIVE by default (INACTIVE ones only
   * while a task or service still references them), sort ASC by family then revision (DESC
   * reverses both), maxResults 1 to 100 (100 without it), and a nextToken valid for the same query.
   */
  private listTaskDefinitions(body: JsonBody): JsonBody {
    const family = str(body, 'familyPrefix');
    const status = str(body, 'status') ?? 'ACTIVE';
    const sort = str(body, 'sort') ?? 'ASC';
    const maxResults = num(body, 'maxResults');
    if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) {
      throw new AwsFault('InvalidParameterException', `Invalid status: ${status}.`);
    }
    if (sort !== 'ASC' && sort !== 'DESC') {
      throw new AwsFault('InvalidParameterException', `Invalid sort: ${sort}.`);
    }
    if (
      maxResults !== undefined &&
      (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
    ) {
      throw new AwsFault('InvalidParameterException', 'maxResults must be between 1 and 100.');
    }
    const query = JSON.stringify([family ?? null, status, sort]);
    let offset = 0;
    const token = str(body, 'nextToken');
    if (token !== undefined) {
      const decoded = this.decodeListToken(token);
      if (!decoded || decoded.query !== query) {
        throw new AwsFault(
          'InvalidParameterException',
          'The nextToken is not valid for this request.',
        );
      }
      offset = decoded.offset;
    }
    const listed = this.taskDefinitions
      .filter((td) => family === undefined || td.family === family)
      .filter(
        (td) => td.status === status && (status !== 'INACTIVE' || this.stillReferenced(td.arn)),
      )
      .sort((a, b) =>
        a.family === b.family ? a.revision - b.revision : a.family < b.family ? -1 : 1,
      );
    if (sort === 'DESC') listed.reverse();
    const end = offset + (maxResults ?? 100);
    return {
      taskDefinitionArns: listed.slice(offset, end).map((td) => td.arn),
      ...(end < listed.length
        ? { nextToken: Buffer.from(JSON.stringify({ query, offset: end })).toString('base64') }
        : {}),
    };
  }

  private decodeListToken(token: string): { query: string; offset: number } | undefined {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as JsonBody;
      const offset = num(parsed, 'offset');
      const query = str(parsed, 'query');
      return offset !== undefined && query !== undefined ? { query, offset } : undefined;
    } catch {
      return undefined;
    }
  }

  /** An INACTIVE revision a task that is not stopped, or a deployment of a service, still uses. */
  private stillReferenced(arn: string): boolean {
    return (
      this.tasks.some((t) => t.taskDefinitionArn === arn && t.lastStatus !== 'STOPPED') ||
      this.services.some(
        (s) => s.taskDefinition === arn || s.deployments.some((d) => d.taskDefinition === arn),
      )
    );
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private findTaskDefinition(id: string): FakeTaskDefinition | undefined {
    if (id.startsWith('arn:')) return this.taskDefinitions.find((t) => t.arn === id);
    const colon = id.lastIndexOf(':');
    if (colon > 0) {
      const family = id.slice(0, colon);
      const revision = Number(id.slice(colon + 1));
      return this.taskDefinitions.find((t) => t.family === family && t.revision === revision);
    }
    const active = this.taskDefinitions.filter((t) => t.family === id && t.status === 'ACTIVE');
    return active[active.length - 1];
  }

  private addEvent(service: FakeService, message: string): void {
    this.clock.tick();
    service.events.unshift({
      id: `${hexId(++this.eventCounter).slice(0, 8)}-0000-4000-8000-${hexId(this.eventCounter).slice(20)}`,
      createdAt: this.clock.now(),
      message,
    });
    service.events = service.events.slice(0, 100);
  }

  private taskDefinitionJson(td: FakeTaskDefinition): JsonBody {
    return {
      ...td.body,
      taskDefinitionArn: td.arn,
      revision: td.revision,
      status: td.status,
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: td.registeredAt,
      registeredBy: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/deploy/github`,
    };
  }

  private serviceJson(service: FakeService): JsonBody {
    const running = service.deployments.reduce((sum, d) => sum + d.runningCount, 0);
    const pending = service.deployments.reduce((sum, d) => sum + d.pendingCount, 0);
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: service.clusterArn,
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: running,
      pendingCount: pending,
      launchType: service.launchType,
      taskDefinition: service.taskDefinition,
      deploymentConfiguration: deploymentConfigurationJson(
        service.strategy,
        service.circuitBreaker,
        service.alarms,
      ),
      ...(service.currentServiceDeployment && this.serviceDeploymentApi !== 'absent'
        ? { currentServiceDeployment: service.currentServiceDeployment }
        : {}),
      deployments: service.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        pendingCount: d.pendingCount,
        runningCount: d.runningCount,
        failedTasks: d.failedTasks,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        launchType: service.launchType,
        // ECS returns a rollout state only for rolling updates.
        ...(service.strategy.name === 'ROLLING'
          ? { rolloutState: d.rolloutState, rolloutStateReason: d.rolloutStateReason }
          : {}),
      })),
      events: service.events,
      networkConfiguration: service.networkConfiguration,
      deploymentController: { type: service.deploymentController },
      createdAt: service.deployments[service.deployments.length - 1]?.createdAt,
    };
  }

  private taskJson(task: FakeTask): JsonBody {
    return {
      taskArn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      group: task.group,
      ...(task.startedBy !== '' ? { startedBy: task.startedBy } : {}),
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      ...(task.capacityProviderName !== undefined
        ? { capacityProviderName: task.capacityProviderName }
        : {}),
      ...(task.launchType !== undefined || task.capacityProviderName === undefined
        ? { launchType: task.launchType ?? 'FARGATE' }
        : {}),
      createdAt: task.createdAt,
      ...(task.stopCode ? { stopCode: task.stopCode } : {}),
      ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
      ...(task.stoppedAt ? { stoppedAt: task.stoppedAt } : {}),
      containers: task.containers.map((c) => ({
        containerArn: `arn:aws:ecs:${this.region}:${ACCOUNT_ID}:container/${task.id}/${c.name}`,
        taskArn: task.arn,
        name: c.name,
        image: c.image,
        lastStatus: c.lastStatus,
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
      })),
    };
  }
}
