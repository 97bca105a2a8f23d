// Acting on many alerts: the per-alert requests run a few at a time, and each outcome is
// kept, so the page can say which alerts were not changed and why. Pure but for `work`.

/** Requests in flight at once: enough to finish 200 alerts in a second or two, few enough not to crowd the service. */
export const BULK_CONCURRENCY = 4;
/** The most alerts one bulk action takes: a selection past this is narrowed with the filters first. */
export const BULK_MAX = 200;

/**
 * Run `work` on every item, at most `limit` at once, in order of start. A rejection is kept as
 * that item's result, never thrown. `stopped()` is asked before each start: true leaves the
 * rest unstarted (reported as such). `progress(done)` after each item.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<R>} work
 * @param {{ stopped?: () => boolean, progress?: (done: number) => void }} [opts]
 * @returns {Promise<Array<{ item: T, ok: true, value: R } | { item: T, ok: false, error: any }>>}
 */
export async function runLimited(items, limit, work, opts = {}) {
  /** @type {Array<any>} */
  const results = new Array(items.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      if (opts.stopped?.()) {
        results[i] = { item, ok: false, error: { code: 'not_started', message: 'not tried: the action was stopped' } };
        continue;
      }
      try {
        results[i] = { item, ok: true, value: await work(item) };
      } catch (error) {
        results[i] = { item, ok: false, error };
      }
      opts.progress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** The statuses each bulk action may start from (as the service's lifecycle allows). */
export const BULK_FROM = { acknowledge: ['open'], resolve: ['open', 'acknowledged'] };

/**
 * Why an alert was not changed, in words. `error.state` and `error.by` are what the alert's
 * history says happened to it first (looked up after a refusal), else the alert as the page
 * now has it tells the state.
 * @param {'acknowledge' | 'resolve'} action
 * @param {{ status?: number, code?: string, message?: string, state?: string, by?: string | null }} error
 * @param {any} current the alert as the page has it now, or undefined
 */
export function failureText(action, error, current) {
  const verb = action === 'acknowledge' ? 'acknowledged' : 'resolved';
  if (error.code === 'invalid_transition' || error.code === 'skipped') {
    const state = error.state ?? current?.status;
    // Skipped: the page knew before asking. Refused: someone changed it first.
    const who = error.by ? ` by ${error.by}` : error.code === 'invalid_transition' ? ' by someone else' : '';
    if (state === 'resolved') return `already resolved${who}`;
    if (state === 'acknowledged' && action === 'acknowledge') return `already acknowledged${who}`;
    return `not ${verb}: ${error.message ?? 'changed meanwhile'}`;
  }
  if (error.code === 'not_found') return 'no longer visible to you (moved to another site, or removed)';
  if (error.code === 'not_started') return error.message ?? 'not tried';
  return `not ${verb}: ${error.message ?? 'the service refused it'}`;
}

/**
 * Who moved an alert first, from its history (GET /v1/alerts/:id/history): the latest
 * acknowledgement or resolution, or null.
 * @param {Array<{ type: string, actor: string | null }>} history
 * @returns {{ state: string, by: string | null } | null}
 */
export function lastMove(history) {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i];
    if (e && (e.type === 'acknowledged' || e.type === 'resolved')) return { state: e.type, by: e.actor };
  }
  return null;
}
