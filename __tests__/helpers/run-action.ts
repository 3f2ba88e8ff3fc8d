// Runs the bundled action (dist/index.js) the way the GitHub runner does: inputs as INPUT_<NAME>
// variables (upper-cased, dashes kept), outputs through the GITHUB_OUTPUT file, the job summary
// through GITHUB_STEP_SUMMARY, and a fresh process with a minimal environment.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** ACTION_BUNDLE: a bundle built elsewhere (`npm run package -- -o DIR`), so work in progress can be tested without touching dist/. */
export const DIST = path.resolve(
  process.env.ACTION_BUNDLE ?? path.join(__dirname, '..', '..', 'dist', 'index.js'),
);

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Lines the runner turns into error annotations (`::error ...::message`). */
  errors: string[];
  warnings: string[];
  /** The GITHUB_OUTPUT file exactly as the run wrote it. */
  outputFile: string;
  /** With `captureFiles`: every file the run wrote, read before anything is cleaned up. */
  files?: WrittenFile[];
}

/** A file a run wrote; gzip files (image layers) are decompressed, binary bytes kept as latin1. */
export interface WrittenFile {
  path: string;
  text: string;
}

export interface RunActionOptions {
  workspace: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Read every file the run wrote — under RUNNER_TEMP (rendered task definitions, the OCI layout)
   * and in the scratch home (anything but the output and summary files) — into `files`.
   */
  captureFiles?: boolean;
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
  options: RunActionOptions,
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
    const outputText = readFileSync(outputFile, 'utf8');
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(outputText),
      summary: readFileSync(summaryFile, 'utf8'),
      errors: lines.filter((l) => l.startsWith('::error')),
      warnings: lines.filter((l) => l.startsWith('::warning')),
      outputFile: outputText,
      ...(options.captureFiles
        ? {
            files: [
              ...readTree(env.RUNNER_TEMP!),
              ...readTree(scratch).filter((f) => f.path !== outputFile && f.path !== summaryFile),
            ],
          }
        : {}),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Every regular file under `dir` (none when it does not exist), gzip ones decompressed. */
export function readTree(dir: string): WrittenFile[] {
  if (!existsSync(dir)) return [];
  const files: WrittenFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    let bytes = readFileSync(file);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        // Not gzip after all: search the bytes as they are.
      }
    }
    files.push({ path: file, text: bytes.toString('latin1') });
  }
  return files;
}
