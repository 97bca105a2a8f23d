// Rows kept between renders: a row is built again only when what it shows changed, and the
// table's children are moved into order rather than replaced. A stream update on a long
// queue then touches a few rows, and the focus and scroll position stay where they were.

export class RowCache {
  constructor() {
    /** @type {Map<string, { alert: unknown, sig: string, el: HTMLElement, used: boolean }>} */
    this.rows = new Map();
  }

  /**
   * The row of `id` as last built when `alert` (the same object) and `sig` are unchanged,
   * else a new one from `build`.
   * @param {string} id @param {unknown} alert @param {string} sig @param {() => HTMLElement} build
   */
  row(id, alert, sig, build) {
    const e = this.rows.get(id);
    if (e && e.alert === alert && e.sig === sig) {
      e.used = true;
      return e.el;
    }
    const el = build();
    this.rows.set(id, { alert, sig, el, used: true });
    return el;
  }

  /** Forget the rows not asked for since the last sweep. */
  sweep() {
    for (const [id, e] of this.rows) {
      if (e.used) e.used = false;
      else this.rows.delete(id);
    }
  }
}

/**
 * Make `els` the children of `parent`, in order, moving as few as it can: those gone are
 * removed first, so a row removed above does not shift every row below it.
 * @param {Element} parent @param {Element[]} els
 */
export function patchChildren(parent, els) {
  const keep = new Set(els);
  for (const c of [...parent.children]) if (!keep.has(c)) c.remove();
  for (let i = 0; i < els.length; i++) {
    const el = /** @type {Element} */ (els[i]);
    const cur = parent.children[i] ?? null;
    if (cur !== el) parent.insertBefore(el, cur);
  }
}
