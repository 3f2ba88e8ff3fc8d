import { redactPasswordsInText, redactUrlPassword } from '../../src/migrations/url-password';

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

describe('redactPasswordsInText', () => {
  it.each([
    [
      'Error: connecting to postgres://app:s3cr3t@db.internal:5432/app: dial tcp: no such host',
      'Error: connecting to postgres://app:***@db.internal:5432/app: dial tcp: no such host',
    ],
    [
      'url "mysql://root:pw@tcp(db:3306)/app" and "postgres://u:x@h/d"',
      'url "mysql://root:***@tcp(db:3306)/app" and "postgres://u:***@h/d"',
    ],
    [
      'jdbc:postgresql://db/app?user=app&password=s3cr3t failed',
      'jdbc:postgresql://db/app?user=app&password=*** failed',
    ],
    [
      'dsn host=db user=app password=s3cr3t dbname=app',
      'dsn host=db user=app password=*** dbname=app',
    ],
    ["dsn password='with space' port=5432", 'dsn password=*** port=5432'],
  ])('hides the password in %s', (text, redacted) => {
    expect(redactPasswordsInText(text)).toBe(redacted);
  });

  it('leaves text without a password as it is', () => {
    const text = 'Migrating to version 2 from 1 (1 migrations in total): file://migrations';
    expect(redactPasswordsInText(text)).toBe(text);
  });
});
