// One alert: its facts, the lifecycle actions its status allows, and its history.
import { api } from './api.js';
import { h, replace } from './dom.js';
import {
  CHANGE_LABELS, PRIORITY_LABELS, RESOLUTION_LABELS, STATUS_LABELS, evidenceLines, formatDateTime, formatNumber, kindLabel, triggerText,
} from './format.js';
import { outcomeLabel, outcomeSelect } from './outcome.js';

const ALLOWED = {
  acknowledge: ['open'],
  resolve: ['open', 'acknowledged'],
  assign: ['open', 'acknowledged'],
  snooze: ['open', 'acknowledged'],
  comment: ['open', 'acknowledged', 'resolved'],
  outcome: ['resolved'],
};

const SNOOZE_HOURS = [[1, '1 hour'], [4, '4 hours'], [8, '8 hours'], [24, '24 hours'], [72, '3 days']];

/**
 * @param {HTMLElement} root
 * @param {any} ctx
 * @param {{ onUpdated: (alert: any) => void }} opts
 */
export function renderDetail(root, ctx, { onUpdated }) {
  /** @type {any} */
  let alert = null;
  let busy = false;
  let historyToken = 0;

  const info = h('div', { class: 'detail-info' });
  const note = h('textarea', { id: 'action-note', rows: '2', maxlength: '2000', 'aria-describedby': 'action-note-hint' });
  const resolution = h('select', { id: 'resolution' },
    h('option', { value: '' }, 'Choose…'),
    Object.entries(RESOLUTION_LABELS).map(([v, t]) => h('option', { value: v }, t)));
  // Required here: what the alert turned out to be is known when resolving more often than not,
  // and can be changed later (the row shown once the alert is resolved).
  const outcome = outcomeSelect('resolve-outcome');
  const laterOutcome = outcomeSelect('later-outcome');
  const snoozeFor = h('select', { id: 'snooze-for' }, SNOOZE_HOURS.map(([v, t]) => h('option', { value: String(v) }, t)));
  const message = h('p', { class: 'action-msg', id: 'action-msg', role: 'status' });
  const buttons = {
    acknowledge: h('button', { type: 'button', class: 'primary', onclick: () => act('acknowledge', withNote({})) }, 'Acknowledge'),
    assign: h('button', { type: 'button', onclick: () => assignToggle() }, 'Assign to me'),
    comment: h('button', { type: 'button', onclick: () => comment() }, 'Add comment'),
    resolve: h('button', { type: 'button', onclick: () => resolve() }, 'Resolve'),
    snooze: h('button', { type: 'button', onclick: () => snooze() }, 'Snooze'),
    outcome: h('button', { type: 'button', onclick: () => recordOutcome() }, 'Save outcome'),
  };
  const resolveRow = h('div', { class: 'button-row' },
    h('label', { for: 'resolution' }, 'Resolution'), resolution,
    h('label', { for: 'resolve-outcome' }, 'Outcome'), outcome,
    buttons.resolve);
  const outcomeRow = h('div', { class: 'button-row' }, h('label', { for: 'later-outcome' }, 'Recorded outcome'), laterOutcome, buttons.outcome);
  const actions = h('section', { class: 'detail-actions', 'aria-labelledby': 'actions-h' },
    h('h3', { id: 'actions-h' }, 'Actions'),
    h('div', { class: 'field' },
      h('label', { for: 'action-note' }, 'Comment'),
      note,
      h('p', { class: 'hint', id: 'action-note-hint' }, 'Optional with Acknowledge, Resolve and Save outcome; needed for Add comment. Saved in the alert’s history.')),
    h('div', { class: 'button-row' }, buttons.acknowledge, buttons.assign, buttons.comment),
    resolveRow,
    outcomeRow,
    h('div', { class: 'button-row' }, h('label', { for: 'snooze-for' }, 'Snooze for'), snoozeFor, buttons.snooze),
    message);
  const history = h('ol', { class: 'history', id: 'alert-history' });
  const historySection = h('section', { class: 'detail-history', 'aria-labelledby': 'history-h' }, h('h3', { id: 'history-h' }, 'History'), history);

  /** @param {Record<string, unknown>} body */
  function withNote(body) {
    const text = /** @type {HTMLTextAreaElement} */ (note).value.trim();
    return text ? { ...body, comment: text } : body;
  }

  function say(text, isError = false) {
    message.textContent = text;
    message.classList.toggle('error', isError);
  }

  function syncButtons() {
    if (!alert) return;
    for (const [action, btn] of Object.entries(buttons)) {
      const allowed = ALLOWED[action].includes(alert.status);
      btn.disabled = busy || !allowed;
    }
    const mine = alert.assignee !== null && alert.assignee === ctx.me.email;
    buttons.assign.textContent = mine ? 'Unassign' : 'Assign to me';
    resolution.disabled = busy || !ALLOWED.resolve.includes(alert.status);
    outcome.disabled = resolution.disabled;
    laterOutcome.disabled = busy || !ALLOWED.outcome.includes(alert.status);
    resolveRow.hidden = alert.status === 'resolved';
    outcomeRow.hidden = alert.status !== 'resolved';
    snoozeFor.disabled = busy || !ALLOWED.snooze.includes(alert.status);
  }

  function renderInfo() {
    const a = alert;
    const ev = Object.entries(a.evidence ?? {});
    replace(info,
      h('h2', { id: 'detail-title' }, kindLabel(a.kind)),
      h('p', { class: 'detail-tags' },
        h('span', { class: `prio prio-${a.priority}` }, `${PRIORITY_LABELS[a.priority] ?? a.priority} priority`),
        h('span', { class: `status status-${a.status}` }, STATUS_LABELS[a.status] ?? a.status),
        a.escalationLevel > 0 ? h('span', { class: 'badge badge-esc' }, `Escalated (level ${a.escalationLevel})`) : null),
      h('p', { class: 'detail-summary' }, a.summary),
      h('dl', { class: 'facts' },
        fact('Alert', a.id),
        fact('Patient', a.patientId
          ? [h('a', { href: `/patients/${encodeURIComponent(a.patientId)}`, 'data-link': true }, ctx.patients.name(a.patientId) ?? a.patientId), h('span', { class: 'muted' }, ` (${a.patientId})`)]
          : 'Device not enrolled'),
        fact('Device', a.device),
        fact('Site', a.site),
        fact('Trigger', triggerText(a.trigger)),
        fact('First seen', formatDateTime(a.openedAt)),
        fact('Last seen', `${formatDateTime(a.lastSeenAt)}${a.occurrences > 1 ? ` · ${a.occurrences} occurrences` : ''}`),
        fact('Raised', formatDateTime(a.raisedAt)),
        fact('Score', formatNumber(a.score)),
        fact('Assigned to', a.assignee ?? 'Nobody'),
        a.status === 'resolved' ? fact('Outcome', h('span', { id: 'detail-outcome' }, outcomeLabel(a.outcome))) : null,
        a.snoozedUntil ? fact('Snoozed until', formatDateTime(a.snoozedUntil)) : null,
        ev.length ? fact('Evidence', h('ul', { class: 'evidence' }, evidenceLines(a.kind, a.evidence).map((line) => h('li', null, line)))) : null));
  }

  async function loadHistory() {
    const token = ++historyToken;
    const id = alert.id;
    try {
      const res = await api('GET', `/v1/alerts/${encodeURIComponent(id)}/history`);
      if (token !== historyToken) return;
      replace(history, [...res.history].reverse().map(historyItem));
      if (res.history.length === 0) replace(history, h('li', { class: 'muted' }, 'No history yet.'));
    } catch (err) {
      if (token === historyToken) replace(history, h('li', { class: 'error' }, `Could not load the history: ${err.message}`));
    }
  }

  async function act(action, body, done) {
    if (!alert || busy) return;
    busy = true;
    syncButtons();
    say('Saving…');
    try {
      const updated = await api('POST', `/v1/alerts/${encodeURIComponent(alert.id)}/${action}`, body);
      if (action === 'assign' && body.assignee === ctx.me.id && updated.assignee && !ctx.me.email) {
        ctx.me.email = updated.assignee;
        localStorage.setItem('dashboard.email', JSON.stringify({ id: ctx.me.id, email: updated.assignee }));
      }
      /** @type {HTMLTextAreaElement} */ (note).value = '';
      busy = false;
      onUpdated(updated);
      say(done ?? `${actionDone[action]}.`);
    } catch (err) {
      busy = false;
      syncButtons();
      if (err.code === 'invalid_transition') say(`Not saved: ${err.message}. The alert as it is now is shown above.`, true);
      else say(`Not saved: ${err.message}`, true);
    }
  }

  const actionDone = { acknowledge: 'Acknowledged', resolve: 'Resolved', assign: 'Assignment saved', snooze: 'Snoozed', comment: 'Comment added', outcome: 'Outcome saved' };

  function assignToggle() {
    const mine = alert.assignee !== null && alert.assignee === ctx.me.email;
    void act('assign', { assignee: mine ? null : ctx.me.id }, mine ? 'Unassigned.' : 'Assigned to you.');
  }

  function comment() {
    const text = /** @type {HTMLTextAreaElement} */ (note).value.trim();
    if (!text) {
      say('Write the comment first.', true);
      note.focus();
      return;
    }
    void act('comment', { comment: text });
  }

  function resolve() {
    const r = /** @type {HTMLSelectElement} */ (resolution).value;
    if (!r) {
      say('Choose a resolution first.', true);
      resolution.focus();
      return;
    }
    const o = outcome.value;
    if (!o) {
      say('Choose what the alert turned out to be (Outcome) first.', true);
      outcome.focus();
      return;
    }
    void act('resolve', withNote({ resolution: r, outcome: o }));
  }

  function recordOutcome() {
    const o = laterOutcome.value;
    if (!o) {
      say('Choose an outcome first.', true);
      laterOutcome.focus();
      return;
    }
    void act('outcome', withNote({ outcome: o }));
  }

  function snooze() {
    const hours = Number(/** @type {HTMLSelectElement} */ (snoozeFor).value);
    const until = new Date(Date.now() + hours * 3600_000);
    void act('snooze', { until: until.toISOString() }, `Snoozed until ${formatDateTime(until)}.`);
  }

  return {
    /** @param {any} a */
    show(a) {
      alert = a;
      historyToken++;
      if (!a) {
        replace(root, h('p', { class: 'muted' }, 'Select an alert to see its details, act on it and read its history.'));
        return;
      }
      /** @type {HTMLTextAreaElement} */ (note).value = '';
      /** @type {HTMLSelectElement} */ (resolution).value = '';
      outcome.value = '';
      laterOutcome.value = a.outcome ?? '';
      say('');
      renderInfo();
      syncButtons();
      replace(history, h('li', { class: 'muted' }, 'Loading…'));
      replace(root, info, actions, historySection);
      root.setAttribute('aria-labelledby', 'detail-title');
      void loadHistory();
    },
    /** The shown alert changed (stream or action). @param {any} a @param {any} change */
    update(a, change) {
      if (!a || !alert || a.id !== alert.id) return;
      const outcomeChanged = a.outcome !== alert.outcome;
      alert = a;
      if (outcomeChanged) laterOutcome.value = a.outcome ?? '';
      renderInfo();
      syncButtons();
      void change;
      void loadHistory();
    },
    /** @param {string} key @returns {boolean} */
    shortcut(key) {
      if (!alert) return false;
      const click = (b) => {
        if (!b.disabled) b.click();
        return true;
      };
      if (key === 'a') return click(buttons.acknowledge);
      if (key === 'm') return click(buttons.assign);
      if (key === 'r') return resolution.focus(), true;
      if (key === 's') return snoozeFor.focus(), true;
      if (key === 'c') return note.focus(), true;
      return false;
    },
    destroy() {
      historyToken++;
    },
  };
}

/** @param {string} label @param {unknown} value */
function fact(label, value) {
  return [h('dt', null, label), h('dd', null, value)];
}

/** @param {any} e */
export function historyItem(e) {
  const details = [];
  if (e.resolution) details.push(`Resolution: ${RESOLUTION_LABELS[e.resolution] ?? e.resolution}`);
  if (e.outcome) details.push(`Outcome: ${outcomeLabel(e.outcome)}`);
  if (e.type === 'assigned') details.push(e.assignee ? `To ${e.assignee}` : 'Unassigned');
  if (e.until) details.push(`Until ${formatDateTime(e.until)}`);
  if (typeof e.escalationLevel === 'number') details.push(`Level ${e.escalationLevel}`);
  return h('li', { class: `history-item h-${e.type}` },
    h('div', { class: 'history-head' },
      h('strong', null, CHANGE_LABELS[e.type] ?? e.type),
      ' ',
      h('time', { datetime: e.at }, formatDateTime(e.at)),
      e.actor ? h('span', { class: 'muted' }, ` · ${e.actor}`) : h('span', { class: 'muted' }, ' · service')),
    details.length ? h('div', null, details.join(' · ')) : null,
    typeof e.comment === 'string' ? h('blockquote', { class: 'comment' }, e.comment) : null);
}
