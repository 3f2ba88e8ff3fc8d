// ECS's own character rules for the names a task definition gives, quoted from the ECS API
// reference (RegisterTaskDefinition `family`, ContainerDefinition `name` and `image`), so a file
// ECS would refuse is refused before anything is built, with the rule that refuses it.

export interface NameRule {
  /** What the rule is about, for messages: `family`, `container name`, `image`. */
  readonly subject: string;
  /** The ECS API reference's wording. */
  readonly rule: string;
  /** Where the reference says it. */
  readonly reference: string;
  /** Why `value` breaks the rule, or undefined when it does not. */
  check(value: string): string | undefined;
}

const MAX_LENGTH = 255;
const NAME_CHARACTERS = /^[A-Za-z0-9_-]+$/;
/** Everything the image rule allows before an `@`. */
const IMAGE_CHARACTERS = /^[A-Za-z0-9_\-:./#]+$/;
const IMAGE_DIGEST = /^sha256:[A-Fa-f0-9]{64}$/;

/** The family rule as a pattern, for names the action makes itself (`<family>-migrate`). */
export const FAMILY_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_LENGTH}}$`);

/** Empty values are not judged here: the shape checks refuse a missing name or image. */
function lengthAndCharacters(value: string, allowed: RegExp): string | undefined {
  if (value.length > MAX_LENGTH) {
    return `it is ${value.length} characters long, more than the ${MAX_LENGTH} ECS allows`;
  }
  if (value !== '' && !allowed.test(value)) {
    const bad = [...new Set([...value].filter((ch) => !allowed.test(ch)))].map((ch) =>
      JSON.stringify(ch),
    );
    const listed =
      bad.length === 1 ? bad[0] : `${bad.slice(0, -1).join(', ')} and ${bad[bad.length - 1]}`;
    return `${listed} ${bad.length === 1 ? 'is' : 'are'} not allowed`;
  }
  return undefined;
}

export const FAMILY_RULE: NameRule = {
  subject: 'family',
  reference: 'the ECS API reference, RegisterTaskDefinition `family`',
  rule: 'up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed',
  check: (value) => lengthAndCharacters(value, NAME_CHARACTERS),
};

export const CONTAINER_NAME_RULE: NameRule = {
  subject: 'container name',
  reference: 'the ECS API reference, ContainerDefinition `name`',
  rule: 'up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed',
  check: (value) => lengthAndCharacters(value, NAME_CHARACTERS),
};

/**
 * The reference's rule lists no `@`, yet it documents `repository-url/image@digest` in the same
 * paragraph: before the `@` the 255 characters and the character set apply, after it only a
 * sha256 digest ("exactly 64 characters (only letters A-F, a-f, and numbers 0-9 are allowed)").
 */
export const IMAGE_RULE: NameRule = {
  subject: 'image',
  reference: 'the ECS API reference, ContainerDefinition `image`',
  rule: 'up to 255 letters (uppercase and lowercase), numbers, hyphens, underscores, colons, periods, forward slashes, and number signs are allowed; with a digest (repository-url/image@digest) the limit applies before the @ and the digest is sha256: followed by exactly 64 hexadecimal characters',
  check(value) {
    const at = value.indexOf('@');
    const name = at === -1 ? value : value.slice(0, at);
    const problem = lengthAndCharacters(name, IMAGE_CHARACTERS);
    if (problem) return problem;
    if (at !== -1 && !IMAGE_DIGEST.test(value.slice(at + 1))) {
      return `its digest ${JSON.stringify(value.slice(at + 1))} is not sha256: followed by 64 hexadecimal characters`;
    }
    return undefined;
  },
};
