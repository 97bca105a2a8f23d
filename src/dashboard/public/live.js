// The alert stream (GET /v1/alerts/stream) and the alerts it keeps current.
// One connection for the whole page. After a drop it reconnects with backoff and asks for
// ?after=<last cursor>, so the service resends every change missed meanwhile.
import { api } from './api.js';

/** Backoff before reconnect attempt n (1-based), in ms: 1, 2, 4, 8, 16, then 30 s, with ±20 % jitter. */
export function backoffMs(attempt) {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const RANK = { low: 0, medium: 1, high: 2 };

/**
 * The priority an alert had before this version of it, when this version is higher (the
 * service only ever raises an open alert's priority: HF Medium → High, say); else null.
 * @param {any} previous @param {any} alert @returns {string | null}
 */
export function worsenedFrom(previous, alert) {
  if (!previous || !(alert.priority in RANK) || !(previous.priority in RANK)) return null;
  return RANK[alert.priority] > RANK[previous.priority] ? previous.priority : null;
}

/**
 * Alerts by id: the unresolved ones from the stream's snapshot, then every change the
 * stream sends; resolved ones too, as they are resolved or loaded for the resolved view.
 * An alert whose priority rose while open keeps `worsenedFrom` (its earlier priority) until
 * someone acknowledges it, so the queue can say so.
 * Events: 'reset' (snapshot), 'change' (detail {alert, change|null, worsened: the earlier
 * priority when this change raised it, else null}).
 */
export class AlertStore extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, any>} */
    this.alerts = new Map();
    /** @type {number | null} */
    this.cursor = null;
  }

  /** @param {any[]} alerts @param {number} cursor */
  snapshot(alerts, cursor) {
    for (const [id, a] of this.alerts) if (a.status !== 'resolved') this.alerts.delete(id);
    for (const a of alerts) this.alerts.set(a.id, a);
    this.cursor = cursor;
    this.dispatchEvent(new Event('reset'));
  }

  /** @param {any} alert @param {any} change */
  apply(alert, change) {
    const previous = this.alerts.get(alert.id);
    const worsened = worsenedFrom(previous, alert);
    const kept = worsened ?? (alert.status === 'open' ? previous?.worsenedFrom ?? null : null);
    const next = kept ? { ...alert, worsenedFrom: kept } : alert;
    this.alerts.set(alert.id, next);
    this.dispatchEvent(new CustomEvent('change', { detail: { alert: next, change, worsened } }));
  }

  /** An alert as an action or a REST read returned it. @param {any} alert */
  upsert(alert) {
    this.apply(alert, null);
  }

  clear() {
    this.alerts.clear();
    this.cursor = null;
  }
}

/**
 * Events: 'state' (detail {state: 'connecting'|'live'|'down', attempt, retryAt, reconnected}),
 * 'session-ended'.
 */
export class LiveStream extends EventTarget {
  /** @param {AlertStore} store */
  constructor(store) {
    super();
    this.store = store;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.attempt = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    this.stopped = true;
    this.everLive = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'signed out');
    this.everLive = false;
    this.attempt = 0;
  }

  /** Skip the rest of the wait and try now. */
  retryNow() {
    if (this.stopped || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const after = this.store.cursor === null ? '' : `?after=${this.store.cursor}`;
    this.emit('connecting', null);
    const ws = new WebSocket(`${scheme}://${location.host}/v1/alerts/stream${after}`);
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      const reconnected = this.everLive;
      this.everLive = true;
      this.attempt = 0;
      this.emit('live', null, reconnected);
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws !== ws) return;
      let m;
      try {
        m = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (m.type === 'snapshot') this.store.snapshot(m.alerts, m.cursor);
      else if (m.type === 'alert') {
        this.store.cursor = m.cursor;
        this.store.apply(m.alert, m.change ?? null);
      }
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return; // stopped, or replaced
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === 4001) {
        this.dispatchEvent(new Event('session-ended'));
        return;
      }
      // Refused before the upgrade: a 401 looks like any other failure here, so ask.
      if (!opened) {
        void api('GET', '/v1/session', undefined, { quiet401: true }).catch((err) => {
          if (err.status === 401 && !this.stopped) {
            this.stop();
            this.dispatchEvent(new Event('session-ended'));
          }
        });
      }
      this.attempt += 1;
      // 4008: dropped for reading too slowly; come straight back for what was missed.
      const wait = ev.code === 4008 && this.attempt === 1 ? 0 : backoffMs(this.attempt);
      this.emit('down', Date.now() + wait);
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.stopped) this.connect();
      }, wait);
    });
  }

  /** @param {'connecting'|'live'|'down'} state @param {number | null} retryAt @param {boolean} [reconnected] */
  emit(state, retryAt, reconnected = false) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, attempt: this.attempt, retryAt, reconnected, everLive: this.everLive } }));
  }
}
