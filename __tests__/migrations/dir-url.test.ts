import { parseDirUrl } from '../../src/migrations/dir-url';

describe('parseDirUrl', () => {
  it.each([
    ['file://migrations', 'migrations'],
    ['file://db/migrations', 'db/migrations'],
    ['file://db/migrations/', 'db/migrations'],
    ['file://./migrations', 'migrations'],
    ['file://../shared/migrations', '../shared/migrations'],
    ['file://', 'migrations'], // Atlas's default for an empty path
    ['file:migrations', 'migrations'], // opaque in Go: no host, no path, so the default
    ['file://.', '.'],
    ['file:///srv/migrations', '/srv/migrations'],
    ['file://db/my%20migrations', 'db/my migrations'],
    ['FILE://migrations', 'migrations'],
    ['file://migrations#fragment', 'migrations'],
  ])('%s reads %s', (url, path) => {
    expect(parseDirUrl(url)).toEqual({ kind: 'file', path });
  });

  it('takes the format from the query', () => {
    expect(parseDirUrl('file://db/migrations?format=golang-migrate')).toEqual({
      kind: 'file',
      path: 'db/migrations',
      format: 'golang-migrate',
    });
    expect(parseDirUrl('file://migrations?format=')).toEqual({ kind: 'file', path: 'migrations' });
  });

  it('recognises Atlas Cloud directories', () => {
    expect(parseDirUrl('atlas://app?tag=latest')).toEqual({ kind: 'cloud' });
  });

  it.each([
    ['migrations', 'it has no scheme (Atlas: did you mean "file://migrations"?)'],
    ['mem://x', 'mem:// is an in-memory directory, empty in a new task'],
    ['s3://bucket/migrations', 'Atlas has no "s3" directory driver'],
    ['file://my dir', '"my dir" is not a valid URL host (Go\'s URL parser rejects it)'],
    ['file://db/%zz', 'its path "/%zz" has an invalid % escape'],
  ])('rejects %s', (url, reason) => {
    expect(parseDirUrl(url)).toEqual({ kind: 'invalid', reason });
  });
});
