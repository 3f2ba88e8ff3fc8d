// A command line as the summary shows it: each argument as a POSIX shell would need it (the
// container itself gets the argument list as is, with no shell and no quotes), in inline code
// that survives backticks. Pure.

export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function codeSpan(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A table cell's text: a pipe, even in inline code, would end the cell. */
export function tableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** `atlas <args>` in inline code. */
export function atlasCommandLine(args: readonly string[]): string {
  return codeSpan(`atlas ${args.map(shellWord).join(' ')}`);
}
