// Every real-world task definition of the shared corpus (../shared/corpus/taskdefs, read in place,
// never copied into the project) through a dry run of the bundled action, as the runner runs it.
// OUTCOMES records what the action does with each file: 'accepted', or the first line of its error
// annotation; each row's comment says why. Files that hold nulls are accepted with the nulls
// dropped (null means absent to ECS and the SDK), and the warning listing them is checked too.
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startAwsRecorder, type AwsRecorder } from '../helpers/aws-recorder';
import { runAction } from '../helpers/run-action';
import { DEMO_INPUTS, exampleWorkspace } from '../helpers/workspace';
import { annotationText } from './deploy-env';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus/taskdefs');
const CONCURRENCY = 4;

function escaped(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

const NO_EXECUTION_ROLE =
  /^task-definition\.json: container "atlas" reads "secrets", but the task definition has no "executionRoleArn"/;
const NOT_JSON = (at: string): RegExp =>
  new RegExp(`^task-definition\\.json:${at}: is not valid JSON: `);
const NOT_AN_OBJECT = /^task-definition\.json:1:1: must hold a JSON object, not an array\. /;
const NO_FAMILY = (at: string): RegExp =>
  new RegExp(`^task-definition\\.json:${at}: has no "family"\\. `);
/** A template or sample placeholder left in a field ECS resolves, refused with what it holds. */
const UNRENDERED = (at: string, field: string, holds: string): RegExp =>
  new RegExp(
    `^task-definition\\.json:${at}: "${escaped(field)}" is ".*", which holds the (?:unrendered variable|unrendered template|placeholder) ${escaped(holds)}\\. Fix: `,
  );
/** The same in an app container's image: the fix points at the images input first. */
const UNRENDERED_IMAGE = (at: string, index: number, container: string, holds: string): RegExp =>
  new RegExp(
    `${UNRENDERED(at, `containerDefinitions[${index}].image`, holds).source}set the image with the images input \\(\`images: ${escaped(container)}=`,
  );

type Expected = 'accepted' | RegExp;

// prettier-ignore
const OUTCOMES: readonly (readonly [file: string, expected: Expected])[] = [
  ['01-appmesh-xray-unit-strings.json', 'accepted'], // rendered; ".25 vcpu"/".5 gb" unit strings are ECS's to judge
  ['02-firelens-appmesh-envoy.json', 'accepted'], // rendered; the app keeps its wait for envoy HEALTHY and also waits for atlas
  ['03-firelens-efs-wrapped.json', /^task-definition\.json:4:24: "taskRoleArn" is "arn:aws:iam::11111111111:role\/ecsTaskExecutionRole", which has "11111111111" for its account, not a 12-digit AWS account ID\. /], // a sample's 11-digit account in both role ARNs
  ['04-firelens-datadog-minimal.json', UNRENDERED('3:20', 'taskRoleArn', 'XXXXXXXXXXXX')], // XXXXXXXXXXXX accounts in the roles, CloudFormation ${Partition}/${Region}/${Account} in a secretOptions valueFrom
  ['05-deploy-action-ebs-configured-at-launch.json', NO_EXECUTION_ROLE], // no executionRoleArn, so ECS could not fetch the migration's DATABASE_URL secret
  ['06-render-action-two-containers.json', NO_EXECUTION_ROLE], // the same; the <html> in its shell command is not looked at
  ['07-ecspresso-wrapped-gotemplate.json', UNRENDERED_IMAGE('40:18', 0, 'katsubushi', '{{ env `TAG` `latest` }}')], // ecspresso Go template in the app's image: the images input or `ecspresso render`
  ['08-ecspresso-daemon-host-network.json', UNRENDERED('32:24', 'containerDefinitions[0].secrets[1].valueFrom', '{{must_env `AWS_ACCOUNT_ID`}}')], // {{must_env}} in secret and role ARNs (all reported; the first in the file shown)
  ['09-ecspresso-jsonnet-trailing-commas.json', NOT_JSON('1:1')], // Jsonnet, not JSON
  ['10-hee-template-ssm-names.json', UNRENDERED('13:24', 'containerDefinitions[0].secrets[1].valueFrom', '${environment}')], // ${environment} in SSM parameter names, the family and the task role
  ['11-xyo-archivist-envfiles.json', 'accepted'], // rendered; environmentFiles and empty secrets/links kept
  ['12-crowdstrike-minimal.json', UNRENDERED('7:23', 'executionRoleArn', 'ACCOUNT_ID')], // ACCOUNT_ID where the role ARN has its account
  ['13-esgf-replaced-by-ci.json', UNRENDERED_IMAGE('16:16', 0, 'transaction-api', 'REPLACED_BY_CI')], // image "REPLACED_BY_CI", for CI to fill in: the images input does that here
  ['14-extelligence-your-ecr-placeholder.json', UNRENDERED('7:23', 'executionRoleArn', 'YOUR_ACCOUNT_ID')], // YOUR_ACCOUNT_ID in the roles, YOUR_ECR_REPO_URI in the image
  ['15-qbizinc-presto-bad-healthcheck.json', 'accepted'], // rendered; the malformed healthCheck command is ECS's to judge
  ['16-ecscli-describe-nulls.json', 'accepted'], // describe output: its 49 nulls are dropped and listed in a warning
  ['17-cfl-openmrs-secret-by-name.json', 'accepted'], // 55 nulls dropped; a secret by bare name is a valid SSM parameter reference
  ['18-docker-practice-jsonc-comments.json', NOT_JSON('3:5')], // JSONC comments
  ['19-dnx-tpl-unquoted-vars.json', NOT_JSON('11:28')], // unquoted ${...} for numbers
  ['20-nasa-across-containerdefs-only.json', NO_FAMILY('1:1')], // container definitions alone (its {{ must_env `IMAGE` }} image is reported too)
  ['21-fortune-bridge-ec2.json', NO_EXECUTION_ROLE], // no executionRoleArn for the migration's secret
  ['22-cogini-unquoted-port.json', NOT_JSON('39:38')], // unquoted <PORT>
  ['23-shun198-describe-placeholders.json', UNRENDERED_IMAGE('6:22', 0, 'web', '<NGINX_IMAGE_NAME>')], // "<NGINX_IMAGE_NAME>"/"<DJANGO_IMAGE_NAME>" images: both reported, the images input sets them
  ['24-warpstream-containerdefs-array.json', NOT_AN_OBJECT], // Terraform's container-definitions array
  ['25-skole-containerdefs-array-ssm.json', NOT_AN_OBJECT], // the same
  ['26-openwebui-envsubst-names.json', UNRENDERED('2:12', 'family', '$APP_ENV')], // envsubst's $APP_ENV in the family, the container name and the image
  ['27-ecs-agent-nvidia-gpu.json', NO_EXECUTION_ROLE], // no executionRoleArn for the migration's secret
  ['28-ecs-agent-ordering-healthy.json', NO_EXECUTION_ROLE], // the same
  ['29-ecs-agent-windows-awslogs.json', NO_EXECUTION_ROLE], // the same (its $$$TEST_REGION$$$ is in a log option, not looked at)
  ['30-qivr-arm64.json', 'accepted'], // rendered ARM64 task: the image is built for arm64
  ['31-careplace-ephemeral-describe.json', 'accepted'], // describe output; read-only fields stripped
  ['32-wombo-ec2-minimal.json', /^task-definition\.json:10:16: "containerDefinitions\[0\]\.image" is "CONTAINER_IMAGE", which is not an image reference a registry can serve: .*Fix: set the image with the images input \(`images: production-api-container=/], // image "CONTAINER_IMAGE": upper case, so no registry could serve it
  ['33-unshelvd-secretsmanager.json', 'accepted'], // rendered; "<noreply@...>" is an environment value, not looked at
  ['34-girok-describe-ssm.json', 'accepted'], // describe output: its one null (healthCheck.startPeriod) dropped
  ['35-zigg-otel-sidecar.json', 'accepted'], // rendered; both essential containers wait for atlas
  ['36-bemyplan-ec2-describe.json', NO_EXECUTION_ROLE], // its nulls dropped, "executionRoleArn": null among them, which the migration's secret needs
  ['37-cwinsights-fluentbit-daemon.json', UNRENDERED('3:20', 'taskRoleArn', '{{task-role-arn}}')], // {{task-role-arn}}/{{execution-role-arn}} for the roles
  ['38-cwinsights-cwagent-daemon.json', UNRENDERED('3:18', 'taskRoleArn', '{{task-role-arn}}')], // the same
  ['39-otel-ec2-sidecar-unquoted-mustache.json', NOT_JSON('42:10')], // unquoted {{command}}
  ['40-otel-fargate-sidecar.json', UNRENDERED('3:18', 'taskRoleArn', '{{ecsTaskRoleArn}}')], // {{ecsTaskRoleArn}}/{{ecsTaskExecutionRoleArn}} for the roles
  ['41-datadog-agent-windows.json', NO_EXECUTION_ROLE], // its null readOnly dropped; no executionRoleArn for the migration's secret
  ['42-datadog-agent-fargate.json', UNRENDERED('2:13', 'family', '<TASK_NAME>')], // "<TASK_NAME>" family (its <YOUR_API_KEY> is an environment value)
  ['43-banbury-cli-skeleton.json', /^task-definition\.json:2:13: "family" must be a non-empty string, not a string \(""\)\. /], // --generate-cli-skeleton: every field empty
  ['44-braidfi-watchman.json', 'accepted'], // rendered
  ['45-cos301-describe-ephemeral.json', 'accepted'], // describe output with tags
  ['46-bhub-app-placeholders.json', UNRENDERED('39:34', 'containerDefinitions[0].secrets[0].valueFrom', '<aws_account_id>')], // <aws_account_id>/<secret_name> in the secret ARNs and the execution role
  ['47-amalitech-dollar-ecr.json', UNRENDERED('3:23', 'executionRoleArn', '${execution_role_arn}')], // ${...} for the roles and the image (and "tags" is an object)
  ['48-chanhee-string-port.json', 'accepted'], // its 12 nulls dropped; the string containerPort is ECS's to judge
  ['49-devin-notification-dollar.json', 'accepted'], // ${TWILIO_*} only in environment values, which are the app's and never looked at
  ['50-sensorvision-two-containers.json', UNRENDERED('7:23', 'executionRoleArn', 'YOUR_ACCOUNT_ID')], // YOUR_ACCOUNT_ID/YOUR_REGION in the roles, the image and the secret ARNs
  ['51-cs3219-ten-containers.json', /^task-definition\.json: container "session-service" has no "image"\. /], // images "" to be rendered; its nulls dropped first
  ['52-beelder-crlf-nulls.json', 'accepted'], // CRLF describe output: its 61 nulls dropped
  ['53-capstone-no-image-key.json', /^task-definition\.json: container "tourease-app" has no "image"\. /], // no "image" key
  ['54-twitter-eb-dockerrun-decoy.json', NO_FAMILY('2:1')], // an Elastic Beanstalk Dockerrun file
  ['55-abdelali-otel-wrapped-tags.json', 'accepted'], // describe --include TAGS output
  ['56-aws-community-day-nulls.json', 'accepted'], // console JSON: its 33 nulls dropped
  ['57-aghcampus-ec2-describe.json', 'accepted'], // EC2 describe output, dynamic host port
  ['58-wwalpha-array-app-xray-envoy.json', NOT_AN_OBJECT], // Terraform template of a container array
  ['59-kklein90-datadog-sidecar-bare-token.json', NOT_JSON('21:17')], // a bare template token
];

/** Files whose nulls are dropped, and how many: the warning names each one. */
const NULLS_DROPPED: Readonly<Record<string, number>> = {
  '16-ecscli-describe-nulls.json': 49,
  '17-cfl-openmrs-secret-by-name.json': 55,
  '34-girok-describe-ssm.json': 1,
  '48-chanhee-string-port.json': 12,
  '52-beelder-crlf-nulls.json': 61,
  '56-aws-community-day-nulls.json': 33,
};

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
  /** The text of the warning annotation about dropped nulls, if the run gave one. */
  nullsWarning: string | undefined;
  summary: string;
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
          nullsWarning: run.warnings
            .map((line) => annotationText([line]))
            .find((text) => text.startsWith('task-definition.json: dropped ')),
          summary: run.summary,
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
      const { code, stderr, firstError, containers, nullsWarning, summary, corpusUntouched } =
        outcome!;
      expect(corpusUntouched).toBe(true);
      expect(stderr).toBe('');

      if (expected !== 'accepted') {
        expect({ code, containers }).toEqual({ code: 1, containers: undefined });
        expect(firstError).toMatch(expected);
        return;
      }

      expect({ code, firstError }).toEqual({ code: 0, firstError: undefined });
      const nulls = NULLS_DROPPED[file];
      if (nulls === undefined) {
        expect(nullsWarning).toBeUndefined();
      } else {
        const count = nulls === 1 ? 'a null field' : `${nulls} null fields`;
        expect(nullsWarning).toMatch(new RegExp(`^task-definition\\.json: dropped ${count}, `));
        // Every path with its position, and the same sentence in the step summary.
        expect(nullsWarning!.match(/ \(\d+:\d+\)/g)).toHaveLength(nulls);
        expect(summary).toContain(`- task-definition.json: dropped ${count}, `);
      }
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
