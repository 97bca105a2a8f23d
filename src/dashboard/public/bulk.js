// Acknowledge or resolve the alerts ticked in the queue, with one comment for all. Each alert
// goes through its own POST /v1/alerts/:id/acknowledge or /resolve (a few at a time), so the
// service checks every one against the caller's sites and its status, writes its history and
// audit row as for a single action, and a refusal is that alert's alone; the page then lists
// what was not changed and why (docs/dashboard.md, "Bulk actions").
import { api } from './api.js';
import { h, replace } from './dom.js';
import { RESOLUTION_LABELS } from './format.js';
import { outcomeSelect } from './outcome.js';
import { BULK_CONCURRENCY, BULK_FROM, BULK_MAX, failureText, lastMove, runLimited } from './bulk-run.js';

/** Refusals whose history is read to say who was first; past that the report says "someone else". */
const LOOKUPS = 20;

/**
 * @param {any} ctx the page's context (store, me, toast)
 * @param {{ describe: (alert: any) => string, onDone: () => void }} opts
 *   describe: an alert in a few words for the report; onDone: the selection or the results changed
 */
export function bulkActions(ctx, { describe, onDone }) {
  /** Alert ids ticked, in the order ticked. @type {Set<string>} */
  const picked = new Set();
  let busy = false;
  let stopped = false;

  const count = h('strong', { id: 'bulk-count' });
  const note = h('textarea', { id: 'bulk-note', rows: '2', maxlength: '2000', 'aria-describedby': 'bulk-note-hint' });
  const resolution = h('select', { id: 'bulk-resolution' },
    h('option', { value: '' }, 'Choose…'),
    Object.entries(RESOLUTION_LABELS).map(([v, t]) => h('option', { value: v }, t)));
  // As in one alert's resolve form: what they turned out to be is chosen, never defaulted.
  const outcome = outcomeSelect('bulk-outcome');
  const ackButton = h('button', { type: 'button', class: 'primary', onclick: () => void run('acknowledge') }, 'Acknowledge selected');
  const resolveButton = h('button', { type: 'button', onclick: () => void run('resolve') }, 'Resolve selected');
  const clearButton = h('button', { type: 'button', onclick: () => clear() }, 'Clear selection');
  const progress = h('p', { class: 'bulk-progress', id: 'bulk-progress', role: 'status' });
  const bar = h('section', { class: 'bulk-bar', id: 'bulk-bar', 'aria-labelledby': 'bulk-count' },
    h('div', { class: 'bulk-head' }, count, clearButton),
    h('div', { class: 'field' },
      h('label', { for: 'bulk-note' }, 'Comment for all selected'),
      note,
      h('p', { class: 'hint', id: 'bulk-note-hint' }, 'Optional. Saved in each alert’s history.')),
    h('div', { class: 'button-row' }, ackButton),
    h('div', { class: 'button-row' },
      h('label', { for: 'bulk-resolution' }, 'Resolve as'), resolution,
      h('label', { for: 'bulk-outcome' }, 'Outcome of all selected'), outcome,
      resolveButton),
    progress);
  // The last action's result: stays after the selection is gone, until the next action.
  const report = h('div', { class: 'bulk-report', id: 'bulk-report', role: 'status', hidden: true });
  // The bar is in the page only while something is ticked.
  const slot = h('div', { class: 'bulk-slot' });

  function sync() {
    const n = picked.size;
    count.textContent = `${n} alert${n === 1 ? '' : 's'} selected`;
    for (const b of [ackButton, resolveButton, clearButton]) b.disabled = busy;
    resolution.disabled = outcome.disabled = note.disabled = busy;
    if (n > 0 && !bar.isConnected) slot.append(bar);
    else if (n === 0 && bar.isConnected && !busy) bar.remove();
  }

  function clear() {
    picked.clear();
    sync();
    onDone();
  }

  /** @param {'acknowledge' | 'resolve'} action */
  async function run(action) {
    if (busy || picked.size === 0) return;
    const body = {};
    const comment = /** @type {HTMLTextAreaElement} */ (note).value.trim();
    if (comment) body.comment = comment;
    if (action === 'resolve') {
      const r = /** @type {HTMLSelectElement} */ (resolution).value;
      if (!r) {
        progress.textContent = 'Choose how to resolve them first (Resolve as).';
        progress.classList.add('error');
        resolution.focus();
        return;
      }
      const o = outcome.value;
      if (!o) {
        progress.textContent = 'Choose their outcome first (Outcome of all selected).';
        progress.classList.add('error');
        outcome.focus();
        return;
      }
      body.resolution = r;
      body.outcome = o;
    }
    const ids = [...picked];
    if (ids.length > BULK_MAX) {
      progress.textContent = `At most ${BULK_MAX} alerts at once: ${ids.length} are selected. Narrow the selection with the filters.`;
      progress.classList.add('error');
      return;
    }
    const verb = action === 'acknowledge' ? 'Acknowledging' : 'Resolving';
    // What the page already knows cannot change is not asked for: reported as skipped.
    const todo = [];
    /** @type {Array<{ id: string, error: any }>} */
    const failed = [];
    for (const id of ids) {
      const a = ctx.store.alerts.get(id);
      if (a && !BULK_FROM[action].includes(a.status)) failed.push({ id, error: { code: 'skipped' } });
      else todo.push(id);
    }
    busy = true;
    stopped = false;
    progress.classList.remove('error');
    progress.textContent = `${verb} ${todo.length} alert${todo.length === 1 ? '' : 's'}…`;
    sync();
    const results = await runLimited(todo, BULK_CONCURRENCY,
      (id) => api('POST', `/v1/alerts/${encodeURIComponent(id)}/${action}`, body),
      {
        // A session that ended stops the rest: the sign-in page is showing by then.
        stopped: () => stopped,
        progress: (done) => (progress.textContent = `${verb}: ${done} of ${todo.length} done…`),
      });
    let changed = 0;
    for (const r of results) {
      if (r.ok) {
        changed++;
        ctx.store.upsert(r.value);
      } else {
        if (r.error?.status === 401) stopped = true;
        failed.push({ id: r.item, error: r.error });
      }
    }
    // Someone else was first: their name, from the alert's history.
    const refused = failed.filter((f) => f.error?.code === 'invalid_transition').slice(0, LOOKUPS);
    await runLimited(refused, BULK_CONCURRENCY, async (f) => {
      const moved = lastMove((await api('GET', `/v1/alerts/${encodeURIComponent(f.id)}/history`)).history);
      if (moved) f.error = { ...f.error, ...moved };
    });
    // Done with: those changed. Those not changed stay ticked, to act on otherwise.
    for (const r of results) if (r.ok) picked.delete(r.item);
    for (const f of failed) if (f.error.code === 'skipped' || f.error.code === 'not_found') picked.delete(f.id);
    if (changed > 0) /** @type {HTMLTextAreaElement} */ (note).value = '';
    busy = false;
    progress.textContent = '';
    showReport(action, ids.length, changed, failed);
    sync();
    onDone();
  }

  /** @param {'acknowledge' | 'resolve'} action @param {number} asked @param {number} changed @param {Array<{ id: string, error: any }>} failed */
  function showReport(action, asked, changed, failed) {
    const verb = action === 'acknowledge' ? 'acknowledged' : 'resolved';
    const dismiss = h('button', { type: 'button', class: 'link', onclick: () => (report.hidden = true) }, 'Dismiss');
    replace(report,
      h('p', null,
        h('strong', null, `${changed} of ${asked} ${verb}.`),
        failed.length ? ` ${failed.length} not ${verb}:` : '',
        ' ', dismiss),
      failed.length
        ? h('ul', { class: 'bulk-failures', id: 'bulk-failures' }, failed.map(({ id, error }) => {
          const a = ctx.store.alerts.get(id);
          return h('li', { 'data-id': id }, a ? describe(a) : id, ': ', failureText(action, error, a));
        }))
        : null);
    report.classList.toggle('error', failed.length > 0);
    report.hidden = false;
  }

  return {
    slot,
    report,
    picked,
    get busy() {
      return busy;
    },
    /** @param {string} id @param {boolean} on */
    toggle(id, on) {
      if (on) picked.add(id);
      else picked.delete(id);
      sync();
    },
    /** @param {string[]} ids @param {boolean} on */
    setAll(ids, on) {
      for (const id of ids) {
        if (on) picked.add(id);
        else picked.delete(id);
      }
      sync();
    },
    /** Untick what the filters no longer show (not while an action runs on them). @param {Set<string>} shown */
    prune(shown) {
      if (busy) return;
      let dropped = false;
      for (const id of picked) {
        if (!shown.has(id)) {
          picked.delete(id);
          dropped = true;
        }
      }
      if (dropped) sync();
    },
    destroy() {
      stopped = true;
    },
  };
}
