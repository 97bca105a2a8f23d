import { beforeAll, describe, expect, it } from 'vitest';

// The words of the dashboard's desktop notifications (src/dashboard/public/notify.js, a
// browser module without type declarations, so loaded by a path TypeScript does not follow).

type Alert = { priority: string; kind: string; site: string } & Record<string, unknown>;
let notificationText: (alert: Alert, escalated: boolean) => { title: string; body: string };
let KIND_LABELS: Record<string, string>;

beforeAll(async () => {
  const base = '../../../src/dashboard/public/';
  ({ notificationText } = (await import(`${base}notify.js`)) as { notificationText: typeof notificationText });
  ({ KIND_LABELS } = (await import(`${base}format.js`)) as { KIND_LABELS: Record<string, string> });
});

/** An alert object as the stream delivers it, with a patient the dashboard has a name for. */
const alert = (kind: string, priority: string) => ({
  id: 'a-000417', patientId: 'p-23', device: 'MDT-PZC600368S', site: 'mri', kind, priority, status: 'open',
  summary: '3 VT episodes reported', assignee: 'dr.who@clinic.example',
  // Not a field of the contract: a name a page might have merged in must still not show.
  patientName: 'Harriet Notifyson',
});

describe('notificationText', () => {
  it('says priority, kind and site', () => {
    expect(notificationText(alert('ventricular_arrhythmia', 'high'), false)).toEqual({
      title: 'High: Ventricular arrhythmia',
      body: 'Site mri. Open the dashboard for the patient.',
    });
    expect(notificationText(alert('ventricular_arrhythmia', 'high'), true).title).toBe('High, escalated: Ventricular arrhythmia');
    expect(notificationText(alert('battery', 'medium'), false).title).toBe('Medium: Battery');
  });

  it('never carries the patient, the device, the alert id, the summary or the assignee', () => {
    const secrets = ['Harriet', 'Notifyson', 'p-23', 'MDT-PZC600368S', 'a-000417', '3 VT episodes', 'dr.who'];
    const kinds = Object.keys(KIND_LABELS);
    expect(kinds.length).toBeGreaterThan(5);
    for (const kind of kinds) {
      for (const priority of ['high', 'medium', 'low']) {
        for (const escalated of [false, true]) {
          const { title, body } = notificationText(alert(kind, priority), escalated);
          expect(title).toContain(KIND_LABELS[kind]);
          for (const s of secrets) expect(`${title}\n${body}`, `${kind} ${priority}`).not.toContain(s);
        }
      }
    }
  });
});

describe('an alert that worsens while open', () => {
  type Store = EventTarget & { apply(alert: unknown, change: unknown): void; alerts: Map<string, Record<string, unknown>> };
  let AlertStore: new () => Store;
  let worsenedFrom: (previous: unknown, alert: unknown) => string | null;
  beforeAll(async () => {
    ({ AlertStore, worsenedFrom } = (await import('../../../src/dashboard/public/live.js' as string)) as { AlertStore: typeof AlertStore; worsenedFrom: typeof worsenedFrom });
  });

  it('is tagged with its earlier priority until someone acknowledges it, and the raising change says so once', () => {
    const store = new AlertStore();
    const seen: Array<string | null> = [];
    store.addEventListener('change', (ev) => seen.push((ev as CustomEvent).detail.worsened));
    const a = { ...alert('hf_decompensation', 'medium'), status: 'open' };
    store.apply(a, { type: 'opened' });
    store.apply({ ...a, priority: 'high' }, { type: 'updated' });
    store.apply({ ...a, priority: 'high', occurrences: 3 }, { type: 'updated' });
    expect(seen).toEqual([null, 'medium', null]);
    expect(store.alerts.get(a.id as string)!.worsenedFrom).toBe('medium');
    store.apply({ ...a, priority: 'high', status: 'acknowledged' }, { type: 'acknowledged' });
    expect(store.alerts.get(a.id as string)!.worsenedFrom).toBeUndefined();
  });

  it('only a rise counts, and the notification says what it was', () => {
    expect(worsenedFrom({ priority: 'medium' }, { priority: 'high' })).toBe('medium');
    expect(worsenedFrom({ priority: 'high' }, { priority: 'medium' })).toBeNull();
    expect(worsenedFrom(undefined, { priority: 'high' })).toBeNull();
    const text = (notificationText as unknown as (a: Alert, e: boolean, w: string | null) => { title: string; body: string })(
      alert('hf_decompensation', 'high'), false, 'medium');
    expect(text.title).toBe(`High (was Medium): ${KIND_LABELS.hf_decompensation}`);
    expect(JSON.stringify(text)).not.toMatch(/Harriet|p-23|MDT-/);
  });
});

describe('chart axis labels', () => {
  let tickLabels: (splits: number[], incr: number) => string[];
  let tickDecimals: (incr: number) => number;
  beforeAll(async () => {
    ({ tickLabels, tickDecimals } = (await import('../../../src/dashboard/public/format.js' as string)) as { tickLabels: typeof tickLabels; tickDecimals: typeof tickDecimals });
  });

  it('print every tick differently, with the decimals the step needs', () => {
    expect(tickLabels([3.14, 3.145, 3.15], 0.005)).toEqual(['3.140', '3.145', '3.150']);
    expect(tickLabels([500, 520, 540], 20)).toEqual(['500', '520', '540']);
    expect(tickLabels([0.5, 1, 1.5], 0.5)).toEqual(['0.5', '1.0', '1.5']);
    expect(tickDecimals(0.25)).toBe(2);
    expect(tickDecimals(Number.NaN)).toBe(0);
    for (const incr of [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]) {
      const splits = Array.from({ length: 6 }, (_, i) => 3 + i * incr);
      expect(new Set(tickLabels(splits, incr)).size, String(incr)).toBe(6);
    }
  });
});

describe('an alert in words', () => {
  let evidenceLines: (kind: string, evidence: Record<string, unknown>) => string[];
  let triggerText: (t: { metric: string; value: number; at: string }) => string;
  beforeAll(async () => {
    ({ evidenceLines, triggerText } = (await import('../../../src/dashboard/public/format.js' as string)) as { evidenceLines: typeof evidenceLines; triggerText: typeof triggerText });
  });

  it('names evidence with units, by the alert kind where a key means different things', () => {
    expect(evidenceLines('hf_decompensation', { fluidIndex: 126, impedanceChangePct: -18.8, nightHeartRateDelta: 5, recentVentricularArrhythmia: 1 }))
      .toEqual(['Fluid index: 126 Ω·d', 'Thoracic impedance change: −18.8 %', 'Night heart rate change: +5/min', 'Ventricular arrhythmia in the last week: yes']);
    expect(evidenceLines('crt_pacing_loss', { crtPacingPct: 85.2, threshold: 90 })).toEqual(['CRT pacing: 85.2 %', 'Threshold: 90 %']);
    expect(evidenceLines('capture_threshold', { lead: 'rv', threshold: 2.6, baseline: 0.9 })).toEqual(['Lead: RV', 'Capture threshold: 2.6 V', 'Baseline: 0.9 V']);
    expect(evidenceLines('battery', { batteryStatus: 3 })).toEqual(['Battery status: elective replacement (ERI)']);
    // A key the page does not know still shows, in words.
    expect(evidenceLines('lead_integrity', { someNewKey: 2 })).toEqual(['Some New Key: 2']);
  });

  it('gives the opening reading its device time, not its sequence number', () => {
    const text = triggerText({ metric: 'battery_status', value: 4, at: '2026-03-04T02:00:00Z' });
    expect(text).toMatch(/^Battery status end of service \(EOS\) on 4 Mar 2026, \d\d:\d\d$/);
    expect(text).not.toMatch(/reading/);
  });
});
