/**
 * The password of credentials written `user:password@host`: in a URL with any scheme (the user
 * may be empty, `redis://:pw@host`), or without a scheme when a user name starts a word (after a
 * space, a quote, `=`, `,` or `;`; not after a bracket, so a format hint such as
 * `(user:password@tcp(host:port)/dbname)` stays readable).
 */
const URL_PASSWORD =
  /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:|(?<![^\s"'=,;])[^\s:/?#@"'()<>[\]{}]+:)([^@/?#\s]+)@/gi;
const MASK = "***";
const WORD_CHARACTER = "[\\p{L}\\p{N}_]";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A value as a whole token: where it starts (or ends) with a letter, digit or underscore, the
 * character before (or after) it must not be one, so the user name `user` is masked on its own
 * but not inside `username`.
 */
function tokenPattern(value: string): string {
  const before = new RegExp(`^${WORD_CHARACTER}`, "u").test(value) ? `(?<!${WORD_CHARACTER})` : "";
  const after = new RegExp(`${WORD_CHARACTER}$`, "u").test(value) ? `(?!${WORD_CHARACTER})` : "";
  return `${before}${escapeRegExp(value)}${after}`;
}

/**
 * Returns a function that removes secrets from a text: every occurrence of a known secret value
 * (and its URL-encoded form) as a whole token, and the password part of any credentials in a URL.
 * Used where scaler errors are created, so no secret leaves.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((secret) => secret.length >= 3))];
  const variants = [...new Set(values.flatMap((value) => [value, encodeURIComponent(value)]))];
  // Longer values first, so one that contains another leaves nothing behind.
  variants.sort((a, b) => b.length - a.length);
  const pattern = variants.length > 0 ? new RegExp(variants.map(tokenPattern).join("|"), "gu") : undefined;
  return (text: string) => {
    const masked = pattern ? text.replace(pattern, MASK) : text;
    return masked.replace(URL_PASSWORD, `$1${MASK}@`);
  };
}
