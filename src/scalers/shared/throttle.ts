/** Calls `wake` at once, then at most once per `intervalMs` (a later call is delayed, not dropped). */
export function throttle(wake: () => void, intervalMs: number) {
  let last = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  return {
    call(): void {
      if (timer !== undefined) return;
      const wait = last + intervalMs - performance.now();
      if (wait <= 0) {
        last = performance.now();
        wake();
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        last = performance.now();
        wake();
      }, wait);
      timer.unref();
    },
    cancel: () => clearTimeout(timer),
  };
}
