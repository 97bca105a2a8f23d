import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { parseAlertId } from '../../src/alerts/present.ts';
import { lockAlertEvents } from '../../src/store/engine-effects.ts';
import { disableUser } from '../../src/auth/users.ts';

// POST /v1/alerts/:id/acknowledge, /resolve, /assign, /snooze and /comment through the
// real service: each transition and its history, each refusal, races, audit and the feed.

const T0 = Date.UTC(2026, 0, 1, 2);
let tdb: TestDatabase;
let svc: RunningService;
const keys: Record<string, string> = {};
let clinA: { id: number; email: string; cookie: string };
let clinA2: { id: number; email: string; cookie: string };
let clinB: { id: number; email: string; cookie: string };
let admin: { id: number; email: string; cookie: string };
let analyst: { id: number; email: string; cookie: string };
let deviceCounter = 0;

async function person(role: 'clinician' | 'admin' | 'analyst', sites: string[]) {
  const u = await seedUser(tdb.db, role, sites);
  return { id: u.id, email: u.email, cookie: await signIn(svc.httpUrl, u.email) };
}

/** A new open high alert (ventricular_arrhythmia) on a new device of `site`; returns its id `a-…`. */
async function raise(site = 'alpha'): Promise<string> {
  const device = `${site}-dev-${++deviceCounter}`;
  const gw = await svc.gateway(keys[site]!);
  await gw.batch('b', [{ device, seq: 1, at: new Date(T0).toISOString(), metric: 'vt_episodes', value: 1 }]);
  gw.close();
  const row = await sql<{ id: number }>`
    SELECT a.id FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${device}`.execute(tdb.db);
  return `a-${String(row.rows[0]!.id).padStart(6, '0')}`;
}

type Json = Record<string, unknown>;

async function post(id: string, action: string, body: unknown, cookie?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: svc.httpUrl, ...(cookie ? { cookie } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function history(id: string): Promise<Json[]> {
  const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/history`, { headers: { cookie: admin.cookie } });
  return ((await res.json()) as { history: Json[] }).history;
}

const lifecycleEvents = async (id: string) => (await history(id)).filter((h) => h.type !== 'opened' && h.type !== 'updated');

async function row(id: string) {
  const res = await sql<Json>`SELECT * FROM alerts WHERE id = ${parseAlertId(id)!}::int8`.execute(tdb.db);
  return res.rows[0]!;
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url);
  keys.alpha = (await seedGateway(tdb.db, 'alpha')).key;
  keys.beta = (await seedGateway(tdb.db, 'beta')).key;
  clinA = await person('clinician', ['alpha']);
  clinA2 = await person('clinician', ['alpha']);
  clinB = await person('clinician', ['beta']);
  admin = await person('admin', []);
  analyst = await person('analyst', ['alpha']);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('transitions', () => {
  it('acknowledge: open -> acknowledged, with its actor, time and comment in the history', async () => {
    const id = await raise();
    const before = Date.now();
    const { status, body } = await post(id, 'acknowledge', { comment: '  looking at it  ' }, clinA.cookie);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, status: 'acknowledged', kind: 'ventricular_arrhythmia', priority: 'high', assignee: null });
    const [event] = await lifecycleEvents(id);
    expect(event).toMatchObject({ type: 'acknowledged', actor: clinA.email, comment: 'looking at it' });
    const r = await row(id);
    expect(r.acknowledged_by).toBe(clinA.id);
    expect((r.acknowledged_at as Date).toISOString()).toBe(event!.at);
    expect(Date.parse(event!.at as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('acknowledge takes an empty or absent body', async () => {
    const id = await raise();
    const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/acknowledge`, { method: 'POST', headers: { origin: svc.httpUrl, cookie: clinA.cookie } });
    expect(res.status).toBe(200);
    expect((await lifecycleEvents(id))[0]).not.toHaveProperty('comment');
  });

  it('resolve: acknowledged -> resolved with a resolution; then only comments are accepted', async () => {
    const id = await raise();
    await post(id, 'acknowledge', {}, clinA.cookie);
    const { status, body } = await post(id, 'resolve', { resolution: 'patient_contacted', comment: 'called, admitted' }, clinA2.cookie);
    expect(status).toBe(200);
    expect(body.status).toBe('resolved');
    const r = await row(id);
    expect(r).toMatchObject({ resolution: 'patient_contacted', resolved_by: clinA2.id });
    const events = await lifecycleEvents(id);
    expect(events.map((e) => [e.type, e.actor])).toEqual([['acknowledged', clinA.email], ['resolved', clinA2.email]]);
    expect(events[1]).toMatchObject({ resolution: 'patient_contacted', comment: 'called, admitted', at: (r.resolved_at as Date).toISOString() });

    for (const [action, reqBody] of [
      ['acknowledge', {}], ['resolve', { resolution: 'other' }], ['assign', { assignee: clinA.id }],
      ['snooze', { until: new Date(Date.now() + 3_600_000).toISOString() }],
    ] as const) {
      const res = await post(id, action, reqBody, clinA.cookie);
      expect(res.status, action).toBe(409);
      expect(res.body.code, action).toBe('invalid_transition');
    }
    expect((await post(id, 'comment', { comment: 'follow-up booked' }, clinA.cookie)).status).toBe(200);
    expect((await lifecycleEvents(id)).map((e) => e.type)).toEqual(['acknowledged', 'resolved', 'commented']);
  });

  it('resolve: open -> resolved directly, without an acknowledgement', async () => {
    const id = await raise();
    const { status, body } = await post(id, 'resolve', { resolution: 'duplicate' }, clinA.cookie);
    expect(status).toBe(200);
    expect(body.status).toBe('resolved');
    expect((await row(id)).acknowledged_at).toBeNull();
  });

  it('a resolved alert frees its slot: the next VT opens a new alert', async () => {
    const id = await raise();
    await post(id, 'resolve', { resolution: 'actioned' }, clinA.cookie);
    const serial = (await sql<{ serial: string }>`SELECT d.serial FROM alerts a JOIN devices d ON d.id = a.device_id WHERE a.id = ${parseAlertId(id)!}::int8`.execute(tdb.db)).rows[0]!.serial;
    const gw = await svc.gateway(keys.alpha!);
    await gw.batch('again', [{ device: serial, seq: 2, at: new Date(T0 + 3_600_000).toISOString(), metric: 'vt_episodes', value: 2 }]);
    gw.close();
    const n = await sql<{ status: string }>`SELECT a.status FROM alerts a JOIN devices d ON d.id = a.device_id WHERE d.serial = ${serial} ORDER BY a.id`.execute(tdb.db);
    expect(n.rows.map((r) => r.status)).toEqual(['resolved', 'open']);
  });

  it('acknowledging an acknowledged alert is 409 invalid_transition', async () => {
    const id = await raise();
    expect((await post(id, 'acknowledge', {}, clinA.cookie)).status).toBe(200);
    const again = await post(id, 'acknowledge', {}, clinA2.cookie);
    expect(again).toEqual({ status: 409, body: { code: 'invalid_transition', message: 'cannot acknowledge an alert that is acknowledged' } });
    expect((await lifecycleEvents(id)).map((e) => e.type)).toEqual(['acknowledged']);
  });

  it('assign: to a clinician of the site, an admin to themself, and back to nobody', async () => {
    const id = await raise();
    const a = await post(id, 'assign', { assignee: clinA2.id }, clinA.cookie);
    expect(a.status).toBe(200);
    expect(a.body.assignee).toBe(clinA2.email);
    expect((await post(id, 'assign', { assignee: admin.id }, admin.cookie)).body.assignee).toBe(admin.email);
    expect((await post(id, 'assign', { assignee: clinA.id }, admin.cookie)).body.assignee).toBe(clinA.email);
    const none = await post(id, 'assign', { assignee: null }, clinA.cookie);
    expect(none.body).toMatchObject({ assignee: null, status: 'open' });
    expect((await row(id)).assignee_id).toBeNull();
    const events = await lifecycleEvents(id);
    expect(events.map((e) => [e.type, e.actor, e.assignee, e.assigneeId])).toEqual([
      ['assigned', clinA.email, clinA2.email, clinA2.id],
      ['assigned', admin.email, admin.email, admin.id],
      ['assigned', admin.email, clinA.email, clinA.id],
      ['assigned', clinA.email, null, null],
    ]);
  });

  it('assign names no one outside the site’s clinicians: an admin, another site’s clinician, an analyst or a disabled account is refused exactly as an id that names no one', async () => {
    const id = await raise();
    const otherAdmin = await person('admin', []);
    const gone = await person('clinician', ['alpha']);
    expect(await disableUser(tdb.db, gone.email)).toBe(true);
    const { max } = (await sql<{ max: number }>`SELECT max(id)::int AS max FROM users`.execute(tdb.db)).rows[0]!;
    const raw = async (assignee: number, cookie: string) => {
      const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/assign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: svc.httpUrl, cookie },
        body: JSON.stringify({ assignee }),
      });
      return { status: res.status, text: await res.text() };
    };
    const nobody = await raw(max + 1000, clinA.cookie);
    expect(nobody.status).toBe(400);
    expect(JSON.parse(nobody.text)).toMatchObject({ code: 'bad_message' });
    const ineligible = [admin, otherAdmin, clinB, analyst, gone];
    const attempts: Array<[{ id: number; email: string }, string]> = [
      ...ineligible.map((u): [{ id: number; email: string }, string] => [u, clinA.cookie]),
      // An admin may take an alert, but not hand it to another admin or outside the site.
      [otherAdmin, admin.cookie], [clinB, admin.cookie], [analyst, admin.cookie],
    ];
    for (const [who, cookie] of attempts) {
      const res = await raw(who.id, cookie);
      expect({ status: res.status, text: res.text }, who.email).toEqual(nobody);
      for (const u of ineligible) expect(res.text, who.email).not.toContain(u.email);
    }
    // Past the int4 range: the same refusal, not a database error.
    expect(await raw(2 ** 31, clinA.cookie)).toEqual(nobody);
    expect(await row(id)).toMatchObject({ assignee_id: null });
    expect(await lifecycleEvents(id)).toEqual([]);
    const listed = await fetch(`${svc.httpUrl}/v1/alerts?status=open`, { headers: { cookie: clinA.cookie } });
    const listedText = await listed.text();
    expect(listed.status).toBe(200);
    for (const u of ineligible) expect(listedText).not.toContain(u.email);

    const ok = await raw(clinA2.id, clinA.cookie);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ id, assignee: clinA2.email });
    expect((await row(id)).assignee_id).toBe(clinA2.id);
  });

  it('snooze: until a time in the future; the alert stays open', async () => {
    const id = await raise();
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 2 * 3_600_000).toISOString();
    const { status, body } = await post(id, 'snooze', { until }, clinA.cookie);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'open', snoozedUntil: until });
    expect((await lifecycleEvents(id))[0]).toMatchObject({ type: 'snoozed', actor: clinA.email, until });
  });

  it('comment: kept in the history exactly as given, markup included', async () => {
    const id = await raise();
    const text = '<script>alert(1)</script> & "quotes" — ünïcødé 🫀';
    const { status } = await post(id, 'comment', { comment: `\n ${text} \t` }, admin.cookie);
    expect(status).toBe(200);
    expect((await lifecycleEvents(id))[0]).toMatchObject({ type: 'commented', actor: admin.email, comment: text });
    expect((await row(id)).status).toBe('open');
  });
});

describe('refusals', () => {
  let id: string;
  beforeAll(async () => {
    id = await raise();
  });

  it('400 for bad bodies, and nothing is written', async () => {
    const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
    const cases: Array<[string, unknown, string]> = [
      ['acknowledge', '{"comment": ', 'bad_json'],
      ['acknowledge', '[1]', 'bad_message'],
      ['acknowledge', { comment: 'x', status: 'resolved' }, 'bad_message'],
      ['resolve', { resolution: 'fixed' }, 'bad_message'],
      ['resolve', {}, 'bad_message'],
      ['snooze', { until: soon(-60_000) }, 'bad_message'],
      ['snooze', { until: soon(8 * 24 * 3_600_000) }, 'bad_message'],
      ['snooze', { until: 'next tuesday' }, 'bad_message'],
      ['snooze', { until: Date.now() + 60_000 }, 'bad_message'],
      ['comment', { comment: 'x'.repeat(2001) }, 'bad_message'],
      ['comment', { comment: '   ' }, 'bad_message'],
      ['comment', {}, 'bad_message'],
      ['assign', { assignee: 999_999 }, 'bad_message'],
      ['assign', { assignee: clinB.id }, 'bad_message'],
      ['assign', { assignee: analyst.id }, 'bad_message'],
      ['assign', { assignee: 'someone@clinic.example' }, 'bad_message'],
    ];
    for (const [action, body, code] of cases) {
      const res = await post(id, action, body, clinA.cookie);
      const what = `${action} ${JSON.stringify(body).slice(0, 60)}`;
      expect(res.status, what).toBe(400);
      expect(res.body.code, what).toBe(code);
    }
    expect(await lifecycleEvents(id)).toEqual([]);
    expect(await row(id)).toMatchObject({ status: 'open', assignee_id: null, snoozed_until: null });
  });

  it('413 for an oversized body, 415 for one that is not JSON', async () => {
    const big = await post(id, 'comment', { comment: 'x'.repeat(40_000) }, clinA.cookie);
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    const text = await post(id, 'comment', 'hello', clinA.cookie, { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('401 signed out, 403 for an analyst, 403 cross-origin, 404 for another site or no such alert', async () => {
    expect((await post(id, 'acknowledge', {})).body.code).toBe('not_signed_in');
    expect((await post(id, 'acknowledge', {}, 'session=forged')).status).toBe(401);
    const asAnalyst = await post(id, 'acknowledge', {}, analyst.cookie);
    expect([asAnalyst.status, asAnalyst.body.code]).toEqual([403, 'forbidden']);
    const foreign = await post(id, 'acknowledge', {}, clinA.cookie, { origin: 'http://evil.example' });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'cross_origin']);
    const res = await fetch(`${svc.httpUrl}/v1/alerts/${id}/acknowledge`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: clinA.cookie }, body: '{}',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).code).toBe('cross_origin');
    for (const action of ['acknowledge', 'resolve', 'assign', 'snooze', 'comment']) {
      const other = await post(id, action, {}, clinB.cookie);
      expect([other.status, other.body.code], action).toEqual([404, 'not_found']);
    }
    expect((await post('a-999999', 'acknowledge', {}, clinA.cookie)).status).toBe(404);
    expect((await post('nope', 'acknowledge', {}, clinA.cookie)).status).toBe(404);
    expect(await lifecycleEvents(id)).toEqual([]);
    expect((await row(id)).status).toBe('open');
  });
});

describe('two clinicians at once', () => {
  it('of two concurrent acknowledges exactly one wins; the other gets 409', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await raise();
      const results = await Promise.all([post(id, 'acknowledge', { comment: 'mine' }, clinA.cookie), post(id, 'acknowledge', { comment: 'mine too' }, clinA2.cookie)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body.code).toBe('invalid_transition');
      const events = await lifecycleEvents(id);
      expect(events).toHaveLength(1);
      const winner = results[0]!.status === 200 ? clinA : clinA2;
      expect(events[0]!.actor).toBe(winner.email);
      expect((await row(id)).acknowledged_by).toBe(winner.id);
    }
  });

  it('the UPDATE itself re-checks the status: two requests past the first check still cannot both win', async () => {
    const id = await raise();
    // Hold the alert-events lock so both requests read `open`, then queue behind it.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const holder = tdb.db.transaction().execute(async (trx) => {
      await lockAlertEvents(trx);
      await released;
    });
    const racing = Promise.all([
      post(id, 'acknowledge', {}, clinA.cookie),
      post(id, 'resolve', { resolution: 'actioned' }, clinA2.cookie),
      post(id, 'acknowledge', {}, clinA2.cookie),
    ]);
    // Wait until all three wait for the lock (not a timing assertion: it only waits).
    for (;;) {
      const w = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks 
        WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(tdb.db);
      if (w.rows[0]!.n >= 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    await holder;
    const results = await racing;
    const ok = results.filter((r) => r.status === 200);
    // Whatever order the lock grants: never two acknowledges, and only legal sequences.
    const types = (await lifecycleEvents(id)).map((e) => e.type);
    expect(types.filter((t) => t === 'acknowledged').length).toBeLessThanOrEqual(1);
    expect([['acknowledged', 'resolved'], ['resolved']]).toContainEqual(types);
    expect(ok).toHaveLength(types.length);
    for (const r of results.filter((x) => x.status !== 200)) expect([r.status, r.body.code]).toEqual([409, 'invalid_transition']);
  });

  it('of two concurrent resolves exactly one wins', async () => {
    const id = await raise();
    const results = await Promise.all([
      post(id, 'resolve', { resolution: 'actioned' }, clinA.cookie),
      post(id, 'resolve', { resolution: 'not_actionable' }, clinA2.cookie),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await lifecycleEvents(id)).filter((e) => e.type === 'resolved')).toHaveLength(1);
  });
});

describe('audit and feed', () => {
  it('audits each call with the device, refused transitions included', async () => {
    const id = await raise();
    const deviceId = (await row(id)).device_id as number;
    await post(id, 'acknowledge', {}, clinA.cookie);
    await post(id, 'acknowledge', {}, clinA.cookie);
    await post(id, 'comment', { comment: 'noted' }, clinA.cookie);
    const audit = await sql<{ action: string; user_id: number; device_id: number; route: string; detail: Json }>`
      SELECT action, user_id, device_id, route, detail FROM audit_log WHERE device_id = ${deviceId} AND action LIKE 'alert.%' ORDER BY id`.execute(tdb.db);
    expect(audit.rows.map((r) => [r.action, r.user_id, r.route])).toEqual([
      ['alert.acknowledge', clinA.id, '/v1/alerts/:id/acknowledge'],
      ['alert.acknowledge', clinA.id, '/v1/alerts/:id/acknowledge'],
      ['alert.comment', clinA.id, '/v1/alerts/:id/comment'],
    ]);
    expect(audit.rows[1]!.detail).toEqual({ refused: 'invalid_transition' });
    expect(JSON.stringify(audit.rows.map((r) => r.detail))).not.toContain('noted');
  });

  it('publishes every committed change on the feed, each alert\'s in order, with the cursor of its history event', async () => {
    const seen: Array<{ cursor: number; alertId: number; type: string }> = [];
    const unsubscribe = svc.app.alertFeed.subscribe((events) => seen.push(...events));
    try {
      const ids = [await raise(), await raise()];
      seen.length = 0;
      await post(ids[0]!, 'assign', { assignee: clinA.id }, clinA.cookie);
      await Promise.all([
        post(ids[0]!, 'acknowledge', {}, clinA.cookie),
        post(ids[1]!, 'acknowledge', {}, clinA2.cookie),
        post(ids[1]!, 'comment', { comment: 'on it' }, clinA.cookie),
      ]);
      await post(ids[0]!, 'snooze', { until: new Date(Date.now() + 3_600_000).toISOString() }, clinA.cookie);
      await post(ids[0]!, 'resolve', { resolution: 'other' }, clinA.cookie);
      await post(ids[0]!, 'resolve', { resolution: 'other' }, clinA.cookie); // refused: not published
      // Concurrent transactions commit in cursor order but may reach the feed out of it: the
      // feed only wakes the streams, which read alert_events by cursor. Every change, once.
      const cursors = seen.map((e) => e.cursor);
      expect(new Set(cursors).size).toBe(6);
      expect(seen).toHaveLength(6);
      // Each published event is the history event of the same cursor.
      const fromHistory = new Map<number, string>();
      for (const id of ids) for (const h of await lifecycleEvents(id)) fromHistory.set(h.cursor as number, h.type as string);
      expect(new Map(seen.map((e) => [e.cursor, e.type]))).toEqual(fromHistory);
      expect(seen.filter((e) => e.alertId === parseAlertId(ids[0]!)).map((e) => e.type)).toEqual(['assigned', 'acknowledged', 'snoozed', 'resolved']);
    } finally {
      unsubscribe();
    }
  });
});
