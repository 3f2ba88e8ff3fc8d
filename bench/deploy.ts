// npm run bench (part 3): the bundled action, as the runner runs it, against the loopback AWS
// endpoint of the tests and a real registry: AWS calls per successful deploy, and polls from the
// migration container's stop to the red step.
import { scenarios } from '../__tests__/helpers/fake-aws';
import { FakeDatabase } from '../__tests__/helpers/fake-atlas';
import { startRegistry } from '../__tests__/helpers/registry-server';
import { exampleWorkspace } from '../__tests__/helpers/workspace';
import {
  CLUSTER,
  SERVICE,
  deployInputs,
  runDeploy,
  startSeededAws,
} from '../__tests__/e2e/deploy-env';

export interface DeployFigures {
  callsPerDeploy: Record<string, number>;
  /** Two tasks playing Atlas: the first applies, the second finds nothing pending. */
  callsPerAtlasDeploy: Record<string, number>;
  pollsAfterStop: number;
  stopAtPoll: number;
  failedRunMs: number;
}

export async function benchDeploy(): Promise<DeployFigures> {
  const registry = await startRegistry();
  const workspace = await exampleWorkspace();
  try {
    const ok = await startSeededAws();
    let callsPerDeploy: Record<string, number>;
    try {
      ok.aws.ecs.setScenario(SERVICE, scenarios.succeed({ completeAtPoll: 2 }), CLUSTER);
      const run = await runDeploy(workspace.dir, ok.aws, deployInputs(`${registry.host}/bench/ok`));
      if (run.code !== 0) throw new Error(`the successful deploy failed:\n${run.stdout}`);
      callsPerDeploy = ok.aws.counts();
    } finally {
      await ok.aws.close();
    }

    const atlas = await startSeededAws();
    let callsPerAtlasDeploy: Record<string, number>;
    try {
      atlas.aws.ecs.service(SERVICE, CLUSTER).desiredCount = 2;
      const db = new FakeDatabase({ applied: ['20240101120000'] });
      atlas.aws.ecs.setScenario(SERVICE, scenarios.atlas(db), CLUSTER);
      const run = await runDeploy(
        workspace.dir,
        atlas.aws,
        deployInputs(`${registry.host}/bench/atlas`),
      );
      if (run.code !== 0 || run.outputs['applied-count'] !== '2') {
        throw new Error(`the two-task deploy did not report its two files:\n${run.stdout}`);
      }
      callsPerAtlasDeploy = atlas.aws.counts();
    } finally {
      await atlas.aws.close();
    }

    const bad = await startSeededAws();
    try {
      const stopAtPoll = 2;
      bad.aws.ecs.setScenario(SERVICE, scenarios.migrationFails({ stopAtPoll }), CLUSTER);
      const start = Date.now();
      const run = await runDeploy(
        workspace.dir,
        bad.aws,
        deployInputs(`${registry.host}/bench/bad`),
      );
      const failedRunMs = Date.now() - start;
      if (run.code === 0) throw new Error('the failing migration did not fail the step');
      // Polls are the DescribeServices calls between the deploy's UpdateService and the
      // rollback's, less the rollback's own read (it checks the deployment is still PRIMARY).
      const calls = bad.aws.calls.filter((c) => !c.error);
      const updates = calls.flatMap((c, i) => (c.operation === 'UpdateService' ? [i] : []));
      if (updates.length !== 2) throw new Error(`expected a deploy and a rollback: ${updates}`);
      const polls =
        calls.slice(updates[0]! + 1, updates[1]).filter((c) => c.operation === 'DescribeServices')
          .length - 1;
      return {
        callsPerDeploy,
        callsPerAtlasDeploy,
        pollsAfterStop: polls - stopAtPoll,
        stopAtPoll,
        failedRunMs,
      };
    } finally {
      await bad.aws.close();
    }
  } finally {
    workspace.remove();
    await registry.stop();
  }
}

export function deployTable(figures: DeployFigures): string {
  const describe = (counts: Record<string, number>) =>
    `${Object.values(counts).reduce((a, b) => a + b, 0)}: ${Object.entries(counts)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`;
  return [
    'Deploy through dist/index.js against the loopback AWS endpoint (rollout completes at poll 2)',
    '',
    '| figure | value |',
    '|---|---|',
    `| AWS calls per successful deploy | ${describe(figures.callsPerDeploy)} |`,
    `| the same with 2 tasks playing Atlas (its JSON report read from the applying task) | ${describe(figures.callsPerAtlasDeploy)} |`,
    `| polls from the migration's stop (poll ${figures.stopAtPoll}) to the red step | ${figures.pollsAfterStop} |`,
    `| failed run, wall time (0.05 s polls) | ${figures.failedRunMs} ms |`,
  ].join('\n');
}

if (require.main === module) {
  benchDeploy()
    .then((figures) => console.log(deployTable(figures)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
