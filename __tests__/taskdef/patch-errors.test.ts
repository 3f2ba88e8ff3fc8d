// Every way a patch can be impossible: each error names the problem and the fix.
import { FileProblem, InputError, ValidationErrors } from '../../src/errors';
import { patchTaskDefinition, type PatchOptions } from '../../src/taskdef';
import {
  container,
  loadFixture,
  options,
  SECRET,
  thrown,
  withAtlasWaitingForEnvoy,
} from './helpers';

function patchError(
  described: ReturnType<typeof loadFixture>,
  overrides: Partial<PatchOptions> = {},
): Error {
  return thrown(() => patchTaskDefinition(described, options(overrides)));
}

describe('app-containers input', () => {
  it('rejects a container the task definition does not have, listing the ones it has', () => {
    const error = patchError(loadFixture('fargate-sidecars.json'), {
      appContainers: ['orders', 'api'],
    });
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('app-containers');
    expect(error.message).toContain('"api", which is not in task definition orders:112');
    expect(error.message).toContain('"orders", "datadog-agent" and "envoy"');
    expect(error.message).toContain('Fix: use the container names');
  });

  it('rejects the migration container itself', () => {
    const error = patchError(loadFixture('fargate-single-app.json'), {
      appContainers: ['web', 'atlas'],
    });
    expect(error.message).toMatch(
      /^Input 'app-containers': names "atlas", the migration container/,
    );
    expect(error.message).toContain('Fix: remove "atlas" from app-containers');
  });

  it('rejects an empty list', () => {
    const error = patchError(loadFixture('fargate-single-app.json'), { appContainers: [] });
    expect(error.message).toContain("Input 'app-containers': is empty");
    expect(error.message).toContain('leave the input unset');
  });

  it('rejects a container the migration container waits for (a cycle)', () => {
    const error = patchError(withAtlasWaitingForEnvoy(), { appContainers: ['orders', 'envoy'] });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      'names "envoy", but the migration container "atlas" waits for it (atlas → envoy)',
    );
    expect(error.message).toContain('Fix: remove "envoy" from app-containers');
  });

  it('rejects a FireLens router the migration container logs through', () => {
    const described = loadFixture('firelens.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'old',
      essential: false,
      logConfiguration: { logDriver: 'awsfirelens' },
    });
    const error = patchError(described, { appContainers: ['log_router', 'billing'] });
    expect(error.message).toContain('(atlas → log_router)');
  });

  it('fails by default when the migration container waits for every essential container', () => {
    const described = loadFixture('fargate-single-app.json');
    described.taskDefinition.containerDefinitions.push({
      name: 'atlas',
      image: 'old',
      essential: false,
      dependsOn: [{ containerName: 'web', condition: 'START' }],
    });
    const error = patchError(described);
    expect(error).toBeInstanceOf(FileProblem);
    expect(error.message).toContain(
      'the migration container "atlas" itself waits for every essential container ("web")',
    );
    expect(error.message).toContain('Fix: remove from container "atlas" the dependencies');
  });
});

describe('images input', () => {
  it('rejects an unknown container, listing the ones there are', () => {
    const error = patchError(loadFixture('firelens.json'), {
      images: [{ container: 'biling', image: 'x:1' }],
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'Input \'images\': names container "biling", which is not in task definition billing:7 (its containers: "log_router" and "billing"). Fix: use the container names of the task definition',
    );
  });

  it('rejects the migration container', () => {
    const error = patchError(loadFixture('existing-atlas.json'), {
      images: [{ container: 'atlas', image: 'arigaio/atlas:latest' }],
    });
    expect(error.message).toContain('sets the image of "atlas", the migration container');
    expect(error.message).toContain('Fix: remove the "atlas=..." line from images');
  });

  it('rejects two different images for one container', () => {
    const error = patchError(loadFixture('fargate-single-app.json'), {
      images: [
        { container: 'web', image: 'a:1' },
        { container: 'web', image: 'a:2' },
      ],
    });
    expect(error.message).toContain('sets two images for container "web" (a:1 and a:2)');
    expect(error.message).toContain('Fix: keep one "web=..." line');
  });
});

describe('the task definition', () => {
  it('refuses to turn an essential container into the migration container', () => {
    const error = patchError(loadFixture('fargate-sidecars.json'), {
      containerName: 'datadog-agent',
    });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      'Input \'container-name\': is "datadog-agent", an essential container',
    );
    expect(error.message).toContain('choose a name no container uses');
  });

  it('fails when no essential container would remain', () => {
    const described = loadFixture('init-and-log-router.json');
    for (const c of described.taskDefinition.containerDefinitions) c.essential = false;
    const error = patchError(described);
    expect(error).toBeInstanceOf(FileProblem);
    expect(error.message).toContain('has no essential container besides the migration container');
    expect(error.message).toContain('Fix: mark your app container "essential": true');
  });

  it('rejects Windows task definitions', () => {
    const described = loadFixture('fargate-single-app.json');
    described.taskDefinition.runtimePlatform = {
      cpuArchitecture: 'X86_64',
      operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE',
    };
    const error = patchError(described);
    expect(error.message).toContain('runs WINDOWS_SERVER_2022_CORE containers');
    expect(error.message).toContain('the Atlas image is Linux only');
  });

  it('rejects a shell entryPoint on an existing migration container', () => {
    const described = loadFixture('existing-atlas.json');
    container(described.taskDefinition, 'atlas').entryPoint = ['sh', '-c'];
    const error = patchError(described);
    expect(error.message).toContain('has "entryPoint": ["sh","-c"]');
    expect(error.message).toContain('Fix: remove "entryPoint" from container "atlas"');
  });

  it('needs an execution role for the DATABASE_URL secret, naming the file', () => {
    const error = patchError(loadFixture('ec2-bridge.json'), {
      databaseUrlSecret: SECRET,
      source: 'deploy/portal-taskdef.json',
    });
    expect(error).toBeInstanceOf(FileProblem);
    expect((error as FileProblem).location.file).toBe('deploy/portal-taskdef.json');
    expect(error.message).toContain('container "atlas" reads "secrets"');
    expect(error.message).toContain('has no "executionRoleArn"');
    expect(error.message).toContain('Fix: set "executionRoleArn"');
  });

  it('rejects a HEALTHY dependency on the migration container', () => {
    const described = loadFixture('init-and-log-router.json');
    container(described.taskDefinition, 'fetch-config').dependsOn = [
      { containerName: 'atlas', condition: 'HEALTHY' },
    ];
    const error = patchError(described);
    expect(error.message).toContain(
      'container "fetch-config" waits for the migration container "atlas" to be HEALTHY',
    );
    expect(error.message).toContain('Fix: change that condition to SUCCESS');
    expect(
      patchTaskDefinition(described, options({ appContainers: ['fetch-config'] })),
    ).toBeTruthy();
  });

  it('reports a dependency cycle', () => {
    const described = loadFixture('fargate-sidecars.json');
    container(described.taskDefinition, 'envoy').dependsOn = [
      { containerName: 'orders', condition: 'START' },
    ];
    const error = patchError(described, { appContainers: ['orders'] });
    expect(error.message).toContain('cycle (orders → envoy → orders)');
    expect(error.message).toContain('Fix: remove one of those "dependsOn" entries');
  });

  it('reports a dependency on a container that does not exist', () => {
    const described = loadFixture('fargate-single-app.json');
    container(described.taskDefinition, 'web').dependsOn = [
      { containerName: 'redis', condition: 'START' },
    ];
    const error = patchError(described);
    expect(error.message).toContain('container "web" depends on "redis", which is not in');
  });

  it('reports COMPLETE or SUCCESS on an essential container', () => {
    const described = loadFixture('init-and-log-router.json');
    container(described.taskDefinition, 'fetch-config').essential = true;
    const error = patchError(described, { appContainers: ['catalog'] });
    expect(error.message).toContain(
      'waits for "fetch-config" to COMPLETE, but "fetch-config" is essential',
    );
    expect(error.message).toContain('Fix: set "essential": false on container "fetch-config"');
  });

  it('reports HEALTHY on a container without a health check', () => {
    const described = loadFixture('fargate-sidecars.json');
    delete container(described.taskDefinition, 'envoy').healthCheck;
    const error = patchError(described);
    expect(error.message).toContain(
      'waits for "envoy" to be HEALTHY, but "envoy" has no "healthCheck"',
    );
  });

  it('reports a container without an image', () => {
    const described = loadFixture('fargate-sidecars.json');
    delete container(described.taskDefinition, 'datadog-agent').image;
    const error = patchError(described);
    expect(error.message).toContain('container "datadog-agent" has no "image"');
    expect(error.message).toContain('give it one with the images input');
    expect(
      patchTaskDefinition(
        described,
        options({ images: [{ container: 'datadog-agent', image: 'datadog/agent:7' }] }),
      ),
    ).toBeTruthy();
  });

  it('checks the shape of a task definition that did not come from a file', () => {
    const described = loadFixture('fargate-single-app.json');
    (container(described.taskDefinition, 'web') as Record<string, unknown>).essential = 'yes';
    const error = patchError(described);
    expect(error).toBeInstanceOf(FileProblem);
    expect(error.message).toContain(
      'task definition shop-api:41: "containerDefinitions[0].essential" must be a boolean',
    );
  });

  it('reports all problems at once', () => {
    const error = patchError(loadFixture('fargate-single-app.json'), {
      appContainers: ['api'],
      images: [{ container: 'worker', image: 'w:1' }],
    });
    expect(error).toBeInstanceOf(ValidationErrors);
    expect((error as ValidationErrors).errors.map((e) => (e as InputError).input)).toEqual([
      'images',
      'app-containers',
    ]);
    expect(error.message).toMatch(/^2 problems:\n- Input 'images'/);
  });
});
