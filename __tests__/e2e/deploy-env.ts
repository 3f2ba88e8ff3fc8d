// Shared set-up for the end-to-end deploy tests of the bundled action: a fresh loopback AWS (the
// FakeAws, reached by the real SDK through AWS_ENDPOINT_URL) seeded with the example service, its
// task definition and its database URL secret; the environment a runner gives the step; and
// small readers for what a run leaves behind (annotations, the registry's view of a repository).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { sha256Digest } from '../../src/image/digest';
import { MediaType } from '../../src/image/types';
import { READ_ONLY_FIELDS } from '../../src/taskdef';
import { FakeAws, type FakeService } from '../helpers/fake-aws';
import { runAction, type ActionRun } from '../helpers/run-action';
import { EXAMPLES } from '../helpers/workspace';

export const REGION = 'us-east-1';
export const CLUSTER = 'prod';
export const SERVICE = 'demo-api';
export const SECRET_NAME = 'prod/api/database-url';
export const FAMILY = 'demo-api';
/** The migration container's command with the default inputs. */
export const DEFAULT_MIGRATION_COMMAND: readonly string[] = [
  'migrate',
  'apply',
  '--env',
  'deploy',
  '--lock-timeout',
  '10m',
  '--format',
  '{{ json . }}',
];
/** The example task definition's tags, which the new revision must keep. */
export const EXAMPLE_TAGS = [
  { key: 'service', value: 'demo-api' },
  { key: 'team', value: 'payments' },
];
export const SERVICE_CONSOLE_URL = `https://${REGION}.console.aws.amazon.com/ecs/v2/clusters/${CLUSTER}/services/${SERVICE}/deployments?region=${REGION}`;

export interface SeededAws {
  aws: FakeAws;
  /** The revision the service runs before the action: the rollback target. */
  previousArn: string;
  /** The full ARN (with its random suffix) DescribeSecret gives for SECRET_NAME. */
  secretArn: string;
  service: FakeService;
}

/** A started FakeAws holding the example's task definition (as revision 1), service and secret. */
export async function startSeededAws(
  options: {
    deploymentController?: FakeService['deploymentController'];
    strategy?: FakeService['strategy'];
    alarms?: FakeService['alarms'];
  } = {},
): Promise<SeededAws> {
  const aws = new FakeAws({ region: REGION });
  await aws.start();
  const described = JSON.parse(
    readFileSync(path.join(EXAMPLES, 'task-definition.json'), 'utf8'),
  ) as { taskDefinition: Record<string, unknown>; tags: { key: string; value: string }[] };
  const body = { ...described.taskDefinition };
  for (const field of READ_ONLY_FIELDS) delete body[field];
  const previousArn = aws.ecs.addTaskDefinition(body, described.tags);
  const service = aws.ecs.addService({
    cluster: CLUSTER,
    name: SERVICE,
    taskDefinition: previousArn,
    desiredCount: 1,
    ...(options.deploymentController ? { deploymentController: options.deploymentController } : {}),
    ...(options.strategy ? { strategy: options.strategy } : {}),
    ...(options.alarms ? { alarms: options.alarms } : {}),
  });
  const secretArn = aws.secrets.add(SECRET_NAME);
  return { aws, previousArn, secretArn, service };
}

/** What a workflow gives the step: the endpoint, the region, static fake credentials, no IMDS. */
export function awsEnv(aws: FakeAws): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
}

/** The inputs of a real (not dry) run against the seeded service; fast polls. */
export function deployInputs(
  imageRepository: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    cluster: CLUSTER,
    service: SERVICE,
    'atlas-image': 'oci-layout://base-image:latest',
    'image-repository': imageRepository,
    'database-url-secret': SECRET_NAME,
    'poll-interval-seconds': '0.05',
    'wait-timeout-minutes': '1',
    ...overrides,
  };
}

export async function runDeploy(
  workspace: string,
  aws: FakeAws,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction(inputs, { workspace, env: { ...awsEnv(aws), ...env } });
}

/** The text of `::error ...::text` lines, with @actions/core's escapes (%25 %0D %0A) undone. */
export function annotationText(lines: readonly string[]): string {
  return lines
    .map((line) => line.slice(line.indexOf('::', 2) + 2))
    .map((data) => data.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'))
    .join('\n');
}

/** The registry's own answer for the tags of a repository (not through any proxy). */
export async function tagsList(
  registryUrl: string,
  name: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; tags: string[]; codes: string[] }> {
  const response = await fetch(`${registryUrl}/v2/${name}/tags/list`, { headers });
  const body = (await response.json().catch(() => ({}))) as {
    tags?: string[] | null;
    errors?: { code: string }[];
  };
  return {
    status: response.status,
    tags: body.tags ?? [],
    codes: (body.errors ?? []).map((e) => e.code),
  };
}

/** GET a manifest by digest straight from the registry; its status and whether its bytes hash to it. */
export async function getManifest(
  registryUrl: string,
  name: string,
  digest: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; matches: boolean; json: Record<string, unknown> | undefined }> {
  const response = await fetch(`${registryUrl}/v2/${name}/manifests/${digest}`, {
    headers: {
      Accept: [MediaType.ociManifest, MediaType.dockerManifest].join(', '),
      ...headers,
    },
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    matches: response.status === 200 && sha256Digest(bytes) === digest,
    json:
      response.status === 200
        ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
        : undefined,
  };
}

/** Nothing pushed to `name`: the registry does not know it, or it has no tag. */
export async function expectNothingPushed(registryUrl: string, name: string): Promise<void> {
  const tags = await tagsList(registryUrl, name);
  if (tags.status === 404) {
    expect(tags.codes).toContain('NAME_UNKNOWN');
  } else {
    expect(tags.status).toBe(200);
    expect(tags.tags).toEqual([]);
  }
}

/** A unique repository name per test, so one registry per file serves every test. */
let counter = 0;
export function repositoryName(label: string): string {
  counter++;
  return `e2e/${label}-${process.pid}-${counter}`;
}

/**
 * stderr without the AWS SDK's NodeVersionSupportWarning, which the SDK prints once per process on
 * Node < 22 (these tests run on Node 20; the runner runs the action on node24, where it is not
 * printed). Anything else on stderr is a finding.
 */
export function stderrOf(run: ActionRun): string {
  return run.stderr
    .replace(
      /\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/,
      '',
    )
    .trim();
}
