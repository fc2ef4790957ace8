/**
 * Kubernetes resource quantities ("0.05", "50m", "1Ki", "1e-2"): read as plain numbers, and metric
 * values written as quantities the way KEDA writes them (below).
 */

const SUFFIX_MULTIPLIERS = new Map<string, number>([
  ["n", 1e-9],
  ["u", 1e-6],
  ["m", 1e-3],
  ["", 1],
  ["k", 1e3],
  ["M", 1e6],
  ["G", 1e9],
  ["T", 1e12],
  ["P", 1e15],
  ["E", 1e18],
  ["Ki", 2 ** 10],
  ["Mi", 2 ** 20],
  ["Gi", 2 ** 30],
  ["Ti", 2 ** 40],
  ["Pi", 2 ** 50],
  ["Ei", 2 ** 60],
]);

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The quantity's value, or undefined when it is not a valid quantity. */
export function parseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) ? quantity : undefined;
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  const mantissa = Number(match[1]);
  if (match[2] !== undefined) return mantissa * 10 ** Number(match[2]);
  return mantissa * (SUFFIX_MULTIPLIERS.get(match[3] ?? "") ?? 1);
}

/**
 * Kubernetes quantities for external metric values.
 *
 * KEDA turns a scaler's float64 into a quantity with milli precision (`GenerateMetricInMili`): the
 * value is rounded to the nearest milli exactly as Go's `%.3f` does (round half to even on the
 * double's exact binary value) and then written in Kubernetes' canonical DecimalSI form
 * (`resource.Quantity.String()`): trailing decimal zeros move into an exponent that is a multiple
 * of 3, which becomes an SI suffix. So 42 → "42", 1.5 → "1500m", 0.25 → "250m", 2000 → "2k",
 * 1.5e6 → "1500k", 0 → "0".
 *
 * Differences from Go, on purpose: non-finite values give "0" (what current KEDA does); values
 * beyond 10^21 keep the largest suffix "E" and a longer mantissa (Go's table has no suffix past
 * 10^18 and would drop the exponent, printing a wrong value); older KEDA releases truncated with
 * `int64(value * 1000)` and overflowed past ~9.2e15, which is not copied.
 */

const SUFFIXES = new Map<number, string>([
  [-3, "m"],
  [0, ""],
  [3, "k"],
  [6, "M"],
  [9, "G"],
  [12, "T"],
  [15, "P"],
  [18, "E"],
]);
const MAX_EXPONENT = 18;

const float = new Float64Array(1);
const bits = new BigUint64Array(float.buffer);

/** `value` rounded to the nearest thousandth (ties to even), as an exact count of thousandths. */
export function toMilli(value: number): bigint {
  if (!Number.isFinite(value) || value === 0) return 0n;
  // Fast path: below 2^51 the product's rounding error is at most 1/4, so an integral product is
  // the nearest integer to the exact value × 1000.
  const scaled = value * 1000;
  if (Number.isInteger(scaled) && Math.abs(scaled) < 2 ** 51) return BigInt(scaled);
  // Exact path: value = mantissa × 2^exponent; round mantissa × 1000 / 2^-exponent half to even.
  float[0] = value;
  const raw = bits[0] as bigint;
  const negative = raw >> 63n === 1n;
  const biased = Number((raw >> 52n) & 0x7ffn);
  const fraction = raw & 0xfffffffffffffn;
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  let milli: bigint;
  if (exponent >= 0) {
    milli = (mantissa * 1000n) << BigInt(exponent);
  } else {
    const numerator = mantissa * 1000n;
    const shift = BigInt(-exponent);
    const quotient = numerator >> shift;
    const twiceRemainder = (numerator - (quotient << shift)) << 1n;
    const denominator = 1n << shift;
    const roundUp =
      twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n);
    milli = roundUp ? quotient + 1n : quotient;
  }
  return negative ? -milli : milli;
}

/** The canonical DecimalSI string of `milli` thousandths (what `NewMilliQuantity(milli, DecimalSI).String()` gives). */
export function formatMilliQuantity(milli: bigint): string {
  if (milli === 0n) return "0";
  let amount = milli;
  let exponent = -3;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent += 1;
  }
  // Lower the exponent to a multiple of 3 (Go's AsCanonicalBytes), and never past the "E" suffix.
  while (exponent % 3 !== 0 || exponent > MAX_EXPONENT) {
    amount *= 10n;
    exponent -= 1;
  }
  return `${amount}${SUFFIXES.get(exponent) ?? ""}`;
}

/** A metric value as KEDA's metrics server writes it: milli precision, canonical Kubernetes quantity. */
export function formatQuantity(value: number): string {
  // Small integers are by far the most common values; skip the BigInt work for them.
  if (Number.isSafeInteger(value) && value > -1000 && value < 1000) return value === 0 ? "0" : String(value);
  return formatMilliQuantity(toMilli(value));
}
