// Specific decisions of the patch, one fixture each.
import { patchTaskDefinition, type DescribedTaskDefinition } from '../../src/taskdef';
import {
  asDescribed,
  container,
  IMAGE,
  loadFixture,
  options,
  SECRET,
  withAtlasWaitingForEnvoy,
} from './helpers';

describe('replacing an existing migration container (existing-atlas.json)', () => {
  const described = loadFixture('existing-atlas.json');
  const result = patchTaskDefinition(described, options({ databaseUrlSecret: SECRET }));
  const atlas = container(result, 'atlas');

  it('stays in place and keeps what its owner set', () => {
    expect(result.containerDefinitions.map((c) => c.name)).toEqual(['app', 'atlas']);
    expect(atlas).toMatchObject({ cpu: 128, memory: 256, entryPoint: ['/atlas'] });
    expect(atlas.logConfiguration).toEqual(
      container(described.taskDefinition, 'atlas').logConfiguration,
    );
    expect(atlas).not.toHaveProperty('memoryReservation');
  });

  it('drops workingDirectory, which would hide the project file the image holds', () => {
    expect(atlas).not.toHaveProperty('workingDirectory');
  });

  it('replaces the DATABASE_URL secret in place and keeps the other secrets', () => {
    expect(atlas.secrets).toEqual([
      {
        name: 'ATLAS_TOKEN',
        valueFrom: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:atlas-cloud-token-QwErTy',
      },
      { name: 'DATABASE_URL', valueFrom: SECRET },
    ]);
  });

  it('removes a plain DATABASE_URL environment variable', () => {
    expect(atlas.environment).toEqual([{ name: 'ATLAS_NO_UPDATE_NOTIFIER', value: '1' }]);
  });

  it('turns the app dependency on it into SUCCESS, in place', () => {
    expect(container(result, 'app').dependsOn).toEqual([
      { containerName: 'atlas', condition: 'SUCCESS' },
    ]);
  });

  it('keeps a plain DATABASE_URL when no secret is given (the user chose it)', () => {
    const without = patchTaskDefinition(described, options());
    expect(container(without, 'atlas').environment).toContainEqual({
      name: 'DATABASE_URL',
      value: 'postgres://app:hunter2@db.internal:5432/app',
    });
  });

  it('collapses duplicate DATABASE_URL secrets and duplicate dependencies on it', () => {
    const td = structuredClone(described);
    const old = container(td.taskDefinition, 'atlas');
    old.secrets!.push({ name: 'DATABASE_URL', valueFrom: 'arn:aws:ssm:us-east-2:1:parameter/x' });
    container(td.taskDefinition, 'app').dependsOn!.push(
      { containerName: 'atlas', condition: 'START' },
      { containerName: 'atlas', condition: 'SUCCESS' },
    );
    const patched = patchTaskDefinition(td, options({ databaseUrlSecret: SECRET }));
    expect(container(patched, 'atlas').secrets!.filter((s) => s.name === 'DATABASE_URL')).toEqual([
      { name: 'DATABASE_URL', valueFrom: SECRET },
    ]);
    expect(container(patched, 'app').dependsOn).toEqual([
      { containerName: 'atlas', condition: 'SUCCESS' },
    ]);
  });

  it('borrows a log configuration and adds a memory reservation only where it has none', () => {
    const td = structuredClone(described);
    const old = container(td.taskDefinition, 'atlas');
    delete old.logConfiguration;
    delete old.memory;
    delete td.taskDefinition.memory;
    const patched = container(patchTaskDefinition(td, options()), 'atlas');
    expect(patched.logConfiguration).toEqual(
      container(described.taskDefinition, 'app').logConfiguration,
    );
    expect(patched.memoryReservation).toBe(128);
  });
});

describe('log configuration of a new migration container', () => {
  it('comes from the first app container with an awslogs stream prefix', () => {
    const result = patchTaskDefinition(
      loadFixture('fargate-sidecars.json'),
      options({ appContainers: ['envoy'] }),
    );
    expect(container(result, 'atlas').logConfiguration?.options?.['awslogs-stream-prefix']).toBe(
      'envoy',
    );
  });

  it('falls back to any container with one when the apps log elsewhere (FireLens)', () => {
    const described = loadFixture('firelens.json');
    const result = patchTaskDefinition(described, options({ appContainers: ['billing'] }));
    expect(container(result, 'atlas').logConfiguration).toEqual(
      container(described.taskDefinition, 'log_router').logConfiguration,
    );
    expect(container(result, 'log_router')).not.toHaveProperty('dependsOn');
  });

  it('is left out when no awslogs configuration has a stream prefix', () => {
    const result = patchTaskDefinition(loadFixture('ec2-bridge.json'), options());
    expect(container(result, 'atlas')).not.toHaveProperty('logConfiguration');
  });

  it('is a copy, not shared with the container it came from', () => {
    const result = patchTaskDefinition(loadFixture('fargate-single-app.json'), options());
    container(result, 'atlas').logConfiguration!.options!['awslogs-group'] = 'changed';
    expect(container(result, 'web').logConfiguration!.options!['awslogs-group']).toBe(
      '/ecs/shop-api',
    );
  });
});

describe('app containers', () => {
  it('counts a container without "essential" as essential (arm64-graviton.json)', () => {
    const result = patchTaskDefinition(loadFixture('arm64-graviton.json'), options());
    expect(container(result, 'worker').dependsOn).toEqual([
      { containerName: 'atlas', condition: 'SUCCESS' },
    ]);
    expect(container(result, 'worker')).not.toHaveProperty('essential');
  });

  it('leaves non-essential containers alone by default (init-and-log-router.json)', () => {
    const result = patchTaskDefinition(loadFixture('init-and-log-router.json'), options());
    expect(container(result, 'fetch-config')).not.toHaveProperty('dependsOn');
    expect(container(result, 'catalog').dependsOn).toEqual([
      { containerName: 'log-router', condition: 'START' },
      { containerName: 'fetch-config', condition: 'COMPLETE' },
      { containerName: 'atlas', condition: 'SUCCESS' },
    ]);
  });

  it('can be named explicitly, including a non-essential one', () => {
    const result = patchTaskDefinition(
      loadFixture('init-and-log-router.json'),
      options({ appContainers: ['fetch-config', 'catalog', 'catalog'] }),
    );
    expect(container(result, 'fetch-config').dependsOn).toEqual([
      { containerName: 'atlas', condition: 'SUCCESS' },
    ]);
    expect(container(result, 'log-router')).not.toHaveProperty('dependsOn');
    expect(
      container(result, 'catalog').dependsOn!.filter((d) => d.containerName === 'atlas'),
    ).toHaveLength(1);
  });

  it('leaves out, by default, the containers the migration container itself waits for', () => {
    const described = withAtlasWaitingForEnvoy();
    const result = patchTaskDefinition(described, options());
    expect(container(result, 'envoy')).not.toHaveProperty('dependsOn');
    expect(container(result, 'atlas').dependsOn).toEqual([
      { containerName: 'envoy', condition: 'HEALTHY' },
    ]);
    for (const name of ['orders', 'datadog-agent']) {
      expect(container(result, name).dependsOn).toContainEqual({
        containerName: 'atlas',
        condition: 'SUCCESS',
      });
    }
  });

  it('leaves out, by default, the FireLens router the migration container logs through', () => {
    const described = loadFixture('firelens.json');
    described.taskDefinition.containerDefinitions.unshift({
      name: 'atlas',
      image: 'old',
      essential: false,
      logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
    });
    const result = patchTaskDefinition(described, options());
    expect(container(result, 'log_router')).not.toHaveProperty('dependsOn');
    expect(container(result, 'billing').dependsOn).toContainEqual({
      containerName: 'atlas',
      condition: 'SUCCESS',
    });
  });

  it('keeps another container’s START dependency on the migration container', () => {
    const described = loadFixture('init-and-log-router.json');
    container(described.taskDefinition, 'fetch-config').dependsOn = [
      { containerName: 'atlas', condition: 'START' },
    ];
    const result = patchTaskDefinition(described, options());
    expect(container(result, 'fetch-config').dependsOn).toEqual([
      { containerName: 'atlas', condition: 'START' },
    ]);
  });
});

describe('images', () => {
  it('sets the image of the named containers and nothing else', () => {
    const described = loadFixture('fargate-sidecars.json');
    const result = patchTaskDefinition(
      described,
      options({
        images: [
          { container: 'orders', image: 'repo/orders@sha256:' + '1'.repeat(64) },
          { container: 'orders', image: 'repo/orders@sha256:' + '1'.repeat(64) },
          { container: 'datadog-agent', image: 'public.ecr.aws/datadog/agent:7.53.0' },
        ],
      }),
    );
    expect(container(result, 'orders').image).toBe('repo/orders@sha256:' + '1'.repeat(64));
    expect(container(result, 'datadog-agent').image).toBe('public.ecr.aws/datadog/agent:7.53.0');
    expect(container(result, 'envoy').image).toBe(
      container(described.taskDefinition, 'envoy').image,
    );
    expect(container(result, 'atlas').image).toBe(IMAGE);
  });
});

describe('other inputs', () => {
  it('uses the given container name', () => {
    const result = patchTaskDefinition(
      loadFixture('fargate-single-app.json'),
      options({ containerName: 'db-migrate' }),
    );
    expect(result.containerDefinitions[0]!.name).toBe('db-migrate');
    expect(container(result, 'web').dependsOn).toEqual([
      { containerName: 'db-migrate', condition: 'SUCCESS' },
    ]);
  });

  it('omits tags when the described task definition has an empty list', () => {
    const described = loadFixture('tagged-describe-output.json');
    const result = patchTaskDefinition({ ...described, tags: [] }, options());
    expect(result).not.toHaveProperty('tags');
  });

  it('keeps empty strings and unknown fields (fargate-single-app, tagged-describe-output)', () => {
    const single = patchTaskDefinition(loadFixture('fargate-single-app.json'), options());
    expect(container(single, 'web').environment).toContainEqual({
      name: 'FEATURE_FLAGS',
      value: '',
    });
    const tagged = patchTaskDefinition(loadFixture('tagged-describe-output.json'), options());
    expect(tagged.futureTaskSetting).toEqual({ mode: 'PREVIEW', levels: [1, 2, 3] });
    expect(container(tagged, 'payments').futureContainerSetting).toEqual({
      snapshotOnExit: 'DISABLED',
      retainDays: 0,
    });
    expect(tagged.tags).toContainEqual({ key: 'pci', value: '' });
  });

  it('keeps ARM64, ephemeral storage and fault injection settings', () => {
    const result = patchTaskDefinition(loadFixture('arm64-graviton.json'), options());
    expect(result).toMatchObject({
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      ephemeralStorage: { sizeInGiB: 50 },
      enableFaultInjection: true,
      pidMode: 'task',
    });
  });

  it('accepts a task definition straight from the SDK (dates, undefined fields)', () => {
    const described = loadFixture('fargate-single-app.json');
    const sdkLike = {
      ...described.taskDefinition,
      registeredAt: new Date('2025-03-11T09:42:17Z'),
      ipcMode: undefined,
    } as unknown as DescribedTaskDefinition['taskDefinition'];
    const result = patchTaskDefinition({ taskDefinition: sdkLike, tags: undefined }, options());
    expect(result).not.toHaveProperty('registeredAt');
    expect(result).not.toHaveProperty('ipcMode');
  });

  it('is idempotent with every option in play', () => {
    const opts = options({
      databaseUrlSecret: SECRET,
      appContainers: ['orders', 'envoy'],
      images: [{ container: 'datadog-agent', image: 'public.ecr.aws/datadog/agent:7.53.0' }],
    });
    const first = patchTaskDefinition(loadFixture('fargate-sidecars.json'), opts);
    expect(patchTaskDefinition(asDescribed(first), opts)).toEqual(first);
  });
});
