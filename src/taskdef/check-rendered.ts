// A task-definition file must be rendered before it is deployed: no template or sample placeholder
// left in the values ECS resolves (family, container names, images, roles, secret references), and
// the names and images within ECS's own character rules. Checked as the file is read, so nothing is
// built, pushed or registered for a file ECS would refuse or a task could never start from. Values
// the action replaces itself (the migration container's image and secrets, the images input) are
// not judged: a placeholder there is how such files are meant to be written.
import { FileProblem } from '../errors';
import type { ContainerImageOverride } from '../inputs/settings';
import { parseImageReference } from '../registry/reference';
import { pathText, type JsonPath, type Locate } from './check-shape';
import { CONTAINER_NAME_RULE, FAMILY_RULE, IMAGE_RULE, type NameRule } from './ecs-names';
import { isObject } from './json';
import { ATLAS_TOKEN, DATABASE_URL } from './patch-options';
import {
  findArnPlaceholder,
  findImagePlaceholder,
  findPlaceholder,
  renderFix,
  type Placeholder,
} from './placeholders';
import type { JsonObject } from './types';

/** What the action sets in the task definition itself, whatever the file says there. */
export interface ActionSetValues {
  /** The migration container (input container-name): the action builds its image. */
  readonly containerName?: string;
  /** Input images: these containers' images are replaced. */
  readonly images?: readonly ContainerImageOverride[];
  /** Input database-url-secret is set: the migration container's DATABASE_URL is replaced. */
  readonly databaseUrlSecret?: boolean;
  /** Input atlas-token-secret is set: the migration container's ATLAS_TOKEN is replaced. */
  readonly atlasTokenSecret?: boolean;
}

/**
 * Every unrendered or invalid value, each at its own path, in the order the file reads. Reads only
 * strings where the ECS API has them; wrong types are checkTaskDefinitionShape's to report.
 */
export function checkRendered(
  td: JsonObject,
  locate: Locate,
  actionSets: ActionSetValues = {},
): Error[] {
  const errors: Error[] = [];
  const report = (path: JsonPath, problem: string, fix: string): void => {
    errors.push(new FileProblem(locate(path), `"${pathText(path)}" is ${problem}`, fix));
  };

  checkName(['family'], td.family, FAMILY_RULE, report);
  checkReference(['taskRoleArn'], td.taskRoleArn, report);
  checkReference(['executionRoleArn'], td.executionRoleArn, report);

  const overridden = new Set((actionSets.images ?? []).map((override) => override.container));
  forEachObject(td.containerDefinitions, (container, index) => {
    const base = ['containerDefinitions', index];
    const named = checkName([...base, 'name'], container.name, CONTAINER_NAME_RULE, report);
    const isMigration = container.name === actionSets.containerName;
    const imageReplaced = isMigration || (named && overridden.has(container.name as string));
    if (!imageReplaced) {
      // The images input can only name a container whose name is right.
      const withImagesInput = (fix: string): string =>
        named
          ? `set the image with the images input (\`images: ${container.name as string}=<registry>/<repository>:<tag>\`), which replaces it, or ${fix}`
          : fix;
      checkImage([...base, 'image'], container.image, withImagesInput, report);
    }

    const replacedSecrets = isMigration
      ? [
          ...(actionSets.databaseUrlSecret ? [DATABASE_URL] : []),
          ...(actionSets.atlasTokenSecret ? [ATLAS_TOKEN] : []),
        ]
      : [];
    forEachObject(container.secrets, (secret, at) => {
      if (replacedSecrets.includes(secret.name as string)) return;
      checkReference([...base, 'secrets', at, 'valueFrom'], secret.valueFrom, report);
    });
    if (isObject(container.logConfiguration)) {
      forEachObject(container.logConfiguration.secretOptions, (option, at) => {
        const path = [...base, 'logConfiguration', 'secretOptions', at, 'valueFrom'];
        checkReference(path, option.valueFrom, report);
      });
    }
    if (isObject(container.repositoryCredentials)) {
      const path = [...base, 'repositoryCredentials', 'credentialsParameter'];
      checkReference(path, container.repositoryCredentials.credentialsParameter, report);
    }
  });
  return errors.sort((a, b) => position(a)[0] - position(b)[0] || position(a)[1] - position(b)[1]);
}

type Report = (path: JsonPath, problem: string, fix: string) => void;

function reportPlaceholder(
  path: JsonPath,
  value: string,
  found: Placeholder,
  report: Report,
  fix: string = renderFix(found.form),
): void {
  report(path, `${JSON.stringify(value)}, ${found.description}`, fix);
}

/** A family or container name: no placeholder, and ECS's rule. True when it is a usable name. */
function checkName(path: JsonPath, value: unknown, rule: NameRule, report: Report): boolean {
  if (typeof value !== 'string') return false;
  const found = findPlaceholder(value);
  if (found) {
    reportPlaceholder(path, value, found, report);
    return false;
  }
  const broken = rule.check(value);
  if (broken) {
    report(
      path,
      `${JSON.stringify(value)}, which ECS refuses as a ${rule.subject}: ${broken}`,
      `follow ECS's rule for a ${rule.subject}: ${rule.rule} (${rule.reference})`,
    );
  }
  return broken === undefined;
}

/** A role or a secret's ARN (or name): no placeholder, and an account, region and partition that can be real. */
function checkReference(path: JsonPath, value: unknown, report: Report): void {
  if (typeof value !== 'string') return;
  const found = findArnPlaceholder(value);
  if (found) reportPlaceholder(path, value, found, report);
}

/** An image: no placeholder, ECS's rule, and a reference a registry can serve. */
function checkImage(
  path: JsonPath,
  image: unknown,
  withImagesInput: (fix: string) => string,
  report: Report,
): void {
  if (typeof image !== 'string' || image === '') return;
  const found = findImagePlaceholder(image);
  if (found) {
    reportPlaceholder(path, image, found, report, withImagesInput(renderFix(found.form)));
    return;
  }
  const broken = IMAGE_RULE.check(image);
  if (broken) {
    report(
      path,
      `${JSON.stringify(image)}, which ECS refuses as an image: ${broken}`,
      withImagesInput(`correct it: ${IMAGE_RULE.rule} (${IMAGE_RULE.reference})`),
    );
  } else if (!parseImageReference(image)) {
    report(
      path,
      `${JSON.stringify(image)}, which is not an image reference a registry can serve: a repository name is lower-case letters, digits and the separators ".", "_", "__" and "-" (the OCI distribution spec; Docker refuses the pull with "repository name must be lowercase"), a tag up to 128 letters, digits, "_", "." and "-"`,
      withImagesInput('correct it, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2`'),
    );
  }
}

function position(error: Error): [line: number, column: number] {
  const { line, column } = error instanceof FileProblem ? error.location : {};
  return [line ?? 0, column ?? 0];
}

function forEachObject(items: unknown, visit: (item: JsonObject, index: number) => void): void {
  if (!Array.isArray(items)) return;
  items.forEach((item, index) => {
    if (isObject(item)) visit(item, index);
  });
}
