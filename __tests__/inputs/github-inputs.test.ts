// Inputs github-token and environment: what the GitHub deployment record is made with; the token
// is masked as soon as it is read, before any validation error can print anything.
import { InputError, ValidationErrors } from '../../src/errors';
import { parseInputs, type RawInputs } from '../../src/inputs/parse';
import { readInputs } from '../../src/inputs/read';

const ctx = { workspace: '/repo', isFile: () => false };
const base: RawInputs = {
  service: 'api',
  'image-repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/api-migrations',
};

function errorsOf(raw: RawInputs): InputError[] {
  try {
    parseInputs({ ...base, ...raw }, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationErrors);
    return (error as ValidationErrors).errors as InputError[];
  }
  throw new Error('expected parseInputs to fail');
}

describe('parseInputs: github-token and environment', () => {
  it('takes both as given', () => {
    const settings = parseInputs(
      { ...base, 'github-token': 'ghs_abc', environment: 'production / eu-west-1' },
      ctx,
    );
    expect(settings.githubToken).toBe('ghs_abc');
    expect(settings.environment).toBe('production / eu-west-1');
  });

  it('leaves both unset when empty', () => {
    const settings = parseInputs({ ...base, 'github-token': '', environment: '' }, ctx);
    expect(settings.githubToken).toBeUndefined();
    expect(settings.environment).toBeUndefined();
  });

  it('takes an environment of 255 characters, refuses 256 with the limit', () => {
    expect(parseInputs({ ...base, environment: 'e'.repeat(255) }, ctx).environment).toHaveLength(
      255,
    );
    const [error] = errorsOf({ environment: 'e'.repeat(256) });
    expect(error!.input).toBe('environment');
    expect(error!.message).toContain('is 256 characters long; GitHub allows 255');
  });

  it('refuses an environment over two lines', () => {
    const [error] = errorsOf({ environment: 'staging\nproduction' });
    expect(error!.input).toBe('environment');
    expect(error!.message).toContain('"staging\\nproduction" holds a line break');
    expect(error!.fix).toContain('one GitHub environment name');
  });
});

describe('readInputs', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  it('masks the GitHub token before a validation error can print anything', () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    process.env['INPUT_GITHUB-TOKEN'] = 'ghs_readinputsmask0123456789';
    process.env['INPUT_MODE'] = 'not-a-mode';
    expect(() => readInputs({ GITHUB_WORKSPACE: '/repo' })).toThrow(ValidationErrors);
    expect(written.join('')).toContain('::add-mask::ghs_readinputsmask0123456789');
  });
});
