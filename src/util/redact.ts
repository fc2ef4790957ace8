const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]+)@/gi;
const MASK = "***";

/**
 * Returns a function that removes secrets from a text: every known secret value, and the password
 * part of any URL with credentials. Used where scaler errors are created, so no secret leaves.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((secret) => secret.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  const variants = values.flatMap((value) => {
    const encoded = encodeURIComponent(value);
    return encoded === value ? [value] : [value, encoded];
  });
  return (text: string) => {
    let result = text;
    for (const value of variants) result = result.split(value).join(MASK);
    return result.replace(URL_PASSWORD, `$1${MASK}@`);
  };
}
