/**
 * Parsers with the exact acceptance rules of Go's strconv, because KEDA reads annotations and
 * numeric strings with them: a value Tidal accepts must be one KEDA accepts, and the reverse.
 */

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseBool: undefined when the text is not one of Go's twelve spellings. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}

const INT_LIMITS = { 32: 2 ** 31, 64: 2 ** 63 } as const;

/** strconv.ParseInt(text, 10, bits): optional sign, decimal digits, within range. */
export function parseGoInt(text: string, bits: 32 | 64 = 32): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  const limit = INT_LIMITS[bits];
  return value >= -limit && value < limit ? value : undefined;
}

const DECIMAL_FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

/** strconv.ParseFloat(text, 64) for decimal notation, Inf and NaN (hex floats are not accepted). */
export function parseGoFloat(text: string): number | undefined {
  if (DECIMAL_FLOAT.test(text)) return Number(text);
  const special = SPECIAL_FLOAT.exec(text);
  if (!special) return undefined;
  if (special[2]?.toLowerCase() === "nan") return NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}
