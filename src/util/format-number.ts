/** Numbers as a person reads them in traces: at most three decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  return String(Math.round(value * 1000) / 1000);
}
