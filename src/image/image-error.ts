// The image core's one error type. Like FileProblem it carries where, what and the fix, but its
// source is an image, a blob or a layer entry rather than a line in a workspace file.

/** A problem with an image, a layout or a layer entry: names the source, the problem and the fix. */
export class ImageError extends Error {
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${source}: ${problem}. Fix: ${fix}`);
    this.name = 'ImageError';
  }
}
