// The bundled action deploying to an ECR-named repository (123456789012.dkr.ecr.us-east-1.
// amazonaws.com/…), reached over HTTPS on loopback through the ecr-endpoint helper: it must log in
// with the token ecr:GetAuthorizationToken gives (FakeAws), push, register and deploy, and never
// print the token or its password.
import { scenarios, type FakeAws } from '../helpers/fake-aws';
import { startEcrEndpoint, type EcrEndpoint } from '../helpers/ecr-endpoint';
import { runAction, type ActionRun } from '../helpers/run-action';
import {
  leakableText,
  maskedValues,
  needlesOf,
  randomSecret,
  scanForSecrets,
} from '../helpers/secret-scan';
import { exampleWorkspace, type TestWorkspace } from '../helpers/workspace';
import {
  annotationText,
  awsEnv,
  CLUSTER,
  deployInputs,
  getManifest,
  repositoryName,
  SERVICE,
  startSeededAws,
  stderrOf,
} from './deploy-env';

const password = `ecr-${randomSecret()}`;
const token = Buffer.from(`AWS:${password}`).toString('base64');
let ecr: EcrEndpoint;
let ws: TestWorkspace;
let aws: FakeAws;

beforeAll(async () => {
  ecr = await startEcrEndpoint({ password });
});
afterAll(async () => {
  await ecr?.stop();
});
beforeEach(async () => {
  ws = await exampleWorkspace();
  aws = (await startSeededAws()).aws;
  aws.ecs.setScenario(SERVICE, scenarios.succeed(), CLUSTER);
});
afterEach(async () => {
  await aws?.close();
  ws?.remove();
});

/** Deploys to `<ECR host>/<name>`, a repository FakeEcr knows (the pre-flight looks it up). */
function deployToEcr(name: string): Promise<ActionRun> {
  aws.ecr.repositories.add(name);
  return runAction(deployInputs(`${ecr.host}/${name}`), {
    workspace: ws.dir,
    env: { ...awsEnv(aws), ...ecr.env },
    captureFiles: true,
  });
}

function leaksOf(run: ActionRun) {
  const needles = [
    ...needlesOf({ name: 'ECR token', value: token }),
    ...needlesOf({ name: 'ECR password', value: password }),
  ];
  return scanForSecrets(leakableText(run), needles);
}

describe('a deploy to an ECR repository', () => {
  it('logs in with the token from ecr:GetAuthorizationToken, pushes, deploys, and never prints it', async () => {
    aws.ecr.password = password;
    const name = repositoryName('ecr');
    const run = await deployToEcr(name);
    expect(stderrOf(run)).toBe('');
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    // The pre-flight found the repository in ECR before anything was pushed.
    expect(aws.callsOf('DescribeRepositories').map((c) => c.body.repositoryNames)).toEqual([
      [name],
    ]);

    // One token, asked in the registry host's region, signed like every other call.
    const tokenCalls = aws.callsOf('GetAuthorizationToken');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]).toMatchObject({ region: 'us-east-1', signed: true, error: undefined });

    // Every registry request went over the HTTPS front with the token as Basic credentials: the
    // ECR host is known to want Basic, so not even one anonymous 401 round trip.
    expect(ecr.records.length).toBeGreaterThan(0);
    expect(ecr.records.filter((r) => r.authorization !== 'Basic')).toEqual([]);
    expect(ecr.records.filter((r) => r.status === 401)).toEqual([]);

    // The image is in the registry under the ECR name, and the service runs it.
    const digest = run.outputs['image-digest']!;
    expect(run.outputs.image).toBe(`${ecr.host}/${name}@${digest}`);
    const manifest = await getManifest(ecr.registry.url, name, digest, {
      Authorization: `Basic ${token}`,
    });
    expect(manifest.matches).toBe(true);
    const registered = aws.ecs.taskDefinitions.at(-1)!;
    const atlas = (registered.body.containerDefinitions as Record<string, unknown>[]).find(
      (c) => c.name === 'atlas',
    );
    expect(atlas!.image).toBe(run.outputs.image);
    expect(aws.ecs.service(SERVICE, CLUSTER).taskDefinition).toBe(registered.arn);
    expect(run.outputs['migration-status']).toBe('succeeded');

    // The token and its password are masked before anything else is printed, and appear nowhere.
    const masked = maskedValues(run.stdout);
    expect(masked).toEqual(expect.arrayContaining([token, password]));
    const firstMask = run.stdout.indexOf(`::add-mask::${token}`);
    expect(run.stdout.slice(0, firstMask)).not.toContain(password);
    expect(leaksOf(run)).toEqual([]);
  });

  it('fails naming the registry and where the login came from when ECR refuses the token', async () => {
    aws.ecr.password = `wrong-${randomSecret()}`;
    const name = repositoryName('ecr-refused');
    const run = await deployToEcr(name);
    expect(run.code).toBe(1);
    const errors = annotationText(run.errors);
    expect(errors).toContain(ecr.host);
    expect(errors).toContain('ecr:GetAuthorizationToken for account 123456789012');
    expect(aws.callsOf('RegisterTaskDefinition')).toEqual([]);
    expect(aws.callsOf('UpdateService')).toEqual([]);
    expect(run.outputs).toEqual({});
    const wrongToken = Buffer.from(`AWS:${aws.ecr.password}`).toString('base64');
    const needles = [
      ...needlesOf({ name: 'ECR token', value: wrongToken }),
      ...needlesOf({ name: 'ECR password', value: aws.ecr.password }),
    ];
    expect(scanForSecrets(leakableText(run), needles)).toEqual([]);
  });
});
