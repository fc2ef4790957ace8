/**
 * A value created on first use and shared by later calls; a creation that fails is forgotten, so the
 * next call tries again (a key file fixed, a server back up).
 */
export function retryingLazy<T>(create: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    current ??= create().catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    return current;
  };
}
