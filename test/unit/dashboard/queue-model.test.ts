import { beforeAll, describe, expect, it } from 'vitest';

// The queue's grouping and filters, and the bulk actions' runner (browser modules without
// type declarations, loaded by a path TypeScript does not follow, as notify.test.ts does).

type Alert = Record<string, unknown> & { id: string };
type Filters = Record<string, string | boolean>;
type Info = { risk: (p: string | null) => unknown; deviceType: (p: string | null, s: string) => string | null };
type Result = { item: number; ok: boolean; value?: number; error?: { code?: string } };
let m: {
  groupByPatient: (a: Alert[]) => Array<{ key: string; patientId: string | null; alerts: Alert[] }>;
  parseFilters: (search: string) => Filters;
  filterParams: (f: Filters) => Record<string, string>;
  matches: (a: Alert, f: Filters, me: string | null, info: Info) => boolean;
  riskKey: (r: unknown) => string;
};
let b: {
  runLimited: (items: number[], limit: number, work: (i: number) => Promise<number>, opts?: { stopped?: () => boolean }) => Promise<Result[]>;
  failureText: (action: string, error: Record<string, unknown>, current: unknown) => string;
  lastMove: (h: Array<{ type: string; actor: string | null }>) => { state: string; by: string | null } | null;
};

beforeAll(async () => {
  const base = '../../../src/dashboard/public/';
  m = (await import(`${base}queue-model.js`)) as typeof m;
  b = (await import(`${base}bulk-run.js`)) as typeof b;
});

let n = 0;
const alert = (patientId: string | null, priority: string, extra: Record<string, unknown> = {}): Alert => ({
  id: `a-${String(++n).padStart(6, '0')}`, patientId, device: `D-${n}`, site: 'mri', kind: 'battery', priority, status: 'open',
  raisedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(), escalationLevel: 0, assignee: null, snoozedUntil: null, ...extra,
});

describe('groupByPatient', () => {
  it('puts a patient’s alerts in one group, worst first, and orders groups by their worst alert', () => {
    const lowA = alert('p-1', 'low');
    const medB = alert('p-2', 'medium');
    const highA = alert('p-1', 'high');
    const loose = alert(null, 'medium');
    const groups = m.groupByPatient([lowA, medB, highA, loose]);
    expect(groups.map((g) => g.alerts.map((a) => a.id))).toEqual([[highA.id, lowA.id], [medB.id], [loose.id]]);
    expect(groups[0]!.patientId).toBe('p-1');
    // Alerts of devices enrolled to no one are never grouped together.
    expect(m.groupByPatient([alert(null, 'low'), alert(null, 'low')])).toHaveLength(2);
  });

  it('orders within a group as the queue does: escalated first, then the longest waiting', () => {
    const older = alert('p-3', 'high');
    const newerEscalated = alert('p-3', 'high', { escalationLevel: 1 });
    const newer = alert('p-3', 'high');
    expect(m.groupByPatient([newer, older, newerEscalated])[0]!.alerts.map((a) => a.id)).toEqual([newerEscalated.id, older.id, newer.id]);
  });
});

describe('filters', () => {
  const info: Info = {
    risk: (p) => (p === 'p-1' ? { status: 'High' } : p === 'p-2' ? { status: 'Low', insufficientData: true } : null),
    deviceType: (p, s) => (p === 'p-1' && s === 'CRT' ? 'crt_d' : p ? 'unknown' : null),
  };

  it('round-trips through the address, defaults left out, and reads an old mine=1 as assignee me', () => {
    const f = m.parseFilters('?priority=high&assignee=none&risk=insufficient&type=crt_d&site=mri&snoozed=1');
    expect(f).toEqual({ priority: 'high', kind: '', status: 'active', assignee: 'none', snoozed: true, risk: 'insufficient', type: 'crt_d', site: 'mri' });
    const params = Object.fromEntries(Object.entries(m.filterParams(f)).filter(([, v]) => v !== ''));
    expect(params).toEqual({ priority: 'high', assignee: 'none', snoozed: '1', risk: 'insufficient', type: 'crt_d', site: 'mri' });
    expect(m.parseFilters('?mine=1').assignee).toBe('me');
    expect(m.parseFilters('?mine=1&assignee=none').assignee).toBe('none');
  });

  it('matches by HF risk, device type, assignee and site', () => {
    const f = m.parseFilters('');
    const a = alert('p-1', 'high', { device: 'CRT', assignee: 'me@clinic.example' });
    const b2 = alert('p-2', 'low', { site: 'ward' });
    const c = alert(null, 'low');
    const pass = (q: string, x: Alert) => m.matches(x, { ...f, ...m.parseFilters(q) }, 'me@clinic.example', info);
    expect([a, b2, c].map((x) => pass('', x))).toEqual([true, true, true]);
    expect([a, b2, c].map((x) => pass('?risk=high', x))).toEqual([true, false, false]);
    expect([a, b2, c].map((x) => pass('?risk=insufficient', x))).toEqual([false, true, false]);
    expect([a, b2, c].map((x) => pass('?risk=none', x))).toEqual([false, false, true]);
    expect([a, b2, c].map((x) => pass('?type=crt_d', x))).toEqual([true, false, false]);
    // Not enrolled: no recorded type, so unknown.
    expect([a, b2, c].map((x) => pass('?type=unknown', x))).toEqual([false, true, true]);
    expect([a, b2, c].map((x) => pass('?assignee=me', x))).toEqual([true, false, false]);
    expect([a, b2, c].map((x) => pass('?assignee=none', x))).toEqual([false, true, true]);
    expect([a, b2, c].map((x) => pass('?assignee=me%40clinic.example', x))).toEqual([true, false, false]);
    expect([a, b2, c].map((x) => pass('?site=ward', x))).toEqual([false, true, false]);
    // Without a known email, "me" matches nothing rather than everything unassigned.
    expect(m.matches(c, { ...f, assignee: 'me' }, null, info)).toBe(false);
  });
});

describe('runLimited', () => {
  it('runs at most `limit` at once, keeps each failure as that item’s result, and stops when asked', async () => {
    let running = 0;
    let most = 0;
    const results = await b.runLimited([1, 2, 3, 4, 5, 6, 7], 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 4) throw Object.assign(new Error('no'), { code: 'invalid_transition' });
      return i * 10;
    });
    expect(most).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : r.error?.code))).toEqual([10, 20, 30, 'invalid_transition', 50, 60, 70]);
    let calls = 0;
    const stopped = await b.runLimited([1, 2, 3], 1, async (i) => {
      calls++;
      return i;
    }, { stopped: () => calls >= 1 });
    expect(stopped.map((r) => r.ok)).toEqual([true, false, false]);
    expect(stopped[2]!.error?.code).toBe('not_started');
  });

  it('says why an alert was not changed, naming who was first when the history tells', () => {
    expect(b.failureText('acknowledge', { code: 'skipped' }, { status: 'acknowledged' })).toBe('already acknowledged');
    expect(b.failureText('acknowledge', { code: 'invalid_transition', state: 'acknowledged', by: 'dr.b@clinic.example' }, { status: 'open' }))
      .toBe('already acknowledged by dr.b@clinic.example');
    expect(b.failureText('resolve', { code: 'invalid_transition' }, { status: 'resolved' })).toBe('already resolved by someone else');
    expect(b.failureText('resolve', { code: 'not_found' }, undefined)).toMatch(/^no longer visible to you/);
    expect(b.failureText('resolve', { code: 'bad_message', message: 'outcome must be one of …' }, undefined)).toBe('not resolved: outcome must be one of …');
    expect(b.lastMove([{ type: 'opened', actor: null }, { type: 'acknowledged', actor: 'a@x' }, { type: 'commented', actor: 'b@x' }]))
      .toEqual({ state: 'acknowledged', by: 'a@x' });
    expect(b.lastMove([{ type: 'opened', actor: null }])).toBeNull();
  });
});
