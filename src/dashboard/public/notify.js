// Optional sound and desktop notification for new high-priority alerts, and for alerts that
// escalate or worsen to high. Off by default; the choice is kept in this browser only.
import { PRIORITY_LABELS, kindLabel } from './format.js';

const KEY = 'dashboard.notify';

/**
 * The words of a desktop notification for an alert: its priority, kind and site, and
 * nothing that tells whose alert it is. A notification shows on a locked screen and in the
 * system's notification history, where anyone passing may read it, so no patient name, id,
 * device serial or summary goes into it; the dashboard itself shows those once signed in.
 * @param {{ priority: string, kind: string, site: string }} alert
 * @param {boolean} escalated
 * @param {string | null} [worsenedFrom] the priority it had before this change raised it
 * @returns {{ title: string, body: string }}
 */
export function notificationText(alert, escalated, worsenedFrom = null) {
  const priority = PRIORITY_LABELS[alert.priority] ?? alert.priority;
  const was = worsenedFrom ? ` (was ${PRIORITY_LABELS[worsenedFrom] ?? worsenedFrom})` : '';
  return {
    title: `${priority}${was}${escalated ? ', escalated' : ''}: ${kindLabel(alert.kind)}`,
    body: `Site ${alert.site}. Open the dashboard for the patient.`,
  };
}

export class Notifier {
  constructor() {
    this.enabled = localStorage.getItem(KEY) === 'on';
    /** @type {AudioContext | null} */
    this.audio = null;
  }

  /** Called from a click, so the browser lets the page make sound and ask for permission. */
  async setEnabled(on) {
    this.enabled = on;
    localStorage.setItem(KEY, on ? 'on' : 'off');
    if (!on) return;
    this.audio ??= new AudioContext();
    if (this.audio.state === 'suspended') await this.audio.resume().catch(() => undefined);
    if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission().catch(() => undefined);
  }

  /** @returns {string} why desktop notifications will not show, or '' */
  get desktopStatus() {
    if (!('Notification' in window)) return 'Desktop notifications are not supported by this browser.';
    if (Notification.permission === 'denied') return 'Desktop notifications are blocked for this site in the browser settings; only the sound will play.';
    return '';
  }

  /**
   * A change from the stream: notify when it opens a high alert, raises an open one to high
   * (like a new one: it is now as urgent as one), or escalates one.
   * @param {any} alert @param {any} change @param {string | null} [worsened] the priority before this change
   */
  consider(alert, change, worsened = null) {
    if (!this.enabled || !change) return;
    const isNew = change.type === 'opened' && alert.priority === 'high';
    const nowHigh = worsened !== null && alert.priority === 'high';
    const escalated = change.type === 'escalated';
    if (!isNew && !nowHigh && !escalated) return;
    this.beep();
    if ('Notification' in window && Notification.permission === 'granted') {
      const { title, body } = notificationText(alert, escalated, nowHigh ? worsened : null);
      // The tag (the alert's id, a-000123, not shown) makes a repeat for the same alert replace the earlier notification.
      const n = new Notification(title, { body, tag: alert.id });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    }
  }

  beep() {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    // Two soft tones, short: noticeable without alarm fatigue.
    for (const [i, freq] of [[0, 880], [1, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const t = ctx.currentTime + i * 0.18;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.17);
    }
  }
}
