// Finds a password written into a database URL, and hides it, so the warning about it never
// repeats the secret in logs or annotations.

export const REDACTED = '***';

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
/** Parameter names that carry a password, in a URL's query and in a key=value DSN. */
const PASSWORD_KEYS = '(?:password|passwd|pwd|pass)';
const PASSWORD_PARAM = new RegExp(`([?&]${PASSWORD_KEYS}=)([^&#]+)`, 'gi');

/**
 * `url` with every password replaced by `***`, or undefined when it holds none. A password is the
 * part after the first `:` of the user info (`scheme://user:password@host`), or the value of a
 * `password=` query parameter.
 */
export function redactUrlPassword(url: string): string | undefined {
  let redacted = url;
  let found = false;
  const scheme = SCHEME.exec(url);
  if (scheme !== null) {
    const userinfo = userinfoSpan(url, scheme[0].length);
    if (userinfo !== undefined) {
      const colon = url.indexOf(':', userinfo.start);
      if (colon !== -1 && colon < userinfo.end - 1) {
        redacted = url.slice(0, colon + 1) + REDACTED + url.slice(userinfo.end);
        found = true;
      }
    }
  }
  redacted = redacted.replace(PASSWORD_PARAM, (_match, key: string) => {
    found = true;
    return `${key}${REDACTED}`;
  });
  return found ? redacted : undefined;
}

/** Offsets of `user[:password]` (up to, not including, the `@`), if the URL has user info. */
function userinfoSpan(url: string, start: number): { start: number; end: number } | undefined {
  // As in Go, the authority ends at the first `/`, `?` or `#`, and holds user info if it has an `@`.
  const authorityEnd = firstOf(url, start, '/?#');
  if (url.lastIndexOf('@', authorityEnd - 1) < start) {
    // No `@` there, but generated passwords often hold an unescaped `/`, `?` or `#` that ends the
    // authority early: `user:pa/ss@host`. Only a port may follow the colon of a real authority.
    const colon = url.indexOf(':', start);
    if (colon === -1 || colon > authorityEnd) return undefined;
    if (/^\d*$/.test(url.slice(colon + 1, authorityEnd))) return undefined;
  }
  // The password may also hold `@` and `/`: take the last `@` before the query, else the last one.
  // Leaking part of a password costs more than hiding a little too much.
  const query = url.indexOf('?', start);
  const beforeQuery = query === -1 ? -1 : url.lastIndexOf('@', query - 1);
  const end = beforeQuery >= start ? beforeQuery : url.lastIndexOf('@');
  return end >= start ? { start, end } : undefined;
}

/** A URL anywhere in free text: a scheme, `://`, then up to whitespace or a quote. */
const URL_IN_TEXT = /[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>`]+/g;
/** `password=…` in a key=value DSN (`host=db user=app password=… dbname=app`), quoted or not. */
const PASSWORD_PAIR = new RegExp(
  `\\b(${PASSWORD_KEYS}\\s*=\\s*)('[^']*'|"[^"]*"|[^\\s&;,]+)`,
  'gi',
);

/**
 * `text` (a log line, an error message) with the password of every database URL in it, and of
 * every `password=` pair, replaced by `***`. For text the action did not write itself, such as
 * Atlas's log, which quotes the URL it could not connect to.
 */
export function redactPasswordsInText(text: string): string {
  return text
    .replace(URL_IN_TEXT, (url) => redactUrlPassword(url) ?? url)
    .replace(PASSWORD_PAIR, (_match, key: string) => `${key}${REDACTED}`);
}

function firstOf(text: string, from: number, characters: string): number {
  for (let i = from; i < text.length; i++) if (characters.includes(text[i]!)) return i;
  return text.length;
}
