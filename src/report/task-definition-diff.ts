// A unified diff of the task definition before and after patching, for the summary and the log.
import { createTwoFilesPatch } from 'diff';

export function taskDefinitionDiff(family: string, before: string, after: string): string {
  const patch = createTwoFilesPatch(
    `${family} (current)`,
    `${family} (new revision)`,
    before,
    after,
    '',
    '',
    {
      context: 3,
    },
  );
  // A ===== separator and tab-separated empty headers only add noise to a summary.
  return patch.replace(/^=+\n/, '').replace(/^(---|\+\+\+) (.*)\t$/gm, '$1 $2');
}
