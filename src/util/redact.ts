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

/** What separates the parts of a connection string, URL, DSN or address. */
const SEPARATORS = /[\s:/@?#&=;,()[\]{}"'<>|]+/u;

/**
 * The parts of a value that a message could quote on their own (`app` and `s3cret` of
 * `app:s3cret/db`, `6379` and `pw` of `redis:6379?password=pw`): the pieces between separators,
 * except the ones the value uses as names (a key before `=`, a JSON key, a scheme before `://`, a
 * network before `(`), which are vocabulary rather than data.
 */
export function fragmentsOf(value: string): string[] {
  const fragments: string[] = [];
  let offset = 0;
  for (const piece of value.split(SEPARATORS)) {
    const at = value.indexOf(piece, offset);
    offset = at + piece.length;
    const next = value.slice(offset);
    if (piece.length < 3 || /^(=|:\/\/|\(|"\s*:)/u.test(next)) continue;
    fragments.push(piece);
  }
  return fragments;
}

/**
 * Returns a function that removes secrets from a text: every occurrence of a known secret value
 * (and its URL-encoded form) as a whole token, and the password part of any credentials in a URL.
 * Used where scaler errors are created, so no secret leaves. The parts of the values in
 * `fragmented` are removed as well (see fragmentsOf), for messages that quote a piece of a value
 * (a port or a network taken from a connection string), except pieces in `vocabulary`.
 */
export function createRedactor(
  secrets: readonly string[],
  fragmented: readonly string[] = [],
  vocabulary: readonly string[] = [],
): (text: string) => string {
  // Pieces that are words of the messages themselves (the trigger type, parameter names) stay.
  const words = new Set(vocabulary.map((word) => word.toLowerCase()));
  const pieces = fragmented.flatMap(fragmentsOf).filter((piece) => !words.has(piece.toLowerCase()));
  const all = [...secrets, ...fragmented, ...pieces];
  const values = [...new Set(all.filter((secret) => secret.length >= 3))];
  const variants = [...new Set(values.flatMap((value) => [value, encodeURIComponent(value)]))];
  // Longer values first, so one that contains another leaves nothing behind.
  variants.sort((a, b) => b.length - a.length);
  const pattern = variants.length > 0 ? new RegExp(variants.map(tokenPattern).join("|"), "gu") : undefined;
  return (text: string) => {
    const masked = pattern ? text.replace(pattern, MASK) : text;
    return masked.replace(URL_PASSWORD, `$1${MASK}@`);
  };
}
