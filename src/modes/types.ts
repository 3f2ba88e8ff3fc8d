// What each mode (sidecar, run-task, plan) is given once the image is pushed, and what it hands
// back: the outputs it sets, the summary it writes, and the error the step fails with, if any.
// run.ts sets the outputs and writes the summary before it throws, so a failure still reports.
import type { AwsApis } from '../aws/api';
import type { LeftBehind } from '../deploy/left-behind';
import type { Preflight } from '../deploy/preflight';
import type { DeploymentReport, RolloutListener } from '../deploy/run-deployment';
import type { MigrationTaskDeps, MigrationTaskOutcome } from '../deploy/run-task';
import type { WatchDeps } from '../deploy/watch';
import type { Settings } from '../inputs/settings';
import type { GitHubDeploymentFacts, PushFacts } from '../report/render-deploy-summary';
import type { ImageFacts } from '../report/render-summary';
import type { DescribedTaskDefinition } from '../taskdef';
import type { Revisions } from './revisions';

export type ModeDeps = WatchDeps &
  MigrationTaskDeps &
  RolloutListener & {
    readonly ecs: AwsApis['ecs'];
    /** The GitHub deployment recorded so far, for the summary; absent when none is recorded. */
    readonly githubDeployment?: () => GitHubDeploymentFacts | undefined;
  };

/** One service of the step and its next revision(s); the first is also ModeContext's own. */
export interface ServiceTarget {
  readonly preflight: Preflight;
  readonly described: DescribedTaskDefinition;
  readonly revisions: Revisions;
  readonly rendered: string;
  readonly family: string;
  readonly taskDefinitionFile: string;
  readonly taskDefinitionDiff: string;
}

export interface ModeContext {
  readonly settings: Settings;
  readonly preflight: Preflight;
  /** The task definition the run started from (the service's, or the file's). */
  readonly described: DescribedTaskDefinition;
  readonly revisions: Revisions;
  /** The service revision as rendered to task-definition-file. */
  readonly rendered: string;
  readonly family: string;
  readonly image: ImageFacts;
  readonly push: PushFacts;
  readonly taskDefinitionFile: string;
  readonly taskDefinitionDiff: string;
  /** Every service of the step, the first one first (`service` with one name per line). */
  readonly services: readonly ServiceTarget[];
  readonly deps: ModeDeps;
}

export interface ModeResult {
  /** Outputs this mode decided; run.ts adds them to the image's. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly summary: string;
  /** Thrown by run.ts after the outputs and the summary are written. */
  readonly error?: Error;
  /** The service's deployment, when the mode updated the service: the GitHub record's outcome. */
  readonly deployment?: DeploymentReport;
  /** run-task: the standalone migration, when it did not succeed and the service was not updated. */
  readonly migrationTask?: MigrationTaskOutcome;
  /** The revisions this run registered that input deregister-revisions may deregister. */
  readonly leftBehind?: LeftBehind;
}

export interface DeployMode {
  run(context: ModeContext): Promise<ModeResult>;
}
