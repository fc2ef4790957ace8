/** Throws a RangeError unless `value` is a whole number ≥ 0 (a replica or job count). */
export function assertWholeNumber(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${what} must be a whole number ≥ 0, got ${value}`);
}
