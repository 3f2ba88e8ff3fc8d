// The three modes behind one interface; run.ts picks one by the `mode` input.
import type { Mode } from '../inputs/settings';
import { planMode } from './plan';
import { runTaskMode } from './run-task';
import { sidecarMode } from './sidecar';
import type { DeployMode } from './types';

export const MODES: Readonly<Record<Mode, DeployMode>> = {
  sidecar: sidecarMode,
  'run-task': runTaskMode,
  plan: planMode,
};

export { planRevisions, renderCurrent, type Revisions } from './revisions';
export type { ModeContext, ModeDeps, ModeResult, ServiceTarget } from './types';
