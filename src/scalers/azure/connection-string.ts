/**
 * Azure connection strings (`Key=Value;Key=Value`), read as KEDA reads them: keys are trimmed and
 * matched case-insensitively, a part without `=` is skipped, and a value keeps everything after
 * the first `=` (base64 keys end in `=`).
 */

/** The value of `key` in a connection string, or undefined when the key is absent. */
export function connectionStringValue(connectionString: string, key: string): string | undefined {
  for (const part of connectionString.split(";")) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    if (part.slice(0, separator).trim().toLowerCase() === key.toLowerCase()) return part.slice(separator + 1);
  }
  return undefined;
}

/** KEDA's HasEventHubEntityPath: EntityPath is one of the keys (not merely in a value). */
export function hasEntityPath(connectionString: string): boolean {
  return connectionStringValue(connectionString, "EntityPath") !== undefined;
}

/** Keys whose values are credentials. */
const SECRET_KEYS = ["SharedAccessKey", "SharedAccessSignature", "AccountKey", "SharedAccessKeyName"];

/**
 * The credential parts of connection strings (keys, signatures), for redaction: an SDK error may
 * quote one part without the whole string.
 */
export function connectionStringSecrets(...connectionStrings: (string | undefined)[]): string[] {
  const secrets: string[] = [];
  for (const connectionString of connectionStrings) {
    if (!connectionString) continue;
    secrets.push(connectionString);
    for (const key of SECRET_KEYS) {
      const value = connectionStringValue(connectionString, key);
      if (value && key !== "SharedAccessKeyName") secrets.push(value);
    }
  }
  return secrets;
}

/** Removes every given secret (and its URL-encoded form) from a text. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets]
    .filter((value) => value.length >= 3)
    .sort((a, b) => b.length - a.length)) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) result = result.split(form).join("***");
  }
  return result;
}
