import { redactUrlPassword } from '../../src/migrations/url-password';

describe('redactUrlPassword', () => {
  it.each([
    [
      'postgres://user:secret@host:5432/db?sslmode=disable',
      'postgres://user:***@host:5432/db?sslmode=disable',
    ],
    ['mysql://root:pass@tcp(localhost:3306)/db', 'mysql://root:***@tcp(localhost:3306)/db'],
    ['postgres://u:p@ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pa/ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pa?ss@host/db', 'postgres://u:***@host/db'],
    ['mysql://u:p@ss/word@tcp(h:3306)/db', 'mysql://u:***@tcp(h:3306)/db'],
    ['postgres://u:1234@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pw@host/db?email=a@b.c', 'postgres://u:***@host/db?email=a@b.c'],
    ['postgres://host/db?user=u&password=secret&x=1', 'postgres://host/db?user=u&password=***&x=1'],
    [
      'sqlserver://sa:P4ss@host?database=x&password=again',
      'sqlserver://sa:***@host?database=x&password=***',
    ],
  ])('hides the password in %s', (url, redacted) => {
    const result = redactUrlPassword(url);
    expect(result).toBe(redacted);
  });

  it.each([
    'postgres://user@host/db',
    'postgres://user:@host/db',
    'postgres://host:5432/db?email=a@b.c',
    'postgres://host/db?x=u:p@q',
    'docker://postgres/15/dev',
    'sqlite://file.db?mode=memory',
    'file://migrations',
    'postgres://user@host/db?x=a:b@c',
    'not a url',
  ])('finds no password in %s', (url) => {
    expect(redactUrlPassword(url)).toBeUndefined();
  });
});
