// Warns about passwords written into atlas.hcl: the file is copied into the migration image, so
// anyone who can pull the image could read them.
import type { ConfigWarning } from './env-migration';
import type { HclAttribute, HclBlock } from './hcl-outline';
import { readQuotedString } from './hcl-string';
import { redactUrlPassword } from './url-password';

/** One warning per attribute, anywhere in the file, whose literal text holds a URL password. */
export function passwordWarnings(root: HclBlock, file: string): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  visit(root, (attr) => {
    // Only the text before the first `${...}` is known; a password there is literal all the same.
    const template = readQuotedString(attr.expression);
    if (template === undefined) return;
    const redacted = redactUrlPassword(template.prefix);
    if (redacted === undefined) return;
    const shown = template.literal ? redacted : `${redacted}...`;
    warnings.push({
      location: { file, line: attr.line, column: attr.column },
      message:
        `${attr.name} = "${shown}" holds a password in plain text, and ${file} is copied into the ` +
        `migration image, so the password would ship inside it; use ${attr.name} = ` +
        `getenv("DATABASE_URL") and set input 'database-url-secret', which hands the URL to the ` +
        `task as the DATABASE_URL secret`,
    });
  });
  return warnings;
}

function visit(block: HclBlock, onAttribute: (attr: HclAttribute) => void): void {
  block.attributes.forEach(onAttribute);
  block.blocks.forEach((child) => visit(child, onAttribute));
}
