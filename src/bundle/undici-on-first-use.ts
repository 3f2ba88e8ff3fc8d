// The bundle's stand-in for `undici` (tsconfig.json `paths`, which ncc resolves through; tests and
// ts-node use the real package). @actions/http-client requires undici when it is loaded, which
// @actions/core does at start-up, though it only uses undici's ProxyAgent, to fetch through a
// proxy (an OIDC token, Octokit's requests): evaluating undici then costs ~25 ms of the ~150 ms
// before the run's first request (npm run bench, buildah comparison; CPU profile). This loads it
// on first use instead. `undici/index.js` is not the `undici` the path maps: it is the package.

type Module = Record<string | symbol, unknown>;

let loaded: Module | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = (): Module => (loaded ??= require('undici/index.js') as Module);

export = new Proxy({} as Module, {
  get: (_, name) => undici()[name],
  has: (_, name) => name in undici(),
  ownKeys: () => Reflect.ownKeys(undici()),
  getOwnPropertyDescriptor: (_, name) => {
    const descriptor = Object.getOwnPropertyDescriptor(undici(), name);
    return descriptor && { ...descriptor, configurable: true };
  },
});
