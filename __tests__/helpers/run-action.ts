// Runs the bundled action (dist/index.js) the way the GitHub runner does: inputs as INPUT_<NAME>
// variables (upper-cased, dashes kept), outputs through the GITHUB_OUTPUT file, the job summary
// through GITHUB_STEP_SUMMARY, and a fresh process with a minimal environment.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const DIST = path.resolve(__dirname, '..', '..', 'dist', 'index.js');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Lines the runner turns into error annotations (`::error ...::message`). */
  errors: string[];
  warnings: string[];
}

/** Reads the heredoc blocks `name<<DELIM\nvalue\nDELIM` that @actions/core writes. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}

export async function runAction(
  inputs: Record<string, string>,
  options: { workspace: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ActionRun> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'atlas-ecs-run-'));
  const outputFile = path.join(scratch, 'output');
  const summaryFile = path.join(scratch, 'summary.md');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    // Inside the workspace so a test can read what the run wrote after the scratch folder is gone.
    RUNNER_TEMP: path.join(options.workspace, 'runner-temp'),
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;

  try {
    const child = spawn(process.execPath, [DIST], { cwd: options.workspace, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const lines = stdout.split('\n');
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      errors: lines.filter((l) => l.startsWith('::error')),
      warnings: lines.filter((l) => l.startsWith('::warning')),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
