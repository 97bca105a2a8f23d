// The queue's keyboard: arrows and j/k between rows, → and ← to show and hide a patient's
// other alerts, x to tick, Enter to the alert's panel, Esc back to the list, and the panel's
// single-letter actions.

/**
 * @param {{
 *   tbody: HTMLTableSectionElement,
 *   selectedId: () => string | null,
 *   select: (id: string, focusDetail: boolean) => void,
 *   isExpanded: (key: string) => boolean,
 *   toggleGroup: (key: string, open: boolean) => void,
 *   togglePick: (id: string) => void,
 *   shortcut: (key: string) => boolean,
 * }} q
 * @returns {(ev: KeyboardEvent) => void} the document's keydown listener
 */
export function queueKeys(q) {
  const rows = () => /** @type {HTMLElement[]} */ ([...q.tbody.rows]);

  /** @param {number} delta */
  function move(delta) {
    const all = rows();
    if (all.length === 0) return;
    const i = all.findIndex((r) => r.dataset.id === q.selectedId());
    const next = all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + delta))];
    next?.focus();
    next?.scrollIntoView({ block: 'nearest' });
  }

  /** → on a patient's first row shows their other alerts, ← hides them (from any of their rows). @param {HTMLElement} r @param {boolean} open */
  function expandFrom(r, open) {
    const key = r.dataset.group ? `p:${r.dataset.group}` : null;
    if (!key || q.isExpanded(key) === open) return;
    if (!open) {
      // Back to the group's first row, which stays.
      const head = rows().find((x) => x.dataset.group === r.dataset.group && x.classList.contains('group-head'));
      if (head?.dataset.id) q.select(head.dataset.id, false);
    }
    q.toggleGroup(key, open);
  }

  return (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    const selected = q.selectedId();
    if (ev.key === 'Escape') {
      const r = rows().find((x) => x.dataset.id === selected);
      if (r) {
        r.focus();
        ev.preventDefault();
      }
      return;
    }
    if (typing) return;
    const inList = t instanceof HTMLElement && q.tbody.contains(t);
    // On a row itself; a link or button in a row keeps its own Enter and Space.
    const onRow = inList && t instanceof HTMLElement && t.tagName === 'TR';
    if ((ev.key === 'ArrowDown' && inList) || ev.key === 'j') move(1);
    else if ((ev.key === 'ArrowUp' && inList) || ev.key === 'k') move(-1);
    else if (ev.key === 'Enter' && onRow && t instanceof HTMLElement && t.dataset.id) q.select(t.dataset.id, true);
    else if ((ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') && onRow && t instanceof HTMLElement) expandFrom(t, ev.key === 'ArrowRight');
    else if (ev.key === 'x' && selected) q.togglePick(selected);
    else if (ev.key === '/') document.getElementById('f-priority')?.focus();
    else if (selected && q.shortcut(ev.key)) { /* handled */ } else return;
    ev.preventDefault();
  };
}
