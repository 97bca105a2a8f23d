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
