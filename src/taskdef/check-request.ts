// What makes a patch impossible before it starts: checked up front so every problem is reported at once.
import { FileProblem, InputError, type FileLocation } from '../errors';
import { findContainer, isEssential } from './dependencies';
import type { PatchOptions } from './patch-options';
import { quoteList } from './problems';
import type { ContainerDefinitionJson, TaskDefinitionJson } from './types';
import type { ContainerImageOverride } from '../inputs/settings';

export function checkRequest(
  td: TaskDefinitionJson,
  options: PatchOptions,
  at: FileLocation,
): Error[] {
  const errors: Error[] = [];
  const name = options.containerName;

  const notLinux = checkLinux(td, at);
  if (notLinux) errors.push(notLinux);

  const existing = findContainer(td, name);
  if (existing && isEssential(existing)) {
    errors.push(
      new InputError(
        'container-name',
        `is "${name}", an essential container of ${at.file}; the migration container must be non-essential because it exits once migrations are applied`,
        `choose a name no container uses (the default is "atlas"), or, if "${name}" really is your migration container, set "essential": false on it`,
      ),
    );
  } else if (!td.containerDefinitions.some((c) => c.name !== name && isEssential(c))) {
    errors.push(
      new FileProblem(
        at,
        `has no essential container besides the migration container "${name}"; ECS needs at least one, and the migration container exits`,
        'mark your app container "essential": true (or remove "essential": false from it)',
      ),
    );
  }

  const shell = checkEntryPoint(existing, name, options.command, at);
  if (shell) errors.push(shell);

  const names = td.containerDefinitions.map((c) => c.name);
  errors.push(...checkImages(options.images, name, names, at));
  return errors;
}

/** The Atlas image is Linux only. */
export function checkLinux(td: TaskDefinitionJson, at: FileLocation): FileProblem | undefined {
  const os = td.runtimePlatform?.operatingSystemFamily;
  if (os === undefined || os === 'LINUX') return undefined;
  return new FileProblem(
    at,
    `runs ${os} containers ("runtimePlatform.operatingSystemFamily"), but the Atlas image is Linux only`,
    'deploy migrations with a Linux task definition, or set the task-definition input to one',
  );
}

/** A migration container whose entryPoint is a shell (`… -c`) would run Atlas's arguments as a script. */
export function checkEntryPoint(
  existing: ContainerDefinitionJson | undefined,
  name: string,
  command: readonly string[],
  at: FileLocation,
): FileProblem | undefined {
  const shell = existing?.entryPoint;
  if (!shell || shell.length === 0 || shell[shell.length - 1] !== '-c') return undefined;
  return new FileProblem(
    at,
    `container "${name}" has "entryPoint": ${JSON.stringify(shell)}, which would run Atlas's arguments (${command.join(' ')}) as a shell script`,
    `remove "entryPoint" from container "${name}" so the image's own entrypoint (atlas) runs`,
  );
}

/**
 * The images input: not the migration container (the action builds its image), only containers of
 * the task definition (`names`, as messages list them), one image each.
 */
export function checkImages(
  images: readonly ContainerImageOverride[],
  name: string,
  names: readonly string[],
  at: FileLocation,
): InputError[] {
  const errors: InputError[] = [];
  const seen = new Map<string, string>();
  for (const { container, image } of images) {
    if (container === name) {
      errors.push(
        new InputError(
          'images',
          `sets the image of "${name}", the migration container, whose image the action builds`,
          `remove the "${name}=..." line from images`,
        ),
      );
    } else if (!names.includes(container)) {
      errors.push(
        new InputError(
          'images',
          `names container "${container}", which is not in ${at.file} (its containers: ${quoteList(names)})`,
          'use the container names of the task definition',
        ),
      );
    } else if (seen.has(container) && seen.get(container) !== image) {
      errors.push(
        new InputError(
          'images',
          `sets two images for container "${container}" (${seen.get(container)} and ${image})`,
          `keep one "${container}=..." line`,
        ),
      );
    }
    if (!seen.has(container)) seen.set(container, image);
  }
  return errors;
}
