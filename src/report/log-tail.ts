// The migration container's last log lines, folded under the cause and the fix. Atlas's JSON
// report is one line of many kilobytes that the summary already shows as a table: it is named
// here instead of printed, so no line of the tail needs scrolling sideways to be read. Pure.
import { parseAtlasReports } from '../atlas/report';
import { fence } from './render-summary';

export function logTailDetails(tail: readonly string[], title = 'Log tail'): string[] {
  const shown = tail.map((line) =>
    parseAtlasReports([line]).length > 0 ? "(Atlas's JSON report: shown above)" : line,
  );
  return [
    `<details><summary>${title}</summary>`,
    '',
    fence(shown.join('\n'), 'text'),
    '',
    '</details>',
    '',
  ];
}
