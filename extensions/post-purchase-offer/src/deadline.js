/** How long the buyer may wait on the Encore server at any one step, in milliseconds. */
export const REQUEST_TIMEOUT_MS = 1200;

/**
 * Resolves with what `promise` resolves to, or with `fallback` when it rejects or has not
 * settled within `ms`. Never rejects, so a slow or broken server can only cost the buyer `ms`.
 */
export function settleWithin(promise, ms, fallback) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
