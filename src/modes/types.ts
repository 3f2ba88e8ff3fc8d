// What each mode (sidecar, run-task, plan) is given once the image is pushed, and what it hands
// back: the outputs it sets, the summary it writes, and the error the step fails with, if any.
// run.ts sets the outputs and writes the summary before it throws, so a failure still reports.
import type { AwsApis } from '../aws/api';
import type { Preflight } from '../deploy/preflight';
import type { MigrationTaskDeps } from '../deploy/run-task';
import type { WatchDeps } from '../deploy/watch';
import type { Settings } from '../inputs/settings';
import type { PushFacts } from '../report/render-deploy-summary';
import type { ImageFacts } from '../report/render-summary';
import type { DescribedTaskDefinition } from '../taskdef';
import type { Revisions } from './revisions';

export type ModeDeps = WatchDeps & MigrationTaskDeps & { readonly ecs: AwsApis['ecs'] };

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
  readonly deps: ModeDeps;
}

export interface ModeResult {
  /** Outputs this mode decided; run.ts adds them to the image's. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly summary: string;
  /** Thrown by run.ts after the outputs and the summary are written. */
  readonly error?: Error;
}

export interface DeployMode {
  run(context: ModeContext): Promise<ModeResult>;
}
