// A file of the user's repository that goes into the migration image.
export interface ProjectFile {
  /** Workspace-relative, POSIX separators, no leading './' (e.g. 'db/migrations/1_init.sql'). */
  readonly path: string;
  /** Where to read it on this machine. */
  readonly absolutePath: string;
  readonly size: number;
  /** Owner-executable on disk; the layer normalises modes to 0644 or 0755 from this alone. */
  readonly executable: boolean;
  /**
   * The bytes the checks read and verified, when they were kept for the image (small files, within
   * a small budget); otherwise the image reads the file again from `absolutePath`.
   */
  readonly content?: Buffer;
}
