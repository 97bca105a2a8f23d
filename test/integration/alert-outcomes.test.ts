import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { parseAlertId } from '../../src/alerts/present.ts';

// Outcomes of resolved alerts through the real service: given with the resolution or later,
// carried by the alert object, the stream and the export, refused when malformed or not
// the caller's, and counted by the outcome report.

const T0 = Date.UTC(2026, 0, 1, 2);
const DAY = 86_400_000;
const KEY = 'test export key, long enough to be accepted';
let tdb: TestDatabase;
let svc: RunningService;
const keys: Record<string, string> = {};
type Person = { id: number; email: string; cookie: string };
let clinA: Person;
let clinB: Person;
let clinG: Person;
let admin: Person;
let analyst: Person;
let deviceCounter = 0;

async function person(role: 'clinician' | 'admin' | 'analyst', sites: string[]): Promise<Person> {
  const u = await seedUser(tdb.db, role, sites);
  return { id: u.id, email: u.email, cookie: await signIn(svc.httpUrl, u.email) };
}

/** A new open alert on a new device of `site`: ventricular_arrhythmia, or shock_delivered. */
async function raise(site = 'alpha', metric: 'vt_episodes' | 'shocks_delivered' = 'vt_episodes'): Promise<{ id: string; device: string }> {
  const device = `${site}-dev-${++deviceCounter}`;
  const gw = await svc.gateway(keys[site]!);
  await gw.batch('b', [{ device, seq: 1, at: new Date(T0).toISOString(), metric, value: 1 }]);
  gw.close();
  const row = await sql<{ id: number }>`
    SELECT a.id FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device}`.execute(tdb.db);
  return { id: `a-${String(row.rows[0]!.id).padStart(6, '0')}`, device };
}

type Json = Record<string, unknown>;

async function post(path: string, body: unknown, cookie?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: svc.httpUrl, ...(cookie ? { cookie } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function get(path: string, cookie?: string) {
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: res.status, body: (await res.json()) as Json };
}

async function history(id: string): Promise<Json[]> {
  return (await get(`/v1/alerts/${id}/history`, admin.cookie)).body.history as Json[];
}

async function alertInList(id: string, cookie = clinA.cookie): Promise<Json | undefined> {
  const { body } = await get('/v1/alerts?status=resolved&limit=1000', cookie);
  return (body.alerts as Json[]).find((a) => a.id === id);
}

async function outcomeColumn(id: string): Promise<unknown> {
  return (await sql<{ outcome: string | null }>`SELECT outcome FROM alerts WHERE id = ${parseAlertId(id)!}::int8`.execute(tdb.db)).rows[0]!.outcome;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: KEY });
  for (const site of ['alpha', 'beta', 'gamma']) keys[site] = (await seedGateway(tdb.db, site)).key;
  clinA = await person('clinician', ['alpha']);
  clinB = await person('clinician', ['beta']);
  clinG = await person('clinician', ['gamma']);
  admin = await person('admin', []);
  analyst = await person('analyst', ['alpha']);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('recording an outcome', () => {
  it('with the resolution: the alert object, the list and the history carry it', async () => {
    const { id } = await raise();
    const { status, body } = await post(`/v1/alerts/${id}/resolve`, { resolution: 'actioned', outcome: 'confirmed_treated' }, clinA.cookie);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, status: 'resolved', resolution: 'actioned', outcome: 'confirmed_treated' });
    expect(await alertInList(id)).toMatchObject({ resolution: 'actioned', outcome: 'confirmed_treated' });
    expect((await history(id)).find((h) => h.type === 'resolved')).toMatchObject({ resolution: 'actioned', outcome: 'confirmed_treated', actor: clinA.email });
    expect(await outcomeColumn(id)).toBe('confirmed_treated');
  });

  it('the contract’s resolve without one leaves it null; it is recorded and changed later, each time in the history', async () => {
    const { id } = await raise();
    const resolved = await post(`/v1/alerts/${id}/resolve`, { resolution: 'patient_contacted' }, clinA.cookie);
    expect(resolved.status).toBe(200);
    expect(resolved.body.outcome).toBeNull();
    expect((await history(id)).find((h) => h.type === 'resolved')).not.toHaveProperty('outcome');

    const first = await post(`/v1/alerts/${id}/outcome`, { outcome: 'other_cause', comment: 'chest infection, treated by GP' }, clinA.cookie);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, status: 'resolved', outcome: 'other_cause' });
    const second = await post(`/v1/alerts/${id}/outcome`, { outcome: 'non_adherence' }, admin.cookie);
    expect(second.body.outcome).toBe('non_adherence');
    expect(await alertInList(id)).toMatchObject({ outcome: 'non_adherence' });

    const changes = (await history(id)).filter((h) => h.type === 'outcome');
    expect(changes).toEqual([
      expect.objectContaining({ actor: clinA.email, outcome: 'other_cause', comment: 'chest infection, treated by GP' }),
      expect.objectContaining({ actor: admin.email, outcome: 'non_adherence' }),
    ]);
    expect(changes[1]).not.toHaveProperty('comment');
    // The comment is sealed at rest like every other comment.
    const raw = await sql<{ data: Json }>`SELECT data FROM alert_events WHERE alert_id = ${parseAlertId(id)!}::int8 AND type = 'outcome' ORDER BY cursor`.execute(tdb.db);
    expect(JSON.stringify(raw.rows)).not.toContain('chest infection');
    // Audited as its own action, without the comment.
    const audit = await sql<{ detail: Json }>`SELECT detail FROM audit_log WHERE action = 'alert.outcome' AND user_id = ${clinA.id}`.execute(tdb.db);
    expect(audit.rows).toHaveLength(1);
    expect(JSON.stringify(audit.rows)).not.toContain('chest');
  });

  it('only on a resolved alert: 409 on an open or acknowledged one, and nothing written', async () => {
    const { id } = await raise();
    expect((await post(`/v1/alerts/${id}/outcome`, { outcome: 'artefact' }, clinA.cookie)).body.code).toBe('invalid_transition');
    await post(`/v1/alerts/${id}/acknowledge`, {}, clinA.cookie);
    const res = await post(`/v1/alerts/${id}/outcome`, { outcome: 'artefact' }, clinA.cookie);
    expect(res).toMatchObject({ status: 409, body: { code: 'invalid_transition' } });
    expect(await outcomeColumn(id)).toBeNull();
    expect((await history(id)).some((h) => h.type === 'outcome')).toBe(false);
  });

  it('the database holds only the vocabulary, and only on resolved alerts', async () => {
    const { id } = await raise();
    const n = parseAlertId(id)!;
    await expect(sql`UPDATE alerts SET outcome = 'artefact' WHERE id = ${n}::int8`.execute(tdb.db)).rejects.toThrow(/alerts_outcome_resolved/);
    await post(`/v1/alerts/${id}/resolve`, { resolution: 'other' }, clinA.cookie);
    await expect(sql`UPDATE alerts SET outcome = 'fine' WHERE id = ${n}::int8`.execute(tdb.db)).rejects.toThrow(/alerts_outcome_check/);
  });

  it('reaches the live stream with the change', async () => {
    const { id } = await raise();
    await post(`/v1/alerts/${id}/resolve`, { resolution: 'other' }, clinA.cookie);
    const cursor = Number((await history(id)).at(-1)!.cursor);
    const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}/v1/alerts/stream?after=${cursor}`, { headers: { cookie: clinA.cookie, origin: svc.httpUrl } });
    const message = new Promise<Json>((resolve, reject) => {
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as Json;
        if (m.type === 'alert') resolve(m);
      });
      ws.once('error', reject);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    await post(`/v1/alerts/${id}/outcome`, { outcome: 'known_condition' }, clinA.cookie);
    const m = await message;
    ws.close();
    expect(m).toMatchObject({ alert: { id, outcome: 'known_condition' }, change: { type: 'outcome', actor: clinA.email } });
  });
});

describe('refusals', () => {
  let resolvedId: string;
  beforeAll(async () => {
    resolvedId = (await raise()).id;
    await post(`/v1/alerts/${resolvedId}/resolve`, { resolution: 'duplicate', outcome: 'artefact' }, clinA.cookie);
  });

  it('a malformed, hostile or oversized outcome is a 400 naming the field, and nothing is written', async () => {
    const { id } = await raise();
    const before = await history(id);
    for (const outcome of ['confirmed', 'ARTEFACT', '', null, 1, true, ['artefact'], { artefact: 1 }, '__proto__', 'toString', 'artefact\u0000', "artefact' OR '1'='1", 'x'.repeat(10_000)]) {
      const res = await post(`/v1/alerts/${id}/resolve`, { resolution: 'actioned', outcome }, clinA.cookie);
      expect(res.status, JSON.stringify(outcome).slice(0, 40)).toBe(400);
      expect(res.body.code).toBe('bad_message');
      expect(String(res.body.message)).toMatch(/^outcome /);
    }
    expect((await post(`/v1/alerts/${id}/resolve`, { resolution: 'actioned', outcome: 'artefact', extra: 1 }, clinA.cookie)).body.message).toMatch(/unknown field: extra/);
    expect((await history(id))).toEqual(before);
    expect((await alertInList(id))).toBeUndefined();
  });

  it('the outcome route refuses a missing or unknown outcome, unknown fields, bad JSON, other types and large bodies', async () => {
    const bad: Array<[unknown, number, string]> = [
      [{}, 400, 'bad_message'],
      [{ comment: 'x' }, 400, 'bad_message'],
      [{ outcome: null }, 400, 'bad_message'],
      [{ outcome: 'nope' }, 400, 'bad_message'],
      [{ outcome: 'artefact', resolution: 'actioned' }, 400, 'bad_message'],
      [{ outcome: 'artefact', comment: '' }, 400, 'bad_message'],
      [{ outcome: 'artefact', comment: 'x'.repeat(2001) }, 400, 'bad_message'],
      [[], 400, 'bad_message'],
      ['{"outcome":', 400, 'bad_json'],
      [JSON.stringify({ outcome: 'artefact', comment: 'x'.repeat(40 * 1024) }), 413, 'payload_too_large'],
    ];
    for (const [body, status, code] of bad) {
      const res = await post(`/v1/alerts/${resolvedId}/outcome`, body, clinA.cookie);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
    }
    const text = await fetch(`${svc.httpUrl}/v1/alerts/${resolvedId}/outcome`, {
      method: 'POST', headers: { 'content-type': 'text/plain', origin: svc.httpUrl, cookie: clinA.cookie }, body: 'artefact',
    });
    expect(text.status).toBe(415);
    expect(await outcomeColumn(resolvedId)).toBe('artefact');
  });

  it('another site’s clinician gets 404, an analyst 403, no session 401, another origin 403', async () => {
    const body = { outcome: 'confirmed_treated' };
    expect(await post(`/v1/alerts/${resolvedId}/outcome`, body, clinB.cookie)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await post(`/v1/alerts/${resolvedId}/outcome`, body, analyst.cookie)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await post(`/v1/alerts/${resolvedId}/outcome`, body)).status).toBe(401);
    expect(await post(`/v1/alerts/${resolvedId}/outcome`, body, clinA.cookie, { origin: 'https://evil.example' })).toMatchObject({ status: 403, body: { code: 'cross_origin' } });
    expect((await post('/v1/alerts/a-999999/outcome', body, clinA.cookie)).status).toBe(404);
    expect((await post('/v1/alerts/..%2f..%2fetc/outcome', body, clinA.cookie)).status).toBe(404);
    expect(await outcomeColumn(resolvedId)).toBe('artefact');
  });
});

describe('the export', () => {
  it('carries the outcome on alert_resolved rows, and on alert_outcome rows when asked for, never the comment', async () => {
    const { id, device } = await raise();
    const patient = await post('/v1/patients', { site: 'alpha', familyName: 'Outcome', givenName: 'Pat', dateOfBirth: '1950-01-01' }, admin.cookie);
    const pid = (patient.body.patient as { id: string }).id;
    expect((await post(`/v1/patients/${pid}/devices`, { serial: device }, admin.cookie)).status).toBe(200);
    await post(`/v1/alerts/${id}/resolve`, { resolution: 'actioned', outcome: 'confirmed_no_change', comment: 'SECRET-RESOLVE-NOTE' }, clinA.cookie);
    await post(`/v1/alerts/${id}/outcome`, { outcome: 'artefact', comment: 'SECRET-OUTCOME-NOTE' }, clinA.cookie);

    // By default only the contract's events: the resolution's outcome, no alert_outcome row.
    const plain = await (await fetch(`${svc.httpUrl}/v1/exports/timeline?format=ndjson`, { headers: { cookie: analyst.cookie } })).text();
    const plainRows = plain.trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(plainRows.filter((r) => r.event === 'alert_outcome')).toEqual([]);
    expect(plainRows.find((r) => r.event === 'alert_resolved')).toMatchObject({ outcome: 'confirmed_no_change' });

    const res = await fetch(`${svc.httpUrl}/v1/exports/timeline?format=ndjson&include=outcomes`, { headers: { cookie: analyst.cookie } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('SECRET');
    const rows = text.trim().split('\n').map((l) => JSON.parse(l) as Json);
    const resolved = rows.filter((r) => r.event === 'alert_resolved');
    const changed = rows.filter((r) => r.event === 'alert_outcome');
    expect(resolved).toHaveLength(1);
    expect(changed).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ resolution: 'actioned', outcome: 'confirmed_no_change', actor_role: 'clinician', kind: 'ventricular_arrhythmia' });
    expect(changed[0]).toMatchObject({ outcome: 'artefact', resolution: null, actor_role: 'clinician', alert: resolved[0]!.alert });
    expect(rows.filter((r) => r.event === 'alert_opened').every((r) => r.outcome === null)).toBe(true);

    const csv = await (await fetch(`${svc.httpUrl}/v1/exports/timeline?format=csv&include=outcomes`, { headers: { cookie: analyst.cookie } })).text();
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header!.split(',').at(-1)).toBe('outcome');
    expect(lines.find((l) => l.includes(',alert_outcome,'))!.split(',').at(-1)).toBe('artefact');
  });
});

describe('GET /v1/reports/outcomes', () => {
  const report = (query: string, cookie?: string) => get(`/v1/reports/outcomes${query}`, cookie);
  let from: string;
  let to: string;

  beforeAll(async () => {
    // gamma: 4 VT alerts (2 true, 1 artefact, 1 resolved without an outcome), 1 shock still
    // open, and one VT alert raised before the period.
    const vt = await Promise.all([0, 1, 2, 3].map(() => raise('gamma', 'vt_episodes')));
    const shock = await raise('gamma', 'shocks_delivered');
    const early = await raise('gamma', 'vt_episodes');
    await post(`/v1/alerts/${vt[0]!.id}/resolve`, { resolution: 'actioned', outcome: 'confirmed_treated' }, clinG.cookie);
    await post(`/v1/alerts/${vt[1]!.id}/resolve`, { resolution: 'actioned', outcome: 'confirmed_no_change' }, clinG.cookie);
    await post(`/v1/alerts/${vt[2]!.id}/resolve`, { resolution: 'not_actionable' }, clinG.cookie);
    await post(`/v1/alerts/${vt[2]!.id}/outcome`, { outcome: 'artefact' }, clinG.cookie);
    await post(`/v1/alerts/${vt[3]!.id}/resolve`, { resolution: 'other' }, clinG.cookie);
    await post(`/v1/alerts/${early.id}/resolve`, { resolution: 'actioned', outcome: 'artefact' }, clinG.cookie);
    const raisedAt = (await get(`/v1/alerts?kind=shock_delivered`, clinG.cookie)).body.alerts as Json[];
    expect(raisedAt.map((a) => a.id)).toEqual([shock.id]);
    await sql`UPDATE alerts SET raised_at = raised_at - interval '40 days' WHERE id = ${parseAlertId(early.id)!}::int8`.execute(tdb.db);
    from = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
    to = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
  });

  it('counts the site’s alerts raised in [from, to) per kind, with PPV and its Wilson interval', async () => {
    const { status, body } = await report(`?site=gamma&from=${from}&to=${to}`, clinG.cookie);
    expect(status).toBe(200);
    const none = { confirmed_treated: 0, confirmed_no_change: 0, other_cause: 0, non_adherence: 0, known_condition: 0, artefact: 0, no_action_needed: 0 };
    expect(body).toEqual({
      site: 'gamma', from: `${from}T00:00:00.000Z`, to: `${to}T00:00:00.000Z`,
      kinds: [
        {
          kind: 'ventricular_arrhythmia', raised: 4, resolved: 4, withoutOutcome: 1,
          outcomes: { ...none, confirmed_treated: 1, confirmed_no_change: 1, artefact: 1 },
          ppv: 0.667, ppvLow: 0.208, ppvHigh: 0.939,
        },
        { kind: 'shock_delivered', raised: 1, resolved: 0, withoutOutcome: 0, outcomes: none, ppv: null, ppvLow: null, ppvHigh: null },
      ],
      total: { raised: 5, resolved: 4, withoutOutcome: 1, outcomes: { ...none, confirmed_treated: 1, confirmed_no_change: 1, artefact: 1 }, ppv: 0.667, ppvLow: 0.208, ppvHigh: 0.939 },
    });
    // Without bounds, the early alert counts too.
    const all = await report('?site=gamma', clinG.cookie);
    expect(all.body.total).toMatchObject({ raised: 6, resolved: 5, ppv: 0.5 });
    // A period with none: empty.
    const empty = await report('?site=gamma&from=2020-01-01&to=2020-02-01', clinG.cookie);
    expect(empty.body).toMatchObject({ kinds: [], total: { raised: 0, ppv: null } });
  });

  it('is audited', async () => {
    await report(`?site=gamma&from=${from}`, clinG.cookie);
    const rows = await sql<{ detail: Json; route: string }>`
      SELECT detail, route FROM audit_log WHERE action = 'alert.outcome_report' AND user_id = ${clinG.id} ORDER BY id DESC LIMIT 1`.execute(tdb.db);
    expect(rows.rows[0]).toEqual({ route: '/v1/reports/outcomes', detail: { site: 'gamma', from: `${from}T00:00:00.000Z`, to: null } });
  });

  it('clinicians see their own sites only; admins any; analysts and strangers none', async () => {
    // Without a site: the caller's sites. clinB (beta) has no alerts; admin sees all three sites.
    expect((await report('', clinB.cookie)).body.total).toMatchObject({ raised: 0 });
    const mine = await report('', clinG.cookie);
    expect(mine.body.total).toMatchObject({ raised: 6 });
    const everything = await report('', admin.cookie);
    expect((everything.body.total as { raised: number }).raised).toBeGreaterThan(6);
    expect((await report('?site=gamma', admin.cookie)).body.total).toMatchObject({ raised: 6 });
    // Another site's report is as if the site did not exist.
    expect(await report('?site=gamma', clinB.cookie)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await report('?site=nowhere', admin.cookie)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await report('?site=gamma', analyst.cookie)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await report('?site=gamma')).status).toBe(401);
  });

  it('refuses malformed, repeated, unknown, oversized and hostile parameters with 400', async () => {
    for (const q of [
      '?from=yesterday', '?to=2026-13-01', '?from=2026-02-30', '?from=2026-03-01T00:00:00', `?from=${'9'.repeat(100)}`,
      '?from=2026-03-02&to=2026-03-01', '?site=gamma&site=alpha', '?kind=battery', `?site=${'x'.repeat(65)}`, '?from[]=1',
    ]) {
      const res = await report(q, clinG.cookie);
      expect([res.status, res.body.code], q.slice(0, 60)).toEqual([400, 'bad_message']);
    }
    // Hostile text is a site code like any other: no such site.
    for (const site of ["gamma' OR '1'='1", 'gamma;DROP TABLE alerts', '%00', '<script>']) {
      expect((await report(`?site=${encodeURIComponent(site)}`, clinG.cookie)).status, site).toBe(404);
    }
    expect((await report('?site=gamma', clinG.cookie)).status).toBe(200);
  });
});
