// Recognises what a template or a sample file leaves where a value belongs: `${VAR}`, `$VAR`,
// `{{ ... }}`, `<name>`, REPLACE_ME-style words, and AWS account IDs or regions that are not
// ones. Hand-written because no maintained library knows the placeholders of envsubst,
// Terraform, CloudFormation, ecspresso, mustache and AWS's own samples at once. Only for values
// where none of these characters can be legitimate (names, images, role and secret ARNs): a `$`
// in a command or an environment value is the shell's, and is never looked at.

export type PlaceholderForm = 'variable' | 'mustache' | 'angle' | 'word' | 'aws-id';

export interface Placeholder {
  /** The placeholder as the value holds it. */
  readonly text: string;
  readonly form: PlaceholderForm;
  /** Said of the value holding it: "which holds the unrendered variable ${IMAGE}". */
  readonly description: string;
}

const TEMPLATES: readonly { form: PlaceholderForm; pattern: RegExp; what: string }[] = [
  { form: 'mustache', pattern: /\{\{[\s\S]*?\}\}/, what: 'the unrendered template' },
  // ${VAR}, ${VAR:-default}, CloudFormation's ${AWS::AccountId}, Terraform's ${var.x}.
  { form: 'variable', pattern: /\$\{[^{}]*\}/, what: 'the unrendered variable' },
  { form: 'variable', pattern: /\$[A-Za-z_][A-Za-z0-9_]*/, what: 'the unrendered variable' },
  { form: 'angle', pattern: /<[^<>]+>/, what: 'the placeholder' },
];

/**
 * Upper-case words only people writing a sample use: REPLACE_ME, REPLACED_BY_CI, CHANGEME,
 * YOUR_ACCOUNT_ID, TODO, XXXXXXXX, ACCOUNT_ID, ... A lower-case or mixed-case name ("change-log",
 * "replace-worker") is someone's real name and never matches.
 */
const PLACEHOLDER_WORD =
  /^(?:REPLACE(?:_\w*|D_\w+|ME)|CHANGE_?ME|YOUR_\w+|TODO|FIXME|TBD|PLACEHOLDER\w*|INSERT_\w+|\w+_HERE|X{4,}|(?:AWS_)?ACCOUNT_?(?:ID|NUMBER)|AWS_REGION)$/;

const PARTITION = /^aws(?:-[a-z]+)*$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;
/** An ECR registry host, with whatever stands where its account and region go. */
const ECR_HOST =
  /^([^./]+)\.dkr(?:-fips)?\.ecr(?:-fips)?\.([^./]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)(?::\d+)?(?:\/|$)/;

/** The first template in `value` (by position), else its first placeholder word. */
export function findPlaceholder(value: string): Placeholder | undefined {
  let first: (Placeholder & { index: number }) | undefined;
  for (const { form, pattern, what } of TEMPLATES) {
    const match = pattern.exec(value);
    if (match && (first === undefined || match.index < first.index)) {
      first = {
        text: match[0],
        form,
        description: `which holds ${what} ${match[0]}`,
        index: match.index,
      };
    }
  }
  if (first) return { text: first.text, form: first.form, description: first.description };
  for (const word of value.match(/[A-Za-z0-9_]+/g) ?? []) {
    if (/[A-Z]/.test(word) && word === word.toUpperCase() && PLACEHOLDER_WORD.test(word)) {
      return { text: word, form: 'word', description: `which holds the placeholder ${word}` };
    }
  }
  return undefined;
}

/**
 * A placeholder in an ARN (`arn:partition:service:region:account:resource`): a template or word
 * anywhere, else a partition, region or account that cannot be real. An IAM ARN has no region; the
 * ARNs read here (roles, secrets, parameters) always have an account. Not an ARN: only templates
 * and words are looked for (a role may be given by its name, a parameter by its name).
 */
export function findArnPlaceholder(value: string): Placeholder | undefined {
  const found = findPlaceholder(value);
  if (found || !value.startsWith('arn:')) return found;
  const [, partition = '', , region = '', account = ''] = value.split(':');
  if (!PARTITION.test(partition)) {
    return awsId(
      partition,
      'which has',
      'partition',
      'aws, aws-cn, aws-us-gov or another AWS partition',
    );
  }
  if (region !== '' && !REGION.test(region)) {
    return awsId(region, 'which has', 'region', 'an AWS region such as us-east-1');
  }
  if (!ACCOUNT.test(account)) {
    return awsId(account, 'which has', 'account', 'a 12-digit AWS account ID');
  }
  return undefined;
}

/** An ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`) whose account or region is not one. */
export function findImagePlaceholder(image: string): Placeholder | undefined {
  const found = findPlaceholder(image);
  if (found) return found;
  const ecr = ECR_HOST.exec(image);
  if (!ecr) return undefined;
  const [, account = '', region = ''] = ecr;
  const whose = 'whose ECR registry has';
  if (!ACCOUNT.test(account)) return awsId(account, whose, 'account', 'a 12-digit AWS account ID');
  if (!REGION.test(region))
    return awsId(region, whose, 'region', 'an AWS region such as us-east-1');
  return undefined;
}

function awsId(text: string, which: string, part: string, expected: string): Placeholder {
  return {
    text,
    form: 'aws-id',
    description: `${which} ${JSON.stringify(text)} for its ${part}, not ${expected}`,
  };
}

/** How to fill in a placeholder of that form, for a FileProblem's fix. */
export function renderFix(form: PlaceholderForm): string {
  switch (form) {
    case 'variable':
      return 'render the file before this step, with the tool its variables belong to (`envsubst < task-definition.template.json > task-definition.json` for shell variables; Terraform, CloudFormation or aws-actions/amazon-ecs-render-task-definition for theirs), and give this action the rendered file';
    case 'mustache':
      return 'render the file before this step with the template tool it is written for (e.g. `ecspresso render`), or write the value in, and give this action the rendered file';
    case 'angle':
    case 'word':
      return 'replace the placeholder with the real value: the file is still a sample';
    case 'aws-id':
      return 'write the real AWS account ID, region and partition there (e.g. arn:aws:iam::123456789012:role/name, 123456789012.dkr.ecr.us-east-1.amazonaws.com/name)';
  }
}
