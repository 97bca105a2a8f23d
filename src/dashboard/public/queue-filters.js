// The queue's filter bar. Filters live in the address, so a view can be bookmarked and
// survives a reload; the lists that depend on the alerts (assignees, sites) follow them.
import { query } from './api.js';
import { h, replace } from './dom.js';
import { DEVICE_TYPE_LABELS, KIND_LABELS } from './format.js';
import { RISK_FILTERS, distinct, filterParams, parseFilters } from './queue-model.js';

export const readFilters = () => parseFilters(location.search);

/** @param {import('./queue-model.js').Filters} f */
function writeFilters(f) {
  history.replaceState(null, '', `/${query(filterParams(f))}`);
}

/**
 * @param {any} ctx
 * @param {import('./queue-model.js').Filters} filters changed in place
 * @param {(key: string) => void} onChange after a filter changed and the address was written
 */
export function filterBar(ctx, filters, onChange) {
  const selectField = (id, label, options, value, onchange) =>
    h('div', { class: 'field inline' },
      h('label', { for: id }, label),
      h('select', { id, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
  const check = (id, label, checked, onchange) =>
    h('div', { class: 'field inline check' }, h('input', { type: 'checkbox', id, checked, onchange }), h('label', { for: id }, label));
  const changed = (key) => (ev) => {
    const t = ev.target;
    if (key === 'mine') filters.assignee = t.checked ? 'me' : '';
    else filters[key] = t.type === 'checkbox' ? t.checked : t.value;
    syncMine();
    writeFilters(filters);
    onChange(key);
  };

  const mineBox = check('f-mine', 'Assigned to me', filters.assignee === 'me', changed('mine'));
  const mineInput = /** @type {HTMLInputElement} */ (mineBox.querySelector('input'));
  const assigneeField = selectField('f-assignee', 'Assignee', [], filters.assignee, changed('assignee'));
  const assignee = /** @type {HTMLSelectElement} */ (assigneeField.querySelector('select'));
  const siteField = selectField('f-site', 'Site', [], filters.site, changed('site'));
  const site = /** @type {HTMLSelectElement} */ (siteField.querySelector('select'));
  if (!ctx.me.email) {
    mineInput.disabled = true;
    mineBox.title = 'Sign out and in again to use this filter: your email is learnt at sign-in.';
  }

  // "Assigned to me" is the one-click form of Assignee: me.
  function syncMine() {
    mineInput.checked = filters.assignee === 'me';
    if (assignee.value !== filters.assignee) assignee.value = filters.assignee;
  }

  const bar = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter alerts', onsubmit: (e) => e.preventDefault() },
    selectField('f-priority', 'Priority', [['', 'All'], ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']], filters.priority, changed('priority')),
    selectField('f-kind', 'Kind', [['', 'All kinds'], ...Object.entries(KIND_LABELS)], filters.kind, changed('kind')),
    selectField('f-status', 'Status', [['active', 'Open and acknowledged'], ['open', 'Open'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved']], filters.status, changed('status')),
    selectField('f-risk', 'HF risk', [['', 'Any'], ...RISK_FILTERS], filters.risk, changed('risk')),
    selectField('f-type', 'Device type', [['', 'Any'], ...Object.entries(DEVICE_TYPE_LABELS), ['unknown', 'Not recorded']], filters.type, changed('type')),
    assigneeField,
    siteField,
    mineBox,
    check('f-snoozed', 'Show snoozed', filters.snoozed, changed('snoozed')),
  );

  let assigneeKey = null;
  let siteKey = null;
  /**
   * The assignee and site lists as the alerts now give them; the chosen value stays listed
   * even when no alert has it (a bookmark of a colleague who has none left).
   * @param {Iterable<any>} alerts every alert the page holds
   */
  function sync(alerts) {
    const emails = [];
    const sites = [...(ctx.me.sites ?? [])];
    for (const a of alerts) {
      if (a.assignee) emails.push(a.assignee);
      sites.push(a.site);
    }
    const named = distinct([...emails, ...(filters.assignee && filters.assignee !== 'me' && filters.assignee !== 'none' ? [filters.assignee] : [])])
      .filter((e) => e !== ctx.me.email);
    const aKey = named.join('\n');
    if (aKey !== assigneeKey) {
      assigneeKey = aKey;
      replace(assignee,
        [['', 'Anyone'], ['me', 'Me'], ['none', 'Unassigned'], ...named.map((e) => [e, e])]
          .map(([v, text]) => h('option', { value: v, selected: v === filters.assignee }, text)));
    }
    const siteList = distinct([...sites, filters.site]);
    const sKey = siteList.join('\n');
    if (sKey !== siteKey) {
      siteKey = sKey;
      replace(site, [['', 'All my sites'], ...siteList.map((s) => [s, s])]
        .map(([v, text]) => h('option', { value: v, selected: v === filters.site }, text)));
    }
    // Only a user with more than one site has a choice to make.
    siteField.hidden = siteList.length < 2 && !filters.site;
  }

  return { bar, sync };
}
