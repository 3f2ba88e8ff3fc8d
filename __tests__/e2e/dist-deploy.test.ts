// The bundled action, run as the runner runs it, in a real (not dry) run: the real SDK talks to a
// loopback AWS (FakeAws) through AWS_ENDPOINT_URL, and the image goes to a real registry
// (docker-registry on loopback) behind a counting proxy. Each test asserts the outputs, the job
// summary, the exit code, the annotations and the request logs of both.
import { readFileSync } from 'node:fs';
import { startFaultProxy, type FaultProxy, type ProxyRecord } from '../helpers/fault-proxy';
import { ATLAS_ERROR_LINE, scenarios, type FakeAws } from '../helpers/fake-aws';
import { freePort, startRegistry, type RegistryServer } from '../helpers/registry-server';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  CLUSTER,
  deployInputs,
  EXAMPLE_TAGS,
  expectNothingPushed,
  FAMILY,
  getManifest,
  repositoryName,
  runDeploy,
  SERVICE,
  SERVICE_CONSOLE_URL,
  startSeededAws,
  stderrOf,
  tagsList,
  type SeededAws,
} from './deploy-env';

let registry: RegistryServer;
let proxy: FaultProxy;
let ws: TestWorkspace;
let seeded: SeededAws;
let aws: FakeAws;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy({ upstream: registry.url });
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});
beforeEach(async () => {
  proxy.reset();
  ws = await exampleWorkspace();
  seeded = await startSeededAws();
  aws = seeded.aws;
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

/** A fresh repository behind the proxy: `127.0.0.1:<proxy port>/<name>`. */
function newRepository(label: string): { name: string; repository: string } {
  const name = repositoryName(label);
  return { name, repository: `${proxy.host}/${name}` };
}

function isBlobUpload(record: ProxyRecord): boolean {
  return (
    record.url.includes('/blobs/uploads/') &&
    (record.method === 'PATCH' || record.method === 'PUT' || record.method === 'POST')
  );
}

describe('a successful deployment', () => {
  it('pushes the image, registers the patched revision, updates the service and reports it', async () => {
    const { name, repository } = newRepository('success');
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    // Outputs.
    const digest = run.outputs['image-digest']!;
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    expect(registered.arn).toBe(`arn:aws:ecs:us-east-1:123456789012:task-definition/${FAMILY}:2`);
    const deployment = aws.ecs.service(SERVICE, CLUSTER).deployments[0]!;
    expect(run.outputs).toMatchObject({
      image: `${repository}@${digest}`,
      'image-digest': digest,
      'task-definition-arn': registered.arn,
      'deployment-id': deployment.id,
      'migration-status': 'succeeded',
    });
    expect(run.outputs['deployment-id']).toMatch(/^ecs-svc\/\d+$/);

    // The registry has what the output names.
    const manifest = await getManifest(registry.url, name, digest);
    expect(manifest.status).toBe(200);
    expect(manifest.matches).toBe(true);

    // The registered revision: the migration container on that image, by the secret's full ARN.
    const containers = registered.body.containerDefinitions as Record<string, unknown>[];
    const atlas = containers.find((c) => c.name === 'atlas')!;
    const app = containers.find((c) => c.name === 'app')!;
    expect(atlas).toMatchObject({
      image: `${repository}@${digest}`,
      essential: false,
      secrets: [{ name: 'DATABASE_URL', valueFrom: seeded.secretArn }],
    });
    expect(seeded.secretArn).toMatch(/:secret:prod\/api\/database-url-[A-Za-z0-9]{6}$/);
    expect(JSON.stringify(atlas.environment ?? [])).not.toContain('DATABASE_URL');
    expect(app.dependsOn).toEqual([{ containerName: 'atlas', condition: 'SUCCESS' }]);
    expect(registered.tags).toEqual(EXAMPLE_TAGS);
    const register = aws.callsOf('RegisterTaskDefinition');
    expect(register).toHaveLength(1);
    expect(register[0]!.error).toBeUndefined();
    for (const field of [
      'taskDefinitionArn',
      'revision',
      'status',
      'requiresAttributes',
      'compatibilities',
      'registeredAt',
      'registeredBy',
      'deregisteredAt',
    ]) {
      expect(register[0]!.body).not.toHaveProperty(field);
    }
    // The name was resolved by DescribeSecret, not given to ECS as is.
    expect(aws.callsOf('DescribeSecret').map((c) => c.body.SecretId)).toEqual([
      'prod/api/database-url',
    ]);

    // One UpdateService, to the new revision; the service runs it.
    const updates = aws.callsOf('UpdateService');
    expect(updates.map((c) => c.body)).toEqual([
      expect.objectContaining({
        cluster: CLUSTER,
        service: SERVICE,
        taskDefinition: registered.arn,
      }),
    ]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(registered.arn);

    // Every call was signed for the region given.
    expect(aws.calls.every((c) => c.signed && c.region === 'us-east-1')).toBe(true);

    // The summary.
    expect(run.summary).toContain('✅');
    expect(run.summary).toContain(SERVICE_CONSOLE_URL);
    expect(run.summary).toContain(registered.arn);
    expect(run.summary).toContain(`${repository}@${digest}`);
    expect(run.summary).toContain('| Migration | succeeded |');

    // The rendered file is what was registered (without tags, those go alongside).
    const rendered = JSON.parse(readFileSync(run.outputs['task-definition-file']!, 'utf8'));
    expect(rendered.containerDefinitions[0].image).toBe(`${repository}@${digest}`);

    // What one successful deploy costs: pre-flight (DescribeServices, DescribeTaskDefinition,
    // DescribeSecret), the two writes, then per poll DescribeServices, DescribeServiceDeployments
    // and ListTasks (COMPLETED at 2),
    // then Atlas's report: the deployment's running and stopped tasks, and one task's log.
    expect(aws.counts({ includeErrors: true })).toEqual({
      DescribeServices: 3,
      // Each poll also reads the service deployment (status, stage, circuit breaker, alarms).
      DescribeServiceDeployments: 2,
      DescribeTaskDefinition: 1,
      DescribeSecret: 1,
      RegisterTaskDefinition: 1,
      UpdateService: 1,
      ListTasks: 4,
      DescribeTasks: 1,
      GetLogEvents: 1,
    });
    // A first push of config + base layer + new layer: HEAD the manifest, HEAD each blob, then
    // POST/PATCH/PUT each blob, PUT the manifest by digest and under its content tag.
    expect(proxy.counts()).toEqual({ HEAD: 4, POST: 3, PATCH: 3, PUT: 5 });
  });

  it('uploads nothing on a second run with unchanged migrations', async () => {
    const { name, repository } = newRepository('unchanged');
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const first = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(first.code).toBe(0);
    const firstRecords = [...proxy.records];
    expect(firstRecords.filter(isBlobUpload).length).toBeGreaterThan(0);

    proxy.reset();
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const second = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(second)).toBe('');
    expect(second.code).toBe(0);
    expect(second.outputs['image-digest']).toBe(first.outputs['image-digest']);
    expect(second.outputs['migration-status']).toBe('succeeded');

    // No blob upload of any kind, and no manifest put: the manifest was already there.
    expect(proxy.records.filter(isBlobUpload)).toEqual([]);
    expect(proxy.records.filter((r) => r.method === 'PUT' || r.method === 'PATCH')).toEqual([]);
    expect(second.stdout).toContain('is already in the registry: nothing to upload');
    expect(second.summary).toContain('already in the registry: nothing uploaded');
    const tags = await tagsList(registry.url, name);
    expect(tags.status).toBe(200);
    // HEAD the manifest by digest, HEAD the content tag: that is all.
    expect(proxy.counts()).toEqual({ HEAD: 2 });
    expect(countsOf(firstRecords)).toEqual({ HEAD: 4, POST: 3, PATCH: 3, PUT: 5 });
    // The service already runs exactly this revision: no copy of it is registered.
    expect(second.outputs['task-definition-arn']).toBe(first.outputs['task-definition-arn']);
  });

  it('promotes a registered revision by ARN without registering a new one', async () => {
    const { repository } = newRepository('promote');
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const staged = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(staged.code).toBe(0);
    const arn = staged.outputs['task-definition-arn']!;
    const registeredBefore = aws.callsOf('RegisterTaskDefinition').length;

    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    const promoted = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'task-definition': arn, 'force-new-deployment': 'true' }),
    );
    expect(promoted.code).toBe(0);
    expect(promoted.outputs['task-definition-arn']).toBe(arn);
    expect(aws.callsOf('RegisterTaskDefinition')).toHaveLength(registeredBefore);
    const update = aws.callsOf('UpdateService').at(-1)!;
    expect(update.body).toMatchObject({ taskDefinition: arn, forceNewDeployment: true });
    expect(promoted.stdout).toContain('without a new revision');
  });
});

function countsOf(records: readonly ProxyRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.method] = (counts[r.method] ?? 0) + 1;
  return counts;
}

/** UpdateService requests in order, as `taskDefinition` values. */
function updatedTo(): unknown[] {
  return aws.callsOf('UpdateService').map((c) => c.body.taskDefinition);
}

describe('a failed migration', () => {
  it('fails with Atlas’s error, rolls the service back, and says so within two polls of the stop', async () => {
    const { repository } = newRepository('migration-fails');
    const stopAtPoll = 2;
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll }), CLUSTER);

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(1);

    const errors = annotationText(run.errors);
    expect(errors).toContain(ATLAS_ERROR_LINE);
    expect(errors).toMatch(/Migration failed \(exit code 1, task arn:aws:ecs:[^)]+\):\nError: /);
    expect(errors).toContain(
      `ECS rolled the service back to ${seeded.previousArn} (StopServiceDeployment with stopType ROLLBACK: ROLLBACK_SUCCESSFUL).`,
    );
    // The step's own failure (the last ::error line) carries the Error: line too.
    expect(annotationText(run.errors.slice(-1))).toContain(ATLAS_ERROR_LINE);

    const newArn = run.outputs['task-definition-arn']!;
    expect(newArn).toMatch(/:task-definition\/demo-api:2$/);
    expect(run.outputs['migration-status']).toBe('failed');
    expect(run.outputs['deployment-id']).toMatch(/^ecs-svc\/\d+$/);

    // Our UpdateService; the rollback is ECS's own (StopServiceDeployment), not a second one.
    expect(updatedTo()).toEqual([newArn]);
    expect(aws.callsOf('StopServiceDeployment').map((c) => c.body.stopType)).toEqual(['ROLLBACK']);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);

    // The stop was seen at the poll that made it, or the next one: not at a timeout.
    const firstUpdate = aws.callsOf('UpdateService')[0]!;
    const rollbackUpdate = aws.callsOf('UpdateService')[1]!;
    const polls = aws.calls
      .slice(aws.calls.indexOf(firstUpdate) + 1, aws.calls.indexOf(rollbackUpdate))
      .filter((c) => c.operation === 'DescribeServices');
    expect(polls.length - stopAtPoll).toBeGreaterThanOrEqual(0);
    expect(polls.length - stopAtPoll).toBeLessThanOrEqual(2);
    expect(aws.callsOf('GetLogEvents').length).toBeGreaterThan(0);

    expect(run.summary).toContain('❌');
    expect(run.summary).toContain(ATLAS_ERROR_LINE);
    expect(run.summary).toContain('<details><summary>Log tail</summary>');
    expect(run.summary).toContain('-- 0 migrations ok (1 with errors)');
    expect(run.summary).toContain(
      `ECS rolled the service back to \`${seeded.previousArn}\` (StopServiceDeployment`,
    );
    expect(run.summary).toContain('| Migration | failed |');
    expect(run.summary).toContain(SERVICE_CONSOLE_URL);
  });

  it('leaves the service on the new revision when rollback-on-failure is false', async () => {
    const { repository } = newRepository('no-rollback');
    aws.ecs.setScenario(SERVICE, scenarios.migrationFails(), CLUSTER);

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'rollback-on-failure': 'false' }),
    );
    expect(run.code).toBe(1);
    const newArn = run.outputs['task-definition-arn']!;
    expect(updatedTo()).toEqual([newArn]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(newArn);
    expect(run.outputs['migration-status']).toBe('failed');
    const errors = annotationText(run.errors);
    expect(errors).toContain(ATLAS_ERROR_LINE);
    expect(errors).toContain(`rollback-on-failure is false: the service stays on ${newArn}`);
    expect(run.summary).toContain('❌');
    expect(run.summary).not.toContain('Rolled back');
  });

  it('reports a rollback that fails too, with the command to roll back by hand', async () => {
    const { repository } = newRepository('rollback-fails');
    const fails = scenarios.migrationFails({ stopAtPoll: 2 });
    aws.ecs.setScenario(
      SERVICE,
      (ctx) => {
        fails(ctx);
        // Someone deletes the service as the migration fails: the rollback's UpdateService is refused.
        if (ctx.poll === 2) ctx.service.status = 'DRAINING';
      },
      CLUSTER,
    );

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    const newArn = run.outputs['task-definition-arn']!;
    expect(aws.callsOf('UpdateService').map((c) => [c.body.taskDefinition, c.error])).toEqual([
      [newArn, undefined],
      [seeded.previousArn, 'ServiceNotActiveException'],
    ]);
    expect(run.outputs['migration-status']).toBe('failed');
    const errors = annotationText(run.errors);
    expect(errors).toContain(ATLAS_ERROR_LINE);
    expect(errors).toContain(`Rolling back to ${seeded.previousArn} failed too:`);
    expect(errors).toContain(
      `aws ecs update-service --cluster ${CLUSTER} --service ${SERVICE} --task-definition ${seeded.previousArn}`,
    );
    expect(run.summary).toContain(`⚠️ Rolling back to \`${seeded.previousArn}\` failed too:`);
    expect(run.summary).not.toContain('rolled the service back');
  });
});

describe('a failed rollout after a good migration', () => {
  it('reports an app that crashes, which ECS’s circuit breaker rolls back, without a second UpdateService', async () => {
    const { repository } = newRepository('app-crash');
    aws.ecs.setScenario(
      SERVICE,
      scenarios.appCrash({ crashAtPoll: 2, rollbackAtPoll: 4 }),
      CLUSTER,
    );

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(1);
    const newArn = run.outputs['task-definition-arn']!;
    // The migration itself succeeded; the app did not.
    expect(run.outputs['migration-status']).toBe('succeeded');
    expect(updatedTo()).toEqual([newArn]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      'Deployment failed: ECS deployment circuit breaker: tasks failed to start.',
    );
    expect(errors).toContain(`ECS rolled the service back to ${seeded.previousArn}.`);
    expect(run.warnings.join('\n')).toMatch(/stopped: .*app.*exit(ed)? .*1/i);
    expect(run.summary).toContain('❌');
    expect(run.summary).toContain('| Migration | succeeded |');
  });

  it('rolls back itself when the circuit breaker fails the rollout without rolling back', async () => {
    const { repository } = newRepository('breaker-no-rollback');
    aws.ecs.setScenario(
      SERVICE,
      scenarios.circuitBreaker({ failAtPoll: 3, rollback: false }),
      CLUSTER,
    );

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    const newArn = run.outputs['task-definition-arn']!;
    expect(updatedTo()).toEqual([newArn, seeded.previousArn]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    expect(run.outputs['migration-status']).toBe('succeeded');
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      'Deployment failed: ECS deployment circuit breaker: tasks failed to start.',
    );
    expect(errors).toContain(
      `The service was rolled back to ${seeded.previousArn} (UpdateService, deployment ecs-svc/`,
    );
    expect(run.warnings.join('\n')).toContain('Task failed ELB health checks');
    expect(run.summary).toContain(
      `The service was rolled back to \`${seeded.previousArn}\` (UpdateService`,
    );
  });

  it('leaves an ECS circuit-breaker rollback alone', async () => {
    const { repository } = newRepository('breaker-rollback');
    aws.ecs.setScenario(
      SERVICE,
      scenarios.circuitBreaker({ failAtPoll: 3, rollback: true }),
      CLUSTER,
    );

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    expect(updatedTo()).toEqual([run.outputs['task-definition-arn']]);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(seeded.previousArn);
    expect(annotationText(run.errors)).toContain(
      `ECS rolled the service back to ${seeded.previousArn}.`,
    );
  });

  it('times out when the rollout never finishes, leaving the service as it is', async () => {
    const { repository } = newRepository('timeout');
    aws.ecs.setScenario(SERVICE, scenarios.neverFinishes(), CLUSTER);
    const run = await runDeploy(
      ws.dir,
      aws,
      // 0.01 min = 0.6 s of 0.05 s polls: the real timeout path, without a real minute.
      deployInputs(repository, { 'wait-timeout-minutes': '0.01' }),
    );
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toMatch(/did not finish within 0\.01 min/);
    expect(errors).toMatch(/left as it is/);
    // No rollback on a timeout: one UpdateService, ours.
    expect(updatedTo()).toEqual([run.outputs['task-definition-arn']]);
  });
});

describe('without waiting', () => {
  it('deploys and stops: migration-status skipped, no task is looked at', async () => {
    const { repository } = newRepository('no-wait');
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'wait-for-service-stability': 'false' }),
    );
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('skipped');
    expect(run.outputs['task-definition-arn']).toMatch(/:task-definition\/demo-api:2$/);
    expect(run.outputs['deployment-id']).toMatch(/^ecs-svc\/\d+$/);
    expect(updatedTo()).toEqual([run.outputs['task-definition-arn']]);
    expect(aws.callsOf('ListTasks')).toEqual([]);
    expect(aws.callsOf('DescribeTasks')).toEqual([]);
    // Only the pre-flight's DescribeServices: no poll.
    expect(aws.callsOf('DescribeServices')).toHaveLength(1);
    expect(run.summary).toContain('⏭️');
    expect(run.summary).toContain('| Migration | skipped |');
  });
});

describe('AWS throttling', () => {
  it('rides out throttled DescribeServices calls with the SDK’s retries', async () => {
    const { repository } = newRepository('throttled');
    aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
    aws.throttle('DescribeServices', 2);

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    const describes = aws.callsOf('DescribeServices');
    expect(describes.slice(0, 2).map((c) => c.error)).toEqual([
      'ThrottlingException',
      'ThrottlingException',
    ]);
    expect(describes.slice(2).every((c) => c.error === undefined)).toBe(true);
    // The SDK retried inside the pre-flight call: no poll warning, no failure.
    expect(run.errors).toEqual([]);
  });
  it('keeps watching through a poll that stays throttled past the SDK’s retries', async () => {
    const { repository } = newRepository('throttled-poll');
    aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 3 }), CLUSTER);
    // ListTasks is only called by the watcher: the first poll's call fails all 5 SDK attempts
    // (DEFAULT_MAX_ATTEMPTS), the watcher warns and polls again, and that one goes through.
    aws.throttle('ListTasks', 5);

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(stderrOf(run)).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['migration-status']).toBe('succeeded');
    const listTasks = aws.callsOf('ListTasks');
    expect(listTasks.filter((c) => c.error === 'ThrottlingException')).toHaveLength(5);
    expect(run.warnings.join('\n')).toMatch(
      /Poll 1 failed \(.*ThrottlingException.*\); trying again/,
    );
    expect(run.errors).toEqual([]);
  }, 60_000);
});

describe('refusals before anything is pushed or written', () => {
  /** No write reached AWS and nothing reached the repository. */
  async function expectNoWriteNoPush(name: string): Promise<void> {
    expect(aws.writes()).toEqual([]);
    expect(proxy.records.filter((r) => r.url.includes(name))).toEqual([]);
    await expectNothingPushed(registry.url, name);
  }

  it('refuses a service rolled out by CodeDeploy', async () => {
    const { name, repository } = newRepository('codedeploy');
    seeded.service.deploymentController = 'CODE_DEPLOY';

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(`service "${SERVICE}" uses the CODE_DEPLOY deployment controller`);
    expect(errors).toMatch(/Input 'service'/);
    expect(run.outputs).toEqual({});
    await expectNoWriteNoPush(name);
  });

  it('names database-url-secret when the secret does not exist', async () => {
    const { name, repository } = newRepository('no-secret');

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { 'database-url-secret': 'prod/api/missing' }),
    );
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(
      `Input 'database-url-secret': no Secrets Manager secret "prod/api/missing" in this account and region`,
    );
    expect(aws.callsOf('DescribeSecret').map((c) => c.body.SecretId)).toEqual(['prod/api/missing']);
    await expectNoWriteNoPush(name);
  });

  it('refuses a service that is not in the cluster', async () => {
    const { name, repository } = newRepository('no-service');

    const run = await runDeploy(ws.dir, aws, deployInputs(repository, { service: 'billing' }));
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toMatch(/Input 'service'.*no service "billing" in cluster "prod".*MISSING/);
    await expectNoWriteNoPush(name);
  });

  it('refuses a cluster that does not exist', async () => {
    const { name, repository } = newRepository('no-cluster');

    const run = await runDeploy(ws.dir, aws, deployInputs(repository, { cluster: 'staging' }));
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain('ClusterNotFoundException');
    expect(errors).toContain("check the 'cluster' input");
    await expectNoWriteNoPush(name);
  });

  it('reports every pre-flight problem at once', async () => {
    const { name, repository } = newRepository('two-problems');

    const run = await runDeploy(
      ws.dir,
      aws,
      deployInputs(repository, { service: 'billing', 'database-url-secret': 'prod/api/missing' }),
    );
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(3);
    const errors = annotationText(run.errors);
    expect(errors).toContain('no service "billing" in cluster "prod"');
    expect(errors).toContain('no Secrets Manager secret "prod/api/missing"');
    expect(annotationText(run.errors.slice(-1))).toBe(
      '2 problems were found in the inputs or files (see the annotations above); nothing was pushed or deployed.',
    );
    await expectNoWriteNoPush(name);
  });
});

describe('registry failures', () => {
  it('fails naming the registry, and registers nothing', async () => {
    const port = await freePort();
    const repository = `127.0.0.1:${port}/e2e/unreachable`;

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(`127.0.0.1:${port}/e2e/unreachable`);
    expect(errors).toContain(`127.0.0.1:${port} refused the connection`);
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(aws.writes()).toEqual([]);
    expect(run.outputs).toEqual({});
  }, 60_000);

  it('registers nothing when the registry refuses the manifest, and leaves no tag behind', async () => {
    const { name, repository } = newRepository('denied');
    proxy.addRule({
      method: 'PUT',
      path: /\/manifests\//,
      times: 10,
      action: {
        kind: 'status',
        status: 403,
        body: JSON.stringify({
          errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }],
        }),
      },
    });

    const run = await runDeploy(ws.dir, aws, deployInputs(repository));
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(repository);
    expect(errors).toContain(`put manifest ${run.stdout.match(/sha256:[a-f0-9]{64}/)![0]}`);
    expect(errors).toContain(
      'PUT answered HTTP 403 (DENIED: requested access to the resource is denied)',
    );
    // The blobs went up, the manifest did not; nothing was registered or updated.
    expect(proxy.records.filter((r) => r.method === 'PATCH')).toHaveLength(3);
    expect(aws.writes()).toEqual([]);
    expect(run.outputs).toEqual({});
    await expectNothingPushed(registry.url, name);
  });
});
