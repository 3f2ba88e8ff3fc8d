// The secret audit's scanner: known secret values are planted in a run (random per run, inside
// recognisable shapes), and everything the run left behind is searched for each of them in every
// form a leak could take — the raw value, its parts (a URL's password), base64 at any byte
// offset (a value inside a Basic header or a Docker `auth` field), base64url and URL encoding.
import { randomBytes } from 'node:crypto';
import type { ActionRun } from './run-action';

/** A planted value and the parts of it that are secret by themselves. */
export interface PlantedSecret {
  /** What it is, e.g. `Secrets Manager value`. */
  readonly name: string;
  readonly value: string;
  /** Secret parts, e.g. `{password: '…'}` of a database URL. */
  readonly parts?: Readonly<Record<string, string>>;
}

/** One string to search for: a form of a planted secret or of one of its parts. */
export interface Needle {
  readonly secret: string;
  /** `whole`, or the name of the part (`password`). */
  readonly part: string;
  /** `raw`, `url-encoded`, `JSON-escaped`, `base64@<offset>` or `base64url@<offset>`. */
  readonly form: string;
  readonly text: string;
}

export interface Hit {
  readonly source: string;
  readonly secret: string;
  readonly part: string;
  readonly form: string;
  /** A few characters either side, with the secret itself replaced by `<SECRET>`. */
  readonly context: string;
}

/** Needles shorter than this could match by chance; every planted value is far longer. */
const MIN_NEEDLE_LENGTH = 12;

/** A random lowercase hex string of `bytes` bytes: unique per run, never in any fixture. */
export function randomSecret(bytes = 12): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * The base64 characters that encode `value` whatever its byte offset in a longer encoded text:
 * for offsets 0, 1 and 2 (mod 3), the encoding without the edge groups that mix in other bytes.
 */
export function base64AtAnyOffset(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Drop the group holding the padding bytes before, and the last group (partial or padded).
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    forms.push(encoded.slice(start, end));
  }
  return forms;
}

/** Every form of a planted secret worth searching for, without duplicates or short ones. */
export function needlesOf(secret: PlantedSecret): Needle[] {
  const needles = new Map<string, Needle>();
  const add = (part: string, form: string, text: string) => {
    if (text.length >= MIN_NEEDLE_LENGTH && !needles.has(text)) {
      needles.set(text, { secret: secret.name, part, form, text });
    }
  };
  const values: [string, string][] = [
    ['whole', secret.value],
    ...Object.entries(secret.parts ?? {}),
  ];
  for (const [part, value] of values) {
    add(part, 'raw', value);
    add(part, 'url-encoded', encodeURIComponent(value));
    add(part, 'JSON-escaped', JSON.stringify(value).slice(1, -1));
    base64AtAnyOffset(value).forEach((text, offset) => {
      add(part, `base64@${offset}`, text);
      add(part, `base64url@${offset}`, text.replace(/\+/g, '-').replace(/\//g, '_'));
    });
  }
  return [...needles.values()];
}

/** Searches each named text for each needle; every occurrence is a hit. */
export function scanForSecrets(
  sources: Readonly<Record<string, string>>,
  needles: readonly Needle[],
): Hit[] {
  const hits: Hit[] = [];
  for (const [source, text] of Object.entries(sources)) {
    for (const needle of needles) {
      let at = text.indexOf(needle.text);
      while (at >= 0) {
        const context =
          text.slice(Math.max(0, at - 30), at) +
          '<SECRET>' +
          text.slice(at + needle.text.length, at + needle.text.length + 30);
        hits.push({ source, secret: needle.secret, part: needle.part, form: needle.form, context });
        at = text.indexOf(needle.text, at + 1);
      }
    }
  }
  return hits;
}

const MASK_COMMAND = '::add-mask::';

/** The values the run told the runner to mask (`::add-mask::<value>` lines on stdout). */
export function maskedValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(MASK_COMMAND))
    .map((line) => line.slice(MASK_COMMAND.length).replace(/\r$/, ''));
}

/**
 * The log as the runner shows it: workflow commands (`::error file=…::message`) escape `%`, CR,
 * LF (and `:` `,` in properties) as %25 %0D %0A %3A %2C, and the runner undoes that, so a secret
 * with a `%` in it (any URL-encoded one) is only found in the unescaped text.
 */
export function runnerView(stdout: string): string {
  return stdout
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** The source name of the unescaped log; its bytes are the log's, so they are not counted twice. */
export const RUNNER_VIEW = 'stdout as the runner shows it';

/**
 * Everything a run leaves where people or later steps can read it: the log (stdout without the
 * `::add-mask::` commands, which the runner consumes and never shows) as written and as the runner
 * shows it, stderr, the job summary, the output file as written, and each file the run wrote
 * (when runAction was asked to capture them).
 */
export function leakableText(run: ActionRun): Record<string, string> {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith(MASK_COMMAND))
    .join('\n');
  const sources: Record<string, string> = {
    stdout,
    [RUNNER_VIEW]: runnerView(stdout),
    stderr: run.stderr,
    summary: run.summary,
    outputs: run.outputFile,
  };
  for (const file of run.files ?? []) sources[`file ${file.path}`] = file.text;
  return sources;
}

/** Bytes searched per kind of source, for the audit's table. */
export function bytesBySource(sources: Readonly<Record<string, string>>): {
  stdout: number;
  stderr: number;
  summary: number;
  outputs: number;
  files: number;
} {
  const bytes = { stdout: 0, stderr: 0, summary: 0, outputs: 0, files: 0 };
  for (const [source, text] of Object.entries(sources)) {
    const size = Buffer.byteLength(text, 'latin1');
    if (source.startsWith('file ')) bytes.files += size;
    else if (source in bytes) bytes[source as keyof typeof bytes] += size;
  }
  return bytes;
}
