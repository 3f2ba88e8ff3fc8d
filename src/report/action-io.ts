// The runner-facing side effects (log, annotations, outputs, summary, masking) behind one interface,
// so run() can be tested with a plain object and only this file knows @actions/core.
import * as core from '@actions/core';
import type { FileLocation } from '../errors';

export interface ActionIO {
  info(message: string): void;
  warning(message: string, location?: FileLocation): void;
  error(message: string, location?: FileLocation): void;
  setOutput(name: string, value: string): void;
  /** Masks a value in every later log line. */
  setSecret(value: string): void;
  appendSummary(markdown: string): Promise<void>;
  group<T>(title: string, body: () => Promise<T>): Promise<T>;
}

function annotation(location: FileLocation | undefined): core.AnnotationProperties | undefined {
  if (!location) return undefined;
  return {
    file: location.file,
    ...(location.line !== undefined ? { startLine: location.line } : {}),
    ...(location.column !== undefined ? { startColumn: location.column } : {}),
  };
}

export function createActionIO(): ActionIO {
  return {
    info: (message) => core.info(message),
    warning: (message, location) => core.warning(message, annotation(location)),
    error: (message, location) => core.error(message, annotation(location)),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    appendSummary: async (markdown) => {
      // The summary file only exists on a runner (or when a test sets it); without it, skip quietly.
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    group: (title, body) => core.group(title, body),
  };
}
