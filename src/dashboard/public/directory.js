// Patient names for the queue, with each patient's heart-failure risk and device types:
// alert objects carry only the patient's id and the device serial.
import { api, query } from './api.js';

const RELOAD_MS = 60_000;

/** Events: 'change' when names were (re)loaded. */
export class PatientDirectory extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, string>} */
    this.names = new Map();
    /** @type {Map<string, { risk: { status: string, insufficientData: boolean } | null, types: Map<string, string> }>} */
    this.info = new Map();
    /** @type {Promise<void> | null} */
    this.loading = null;
    this.loadedAt = 0;
  }

  /** @param {string | null} id */
  name(id) {
    return id === null ? null : this.names.get(id) ?? null;
  }

  /** The patient's heart-failure risk, as the patient list gives it. @param {string | null} id */
  risk(id) {
    return id === null ? null : this.info.get(id)?.risk ?? null;
  }

  /** The enrolled type of one of the patient's devices. @param {string | null} id @param {string} serial */
  deviceType(id, serial) {
    return id === null ? null : this.info.get(id)?.types.get(serial) ?? null;
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
        for (const p of res.patients) {
          this.names.set(p.id, p.name);
          const types = new Map((p.devices ?? []).map((serial, i) => [serial, p.deviceTypes?.[i] ?? 'unknown']));
          this.info.set(p.id, { risk: p.risk ?? null, types });
        }
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
    this.info.clear();
    this.loadedAt = 0;
  }
}
