// Patient names for the queue: alert objects carry only the patient's id.
import { api, query } from './api.js';

const RELOAD_MS = 60_000;

/** Events: 'change' when names were (re)loaded. */
export class PatientDirectory extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, string>} */
    this.names = new Map();
    /** @type {Promise<void> | null} */
    this.loading = null;
    this.loadedAt = 0;
  }

  /** @param {string | null} id */
  name(id) {
    return id === null ? null : this.names.get(id) ?? null;
  }

  /** Load when an id is unknown: once at first, then at most once a minute (newly enrolled patients). @param {Iterable<string>} ids */
  ensure(ids) {
    if (this.loading) return;
    for (const id of ids) {
      if (!this.names.has(id)) {
        if (this.loadedAt === 0 || Date.now() - this.loadedAt > RELOAD_MS) this.loading = this.load().finally(() => (this.loading = null));
        return;
      }
    }
  }

  async load() {
    let after = '';
    try {
      for (let page = 0; page < 20; page++) {
        const res = await api('GET', `/v1/patients${query({ limit: 1000, after })}`);
        for (const p of res.patients) this.names.set(p.id, p.name);
        if (!res.next) break;
        after = res.next;
      }
    } catch {
      // Ids are shown instead of names; the next unknown id tries again after the pause.
    }
    this.loadedAt = Date.now();
    this.dispatchEvent(new Event('change'));
  }

  clear() {
    this.names.clear();
    this.loadedAt = 0;
  }
}
