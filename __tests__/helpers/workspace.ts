// A throwaway copy of examples/ (migrations, atlas.hcl, task definition) with a stand-in base
// image, so each test can edit files without touching the repository.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateStandInBase } from '../../scripts/make-stand-in-base';

export const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

export interface TestWorkspace {
  dir: string;
  remove(): void;
}

export async function exampleWorkspace(): Promise<TestWorkspace> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-ws-'));
  for (const entry of ['migrations', 'atlas.hcl', 'task-definition.json']) {
    cpSync(path.join(EXAMPLES, entry), path.join(dir, entry), { recursive: true });
  }
  await generateStandInBase(path.join(dir, 'base-image'), {});
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The inputs of the README's demo, relative to a workspace made by exampleWorkspace(). */
export const DEMO_INPUTS: Readonly<Record<string, string>> = {
  'dry-run': 'true',
  'task-definition': 'task-definition.json',
  'atlas-image': 'oci-layout://base-image:latest',
  'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-api-migrations',
  'database-url-secret':
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api/database-url-Ab12Cd',
};
