// The start-order graph between containers: an edge a → b means a cannot start before b reaches
// its condition.
import type { ContainerDefinitionJson, TaskDefinitionJson } from './types';

export function findContainer(
  td: TaskDefinitionJson,
  name: string,
): ContainerDefinitionJson | undefined {
  return td.containerDefinitions.find((container) => container.name === name);
}

/** ECS treats a container without "essential" as essential. */
export function isEssential(container: ContainerDefinitionJson): boolean {
  return container.essential !== false;
}

/**
 * The containers `container` waits for. With `implicit`, a container logging through FireLens also
 * waits for the log router: the ECS agent adds that START dependency itself, but only while the log
 * router has no dependencies of its own, so making the router wait for such a container would leave
 * it logging into a router that has not started.
 */
export function dependenciesOf(
  td: TaskDefinitionJson,
  container: ContainerDefinitionJson,
  implicit: boolean,
): string[] {
  const names = (container.dependsOn ?? []).map((dependency) => dependency.containerName);
  if (implicit && container.logConfiguration?.logDriver === 'awsfirelens') {
    const router = td.containerDefinitions.find(
      (other) => other.firelensConfiguration !== undefined && other.name !== container.name,
    );
    if (router && !names.includes(router.name)) names.push(router.name);
  }
  return names;
}

/**
 * Every container `name` waits for, directly or through others, each with the chain that leads to
 * it (`[name, ..., dependency]`), in breadth-first order.
 */
export function dependencyChains(td: TaskDefinitionJson, name: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const queue: string[][] = [[name]];
  for (let chain = queue.shift(); chain; chain = queue.shift()) {
    const container = findContainer(td, chain[chain.length - 1]!);
    if (!container) continue;
    for (const dependency of dependenciesOf(td, container, true)) {
      if (dependency === name || chains.has(dependency)) continue;
      const next = [...chain, dependency];
      chains.set(dependency, next);
      queue.push(next);
    }
  }
  return chains;
}

/** One cycle of explicit dependencies, as `[a, b, ..., a]`, or undefined when there is none. */
export function findCycle(td: TaskDefinitionJson): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    const container = findContainer(td, name);
    if (!container) return undefined;
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of dependenciesOf(td, container, false)) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const container of td.containerDefinitions) {
    const cycle = visit(container.name);
    if (cycle) return cycle;
  }
  return undefined;
}
