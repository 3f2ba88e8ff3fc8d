// The bundle's undici stand-in: nothing of undici is evaluated until something uses it, and then
/* eslint-disable @typescript-eslint/no-require-imports -- the modules are loaded after jest.doMock, and fresh each test */
// it is the package itself.

describe('undici-on-first-use', () => {
  afterEach(() => jest.resetModules());

  it('loads undici on the first property read, once', () => {
    let loads = 0;
    jest.doMock('undici/index.js', () => {
      loads++;
      return { ProxyAgent: class ProxyAgent {}, Agent: class Agent {} };
    });
    const shim = require('../../src/bundle/undici-on-first-use') as Record<string, unknown>;
    expect(loads).toBe(0);
    expect(typeof shim.ProxyAgent).toBe('function');
    expect('Agent' in shim).toBe(true);
    expect(Object.keys(shim).sort()).toEqual(['Agent', 'ProxyAgent']);
    expect(loads).toBe(1);
  });

  it('gives the real package', () => {
    const shim = require('../../src/bundle/undici-on-first-use') as Record<string, unknown>;
    const undici = require('undici') as Record<string, unknown>;
    expect(shim.ProxyAgent).toBe(undici.ProxyAgent);
    expect({ ...shim }).toEqual({ ...undici });
  });
});
