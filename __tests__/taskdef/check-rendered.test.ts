import { FileProblem, ValidationErrors } from '../../src/errors';
import { checkRendered, type ActionSetValues } from '../../src/taskdef/check-rendered';
import { parseTaskDefinitionFile } from '../../src/taskdef';
import type { JsonObject } from '../../src/taskdef';
import { thrown } from './helpers';

const FILE = 'deploy/td.json';
const ROLE = 'arn:aws:iam::123456789012:role/web-execution';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf';

function td(overrides: JsonObject = {}, container: JsonObject = {}): JsonObject {
  return {
    family: 'web',
    executionRoleArn: ROLE,
    containerDefinitions: [{ name: 'web', image: 'nginx:1.25', ...container }],
    ...overrides,
  };
}

/** The messages checkRendered gives, located by path so the test can see which path each names. */
function problems(value: JsonObject, actionSets: ActionSetValues = {}): string[] {
  return checkRendered(value, (path) => ({ file: path.join('/') }), actionSets).map(
    (error) => error.message,
  );
}

describe('checkRendered: unrendered templates', () => {
  it('refuses each form in the family, naming the path, the value, what it holds and the fix', () => {
    expect(problems(td({ family: 'web-${ENV}' }))).toEqual([
      'family: "family" is "web-${ENV}", which holds the unrendered variable ${ENV}. Fix: render the file before this step, with the tool its variables belong to (`envsubst < task-definition.template.json > task-definition.json` for shell variables; Terraform, CloudFormation or aws-actions/amazon-ecs-render-task-definition for theirs), and give this action the rendered file',
    ]);
    expect(problems(td({ family: 'web-$ENV' }))[0]).toContain('the unrendered variable $ENV');
    expect(problems(td({ family: '{{ .Family }}' }))[0]).toContain(
      'the unrendered template {{ .Family }}. Fix: render the file before this step with the template tool',
    );
    expect(problems(td({ family: '<FAMILY>' }))[0]).toContain(
      'the placeholder <FAMILY>. Fix: replace the placeholder with the real value',
    );
    expect(problems(td({ family: 'REPLACE_ME' }))[0]).toContain('the placeholder REPLACE_ME');
  });

  it('refuses a container name, a role ARN and every secret reference', () => {
    const value = td(
      {
        taskRoleArn: 'arn:aws:iam::YOUR_ACCOUNT_ID:role/web',
        executionRoleArn: '{{execution-role-arn}}',
      },
      {
        name: '${APP_NAME}',
        secrets: [
          { name: 'A', valueFrom: '/app/${environment}/a' },
          { name: 'B', valueFrom: SECRET },
        ],
        logConfiguration: {
          logDriver: 'awsfirelens',
          secretOptions: [
            { name: 'apikey', valueFrom: 'arn:aws:ssm:<REGION>:123456789012:parameter/k' },
          ],
        },
        repositoryCredentials: {
          credentialsParameter: 'arn:aws:secretsmanager:us-east-1:XXXXXXXXXXXX:secret:r',
        },
      },
    );
    expect(problems(value).map((message) => message.slice(0, message.indexOf(':')))).toEqual([
      'taskRoleArn',
      'executionRoleArn',
      'containerDefinitions/0/name',
      'containerDefinitions/0/secrets/0/valueFrom',
      'containerDefinitions/0/logConfiguration/secretOptions/0/valueFrom',
      'containerDefinitions/0/repositoryCredentials/credentialsParameter',
    ]);
  });

  it('refuses an account, region or partition that cannot be real', () => {
    expect(problems(td({ executionRoleArn: 'arn:aws:iam::11111111111:role/x' }))).toEqual([
      'executionRoleArn: "executionRoleArn" is "arn:aws:iam::11111111111:role/x", which has "11111111111" for its account, not a 12-digit AWS account ID. Fix: write the real AWS account ID, region and partition there (e.g. arn:aws:iam::123456789012:role/name, 123456789012.dkr.ecr.us-east-1.amazonaws.com/name)',
    ]);
  });

  it('points an app container’s image at the images input, and at rendering the file', () => {
    const [message] = problems(td({}, { image: '${IMAGE}' }));
    expect(message).toBe(
      'containerDefinitions/0/image: "containerDefinitions[0].image" is "${IMAGE}", which holds the unrendered variable ${IMAGE}. Fix: set the image with the images input (`images: web=<registry>/<repository>:<tag>`), which replaces it, or render the file before this step, with the tool its variables belong to (`envsubst < task-definition.template.json > task-definition.json` for shell variables; Terraform, CloudFormation or aws-actions/amazon-ecs-render-task-definition for theirs), and give this action the rendered file',
    );
  });

  it('does not suggest the images input for a container whose name is itself unrendered', () => {
    const found = problems(td({}, { name: '${NAME}', image: '${IMAGE}' }));
    expect(found).toHaveLength(2);
    expect(found[1]).toContain('"containerDefinitions[0].image" is "${IMAGE}"');
    expect(found[1]).not.toContain('images input');
  });
});

describe('checkRendered: what the action replaces is not judged', () => {
  it('exempts an image the images input replaces: that is how such files are written', () => {
    const value = td({}, { image: '<IMAGE>' });
    expect(problems(value, { images: [{ container: 'web', image: 'nginx:1.27' }] })).toEqual([]);
    // Another container's override does not exempt this one.
    expect(problems(value, { images: [{ container: 'other', image: 'nginx:1.27' }] })).toHaveLength(
      1,
    );
  });

  it('exempts the migration container’s image, which the action builds', () => {
    const value = td({
      containerDefinitions: [
        { name: 'web', image: 'nginx' },
        { name: 'atlas', image: 'REPLACE_ME', essential: false },
      ],
    });
    expect(problems(value, { containerName: 'atlas' })).toEqual([]);
    expect(problems(value, { containerName: 'migrate' })).toHaveLength(1);
  });

  it('exempts the migration container’s DATABASE_URL and ATLAS_TOKEN only when the action sets them', () => {
    const value = td({
      containerDefinitions: [
        { name: 'web', image: 'nginx' },
        {
          name: 'atlas',
          secrets: [
            { name: 'DATABASE_URL', valueFrom: '${DB_SECRET}' },
            { name: 'ATLAS_TOKEN', valueFrom: '${TOKEN_SECRET}' },
          ],
        },
      ],
    });
    expect(
      problems(value, { containerName: 'atlas', databaseUrlSecret: true, atlasTokenSecret: true }),
    ).toEqual([]);
    expect(problems(value, { containerName: 'atlas', databaseUrlSecret: true })).toEqual([
      expect.stringContaining(
        '"containerDefinitions[1].secrets[1].valueFrom" is "${TOKEN_SECRET}"',
      ),
    ]);
    // An app container's DATABASE_URL is its own.
    const app = td({}, { secrets: [{ name: 'DATABASE_URL', valueFrom: '${DB_SECRET}' }] });
    expect(problems(app, { containerName: 'atlas', databaseUrlSecret: true })).toHaveLength(1);
  });
});

describe('checkRendered: no false positives', () => {
  it('never looks at commands, environment values, health checks or log options', () => {
    const value = td(
      {},
      {
        command: ['sh', '-c', 'exec app --port $PORT --name ${NAME} > <log>'],
        entryPoint: ['/bin/sh', '-c'],
        environment: [{ name: 'GREETING', value: 'hello ${USER}, {{name}} <b>' }],
        healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:$PORT/ || exit 1'] },
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/$X' } },
        dockerLabels: { template: '{{ .Name }}' },
      },
    );
    expect(problems(value)).toEqual([]);
  });

  it('accepts real names, images, digests and ARNs', () => {
    const value = {
      family: 'Web_API-2',
      taskRoleArn: 'ecsTaskRole',
      executionRoleArn: ROLE,
      containerDefinitions: [
        { name: 'web', image: 'nginx:1.25' },
        { name: 'xray', image: 'public.ecr.aws/xray/aws-xray-daemon:latest' },
        {
          name: 'api',
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:${'c'.repeat(64)}`,
          secrets: [
            { name: 'DB', valueFrom: SECRET },
            { name: 'P', valueFrom: 'app-prod-db-port' },
            { name: 'Q', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/q' },
          ],
        },
      ],
    };
    expect(problems(value)).toEqual([]);
  });

  it('leaves wrong types and empty values to the shape checks', () => {
    expect(
      problems({
        family: '',
        taskRoleArn: 7,
        containerDefinitions: [{ name: 3, image: '' }, 'x', { name: 'a', secrets: 'x' }],
      } as unknown as JsonObject),
    ).toEqual([]);
  });
});

describe('checkRendered: ECS’s character rules', () => {
  it('refuses a family and a container name ECS would refuse, quoting the rule', () => {
    const [family, name] = problems(td({ family: 'web.api' }, { name: 'web app' }));
    expect(family).toBe(
      'family: "family" is "web.api", which ECS refuses as a family: "." is not allowed. Fix: follow ECS\'s rule for a family: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed (the ECS API reference, RegisterTaskDefinition `family`)',
    );
    expect(name).toContain(
      '"containerDefinitions[0].name" is "web app", which ECS refuses as a container name: " " is not allowed. Fix: follow ECS\'s rule for a container name: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed (the ECS API reference, ContainerDefinition `name`)',
    );
  });

  it('takes 255 characters and refuses 256', () => {
    expect(problems(td({ family: 'f'.repeat(255) }, { name: 'n'.repeat(255) }))).toEqual([]);
    const found = problems(td({ family: 'f'.repeat(256) }, { name: 'n'.repeat(256) }));
    expect(found).toEqual([
      expect.stringContaining('which ECS refuses as a family: it is 256 characters long'),
      expect.stringContaining('which ECS refuses as a container name: it is 256 characters long'),
    ]);
    expect(problems(td({}, { image: `r/${'a'.repeat(253)}` }))).toEqual([]);
    expect(problems(td({}, { image: `r/${'a'.repeat(254)}` }))).toEqual([
      expect.stringContaining('which ECS refuses as an image: it is 256 characters long'),
    ]);
  });

  it('refuses an image outside ECS’s rule, and then one no registry serves', () => {
    expect(problems(td({}, { image: 'nginx 1.25' }))).toEqual([
      expect.stringContaining(
        'is "nginx 1.25", which ECS refuses as an image: " " is not allowed. Fix: set the image with the images input (`images: web=<registry>/<repository>:<tag>`), which replaces it, or correct it: up to 255 letters',
      ),
    ]);
    expect(problems(td({}, { image: 'CONTAINER_IMAGE' }))).toEqual([
      expect.stringContaining(
        'is "CONTAINER_IMAGE", which is not an image reference a registry can serve: a repository name is lower-case',
      ),
    ]);
    expect(problems(td({}, { image: 'MyOrg/Web:1' }))).toHaveLength(1);
  });
});

describe('parseTaskDefinitionFile: rendered values', () => {
  it('reports every problem together, at its line and column, in the order of the file', () => {
    const text = [
      '{',
      '  "family": "web-${ENV}",',
      '  "executionRoleArn": "arn:aws:iam::<account>:role/x",',
      '  "containerDefinitions": [',
      '    { "name": "web", "image": "{{ .Image }}" },',
      '    { "name": "sidecar", "image": "busybox", "essential": false }',
      '  ]',
      '}',
    ].join('\n');
    const error = thrown(() => parseTaskDefinitionFile(text, FILE));
    expect(error).toBeInstanceOf(ValidationErrors);
    const errors = (error as ValidationErrors).errors as FileProblem[];
    expect(errors.map((e) => e.location)).toEqual([
      { file: FILE, line: 2, column: 13 },
      { file: FILE, line: 3, column: 23 },
      { file: FILE, line: 5, column: 31 },
    ]);
    expect(errors[2]!.message).toMatch(
      /^deploy\/td\.json:5:31: "containerDefinitions\[0\]\.image" is "\{\{ \.Image \}\}"/,
    );
  });

  it('takes the images input and the migration container into account', () => {
    const text = JSON.stringify(
      td({
        containerDefinitions: [
          { name: 'web', image: '<IMAGE>' },
          { name: 'atlas', image: '${ATLAS}', essential: false },
        ],
      }),
    );
    expect(thrown(() => parseTaskDefinitionFile(text, FILE)).message).toContain('2 problems');
    const parsed = parseTaskDefinitionFile(text, FILE, {
      containerName: 'atlas',
      images: [{ container: 'web', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2' }],
    });
    expect(parsed.taskDefinition.containerDefinitions[0]!.image).toBe('<IMAGE>');
  });
});
