// Plain fakes for the deploy tests: an ActionIO that records, a clock that only moves when slept
// on, and an EcsApi whose methods fail unless a test gives them.
import type { EcsApi, LogsApi } from '../../src/aws/api';
import type { DeploymentSettings } from '../../src/deploy/run-deployment';
import type { ActionIO } from '../../src/report/action-io';

export interface RecordingIO extends ActionIO {
  readonly lines: { level: 'info' | 'warning' | 'error' | 'group'; message: string }[];
  readonly secrets: string[];
  readonly outputs: Record<string, string>;
  text(level?: 'info' | 'warning' | 'error' | 'group'): string[];
}

export function recordingIO(): RecordingIO {
  const lines: RecordingIO['lines'] = [];
  const secrets: string[] = [];
  const outputs: Record<string, string> = {};
  return {
    lines,
    secrets,
    outputs,
    info: (message) => lines.push({ level: 'info', message }),
    warning: (message) => lines.push({ level: 'warning', message }),
    error: (message) => lines.push({ level: 'error', message }),
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    setSecret: (value) => secrets.push(value),
    appendSummary: async () => undefined,
    group: async (title, body) => {
      lines.push({ level: 'group', message: title });
      return body();
    },
    text: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.message),
  };
}

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly sleeps: number[];
}

/** Time moves only by sleeping; sleeping resolves at once. */
export function fakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const notExpected = (name: string) => async (): Promise<never> => {
  throw new Error(`unexpected call: ${name}`);
};

export function ecsApi(methods: Partial<EcsApi>): EcsApi {
  return {
    describeServices: notExpected('describeServices'),
    describeTaskDefinition: notExpected('describeTaskDefinition'),
    registerTaskDefinition: notExpected('registerTaskDefinition'),
    updateService: notExpected('updateService'),
    listTasks: notExpected('listTasks'),
    describeTasks: notExpected('describeTasks'),
    ...methods,
  };
}

export function logsApi(getLogEvents?: LogsApi['getLogEvents']): LogsApi {
  return { getLogEvents: getLogEvents ?? notExpected('getLogEvents') };
}

/** The deploy settings of a test: cluster prod, container atlas, the inputs' defaults. */
export function deploymentSettings(fields: Partial<DeploymentSettings> = {}): DeploymentSettings {
  return {
    cluster: 'prod',
    containerName: 'atlas',
    forceNewDeployment: false,
    waitForServiceStability: true,
    waitTimeoutMinutes: 30,
    pollIntervalSeconds: 15,
    rollbackOnFailure: true,
    ...fields,
  };
}
