/** KEDA's NormalizeString: `/ . : % ( )` become `-`. */
export function normalizeMetricName(name: string): string {
  return name.replace(/[/.:%()]/g, "-");
}

/** KEDA's GenerateMetricNameWithIndex over a normalized name: `s<index>-<name>`. */
export function metricNameWithIndex(index: number, name: string): string {
  return `s${index}-${normalizeMetricName(name)}`;
}

/** Go's url.QueryEscape, which some scalers apply before normalizing (spaces become `+`). */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
