// Every real-world task definition of the shared corpus (../shared/corpus/taskdefs, read in place,
// never copied into the project) through a dry run of the bundled action, as the runner runs it.
// OUTCOMES records what the action does with each file today: 'accepted', or the first line of its
// error annotation. Rows whose outcome is arguably wrong carry a comment saying so.
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startAwsRecorder, type AwsRecorder } from '../helpers/aws-recorder';
import { runAction } from '../helpers/run-action';
import { DEMO_INPUTS, exampleWorkspace } from '../helpers/workspace';
import { annotationText } from './deploy-env';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus/taskdefs');
const CONCURRENCY = 4;

const NO_EXECUTION_ROLE =
  /^task-definition\.json: container "atlas" reads "secrets", but the task definition has no "executionRoleArn"/;
const NOT_JSON = (at: string): RegExp =>
  new RegExp(`^task-definition\\.json:${at}: is not valid JSON: `);
const NOT_AN_OBJECT = /^task-definition\.json:1:1: must hold a JSON object, not an array\. /;
const NO_FAMILY = (at: string): RegExp =>
  new RegExp(`^task-definition\\.json:${at}: has no "family"\\. `);
const NULL_FIELD = (at: string, field: string): RegExp =>
  new RegExp(
    `^task-definition\\.json:${at}: "${field.replace(/[[\].]/g, '\\$&')}" must be an? [a-z ]+, not null\\. `,
  );

type Expected = 'accepted' | RegExp;

// prettier-ignore
const OUTCOMES: readonly (readonly [file: string, expected: Expected])[] = [
  ['01-appmesh-xray-unit-strings.json', 'accepted'],
  ['02-firelens-appmesh-envoy.json', 'accepted'],
  ['03-firelens-efs-wrapped.json', 'accepted'],
  ['04-firelens-datadog-minimal.json', 'accepted'], // unrendered ${Partition}/${Region}/${Account} in a secretOptions valueFrom; arguably should be refused
  ['05-deploy-action-ebs-configured-at-launch.json', NO_EXECUTION_ROLE],
  ['06-render-action-two-containers.json', NO_EXECUTION_ROLE],
  ['07-ecspresso-wrapped-gotemplate.json', 'accepted'], // unrendered {{ env `TAG` }} in the image; arguably should be refused
  ['08-ecspresso-daemon-host-network.json', 'accepted'], // unrendered {{must_env}} in role and secret ARNs; arguably should be refused
  ['09-ecspresso-jsonnet-trailing-commas.json', NOT_JSON('1:1')],
  ['10-hee-template-ssm-names.json', 'accepted'], // unrendered ${environment} in secret valueFrom; arguably should be refused
  ['11-xyo-archivist-envfiles.json', 'accepted'],
  ['12-crowdstrike-minimal.json', 'accepted'],
  ['13-esgf-replaced-by-ci.json', 'accepted'],
  ['14-extelligence-your-ecr-placeholder.json', 'accepted'], // "YOUR_ACCOUNT_ID" in role ARNs (not a 12-digit account); arguably should be refused
  ['15-qbizinc-presto-bad-healthcheck.json', 'accepted'],
  ['16-ecscli-describe-nulls.json', NULL_FIELD('54:29', 'containerDefinitions[0].workingDirectory')], // issue 12: null means absent; should be accepted
  ['17-cfl-openmrs-secret-by-name.json', NULL_FIELD('24:18', 'containerDefinitions[0].command')], // issue 12: null means absent; should be accepted
  ['18-docker-practice-jsonc-comments.json', NOT_JSON('3:5')],
  ['19-dnx-tpl-unquoted-vars.json', NOT_JSON('11:28')],
  ['20-nasa-across-containerdefs-only.json', NO_FAMILY('1:1')],
  ['21-fortune-bridge-ec2.json', NO_EXECUTION_ROLE],
  ['22-cogini-unquoted-port.json', NOT_JSON('39:38')],
  ['23-shun198-describe-placeholders.json', 'accepted'], // unrendered "<NGINX_IMAGE_NAME>"/"<DJANGO_IMAGE_NAME>" images; arguably should be refused
  ['24-warpstream-containerdefs-array.json', NOT_AN_OBJECT],
  ['25-skole-containerdefs-array-ssm.json', NOT_AN_OBJECT],
  ['26-openwebui-envsubst-names.json', 'accepted'], // unrendered $APP_ENV in family, container name and image ("$" is not allowed in a name); arguably should be refused
  ['27-ecs-agent-nvidia-gpu.json', NO_EXECUTION_ROLE],
  ['28-ecs-agent-ordering-healthy.json', NO_EXECUTION_ROLE],
  ['29-ecs-agent-windows-awslogs.json', NO_EXECUTION_ROLE],
  ['30-qivr-arm64.json', 'accepted'],
  ['31-careplace-ephemeral-describe.json', 'accepted'],
  ['32-wombo-ec2-minimal.json', 'accepted'],
  ['33-unshelvd-secretsmanager.json', 'accepted'],
  ['34-girok-describe-ssm.json', 'accepted'],
  ['35-zigg-otel-sidecar.json', 'accepted'],
  ['36-bemyplan-ec2-describe.json', NULL_FIELD('3:23', 'executionRoleArn')], // issue 12: null means absent; should then be refused for the missing executionRoleArn instead
  ['37-cwinsights-fluentbit-daemon.json', 'accepted'], // unrendered {{task-role-arn}}/{{aws-region}} in roles and awslogs-region; arguably should be refused
  ['38-cwinsights-cwagent-daemon.json', 'accepted'], // unrendered {{task-role-arn}}/{{awslogs-region}} in roles and awslogs-region; arguably should be refused
  ['39-otel-ec2-sidecar-unquoted-mustache.json', NOT_JSON('42:10')],
  ['40-otel-fargate-sidecar.json', 'accepted'], // unrendered {{ecsTaskRoleArn}}/{{region}} in roles and awslogs-region; arguably should be refused
  ['41-datadog-agent-windows.json', NO_EXECUTION_ROLE],
  ['42-datadog-agent-fargate.json', NO_EXECUTION_ROLE],
  ['43-banbury-cli-skeleton.json', /^task-definition\.json:2:13: "family" must be a non-empty string, not a string \(""\)\. /],
  ['44-braidfi-watchman.json', 'accepted'],
  ['45-cos301-describe-ephemeral.json', 'accepted'],
  ['46-bhub-app-placeholders.json', 'accepted'], // unrendered <aws_account_id>/<secret_name> in secret ARNs; arguably should be refused
  ['47-amalitech-dollar-ecr.json', /^task-definition\.json:55:11: "tags" must be an array, not an object\. /],
  ['48-chanhee-string-port.json', NULL_FIELD('23:33', 'containerDefinitions[0].workingDirectory')], // issue 12: null means absent; should be accepted
  ['49-devin-notification-dollar.json', 'accepted'], // unrendered ${...} in the image, ARNs and env values; arguably should be refused
  ['50-sensorvision-two-containers.json', 'accepted'], // "YOUR_ACCOUNT_ID"/"YOUR_REGION" in image and ARNs; arguably should be refused
  ['51-cs3219-ten-containers.json', /^task-definition\.json: container "session-service" has no "image"\. /],
  ['52-beelder-crlf-nulls.json', NULL_FIELD('143:26', 'runtimePlatform.cpuArchitecture')], // issue 12: null means absent; should be accepted
  ['53-capstone-no-image-key.json', /^task-definition\.json: container "tourease-app" has no "image"\. /],
  ['54-twitter-eb-dockerrun-decoy.json', NO_FAMILY('2:1')],
  ['55-abdelali-otel-wrapped-tags.json', 'accepted'],
  ['56-aws-community-day-nulls.json', NULL_FIELD('25:18', 'containerDefinitions[0].command')], // issue 12: null means absent; should be accepted
  ['57-aghcampus-ec2-describe.json', 'accepted'],
  ['58-wwalpha-array-app-xray-envoy.json', NOT_AN_OBJECT],
  ['59-kklein90-datadog-sidecar-bare-token.json', NOT_JSON('21:17')],
];

interface Container {
  name: string;
  essential?: boolean;
  dependsOn?: { containerName: string; condition: string }[];
}

interface Outcome {
  code: number | null;
  stderr: string;
  firstError: string | undefined;
  containers: Container[] | undefined;
  corpusUntouched: boolean;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const corpusPresent = existsSync(CORPUS);
const suite = corpusPresent ? describe : describe.skip;

suite(
  corpusPresent
    ? 'dist/index.js dry run over the real-world task definitions of shared/corpus/taskdefs'
    : `SKIPPED: the corpus folder ${CORPUS} is absent, so the real-world task definitions cannot be checked`,
  () => {
    let aws: AwsRecorder;
    const outcomes = new Map<string, Outcome>();

    async function dryRun(file: string): Promise<Outcome> {
      const source = path.join(CORPUS, file);
      const before = readFileSync(source);
      const ws = await exampleWorkspace();
      try {
        copyFileSync(source, path.join(ws.dir, DEMO_INPUTS['task-definition']!));
        const run = await runAction(DEMO_INPUTS, {
          workspace: ws.dir,
          env: {
            AWS_ENDPOINT_URL: aws.url,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
            AWS_SECRET_ACCESS_KEY: 'secret-example',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
        });
        const rendered = run.outputs['task-definition-file'];
        return {
          code: run.code,
          stderr: run.stderr,
          firstError: run.errors.length > 0 ? annotationText(run.errors).split('\n')[0] : undefined,
          containers: rendered
            ? (JSON.parse(readFileSync(rendered, 'utf8')) as { containerDefinitions: Container[] })
                .containerDefinitions
            : undefined,
          corpusUntouched: readFileSync(source).equals(before),
        };
      } finally {
        ws.remove();
      }
    }

    beforeAll(async () => {
      aws = await startAwsRecorder();
      const files = OUTCOMES.map(([file]) => file).filter((file) =>
        existsSync(path.join(CORPUS, file)),
      );
      const results = await pool(files, CONCURRENCY, dryRun);
      files.forEach((file, i) => outcomes.set(file, results[i]!));
    }, 240_000);

    afterAll(async () => {
      await aws?.close();
    });

    it('has exactly one row for every corpus file', () => {
      const files = readdirSync(CORPUS).sort();
      const rows = OUTCOMES.map(([file]) => file);
      expect(new Set(rows).size).toBe(rows.length);
      expect([...rows].sort()).toEqual(files);
    });

    it('never reaches AWS in a dry run', () => {
      expect(aws.requests).toEqual([]);
    });

    it.each(OUTCOMES)('%s: %s', (file, expected) => {
      const outcome = outcomes.get(file);
      expect(outcome).toBeDefined();
      const { code, stderr, firstError, containers, corpusUntouched } = outcome!;
      expect(corpusUntouched).toBe(true);
      expect(stderr).toBe('');

      if (expected !== 'accepted') {
        expect({ code, containers }).toEqual({ code: 1, containers: undefined });
        expect(firstError).toMatch(expected);
        return;
      }

      expect({ code, firstError }).toEqual({ code: 0, firstError: undefined });
      const [atlas, ...others] = containers!;
      expect(atlas).toMatchObject({ name: 'atlas', essential: false });
      // The apps: every essential container (ECS's default when the key is missing) except
      // those the migration container waits for itself.
      const waitedFor = new Set((atlas!.dependsOn ?? []).map((d) => d.containerName));
      const apps = others.filter((c) => c.essential !== false && !waitedFor.has(c.name));
      expect(apps.length).toBeGreaterThan(0);
      for (const app of apps) {
        expect({ name: app.name, dependsOn: app.dependsOn }).toEqual({
          name: app.name,
          dependsOn: expect.arrayContaining([{ containerName: 'atlas', condition: 'SUCCESS' }]),
        });
      }
    });
  },
);
