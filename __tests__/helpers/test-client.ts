// A registry client wired for tests: no real sleeps (delays are recorded), short timeouts, a
// Docker config directory of the test's own (never the developer's ~/.docker), and every
// masked value and log line kept for assertions.

import {
  createRegistryClient,
  type RegistryClient,
  type RegistryClientOptions,
} from '../../src/registry/client';

export interface TestClient {
  client: RegistryClient;
  logs: string[];
  masked: string[];
  sleeps: number[];
}

export function testClient(
  dockerConfigDir: string,
  overrides: Partial<RegistryClientOptions> = {},
): TestClient {
  const logs: string[] = [];
  const masked: string[] = [];
  const sleeps: number[] = [];
  const client = createRegistryClient({
    mask: (value) => masked.push(value),
    log: (message) => logs.push(message),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    timeoutMs: 5000,
    retry: { attempts: 4, maxElapsedMs: 60_000 },
    dockerConfig: {
      env: { DOCKER_CONFIG: dockerConfigDir, PATH: '' },
      homeDir: dockerConfigDir,
    },
    ...overrides,
  });
  return { client, logs, masked, sleeps };
}
