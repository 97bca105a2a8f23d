import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { sameOrigin, seedUser, signIn } from '../helpers/people.ts';
import { createPatient } from '../../src/patients/service.ts';
import { testVault } from '../helpers/keys.ts';

// Contact notes on a patient: a phone call, a visit or a message, noted outside any alert by
// a clinician of her site; the text sealed at rest, every read and note audited without it.

const MINUTE = 60_000;
const DAY = 86_400_000;
const SECRET = 'Spoke to daughter Mary Llewellyn on 07700 900123: ankles swollen since Tuesday';
let tdb: TestDatabase;
let svc: RunningService;
let clinician: string;
let clinicianEmail: string;
let otherSite: string;
let analyst: string;
let admin: string;
let patient: string;
let otherPatient: string;

interface Note { id: string; kind: string; contactedAt: string; text: string; author: string; authorName: string; recordedAt: string }
type Answer = { notes?: Note[]; next?: string | null; note?: Note; code?: string; message?: string };

const call = async (method: 'GET' | 'POST', path: string, cookie: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', ...sameOrigin(svc.httpUrl) }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
};
const notesPath = (p = patient) => `/v1/patients/${p}/notes`;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await seedGateway(tdb.db, 'cn');
  await seedGateway(tdb.db, 'cn-other');
  svc = await startService(tdb.db, tdb.url, { ENGINE_CONNECTIVITY_CHECK_MS: '3600000' });
  const c = await seedUser(tdb.db, 'clinician', ['cn']);
  clinicianEmail = c.email;
  clinician = await signIn(svc.httpUrl, c.email);
  otherSite = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['cn-other'])).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['cn'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  const vault = await testVault(tdb.db);
  patient = `p-${await createPatient(tdb.db, vault, { site: 'cn', familyName: 'Llewellyn', givenName: 'Ann', dateOfBirth: '1944-02-02' }, Date.now())}`;
  otherPatient = `p-${await createPatient(tdb.db, vault, { site: 'cn-other', familyName: 'Other', givenName: 'Site', dateOfBirth: '1950-05-05' }, Date.now())}`;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('contact notes', () => {
  it('notes a contact by the signed-in clinician, now when no time is given, and lists it', async () => {
    const before = Date.now();
    const res = await call('POST', notesPath(), clinician, { kind: 'phone_call', text: `  ${SECRET}\n` });
    expect(res.status).toBe(201);
    expect(res.body.note).toMatchObject({ kind: 'phone_call', text: SECRET, author: clinicianEmail });
    expect(res.body.note!.id).toMatch(/^n-\d+$/);
    const at = Date.parse(res.body.note!.contactedAt);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    const list = await call('GET', notesPath(), clinician);
    expect(list.status).toBe(200);
    expect(list.body.notes!.map((n) => n.text)).toEqual([SECRET]);
    expect(list.body.next).toBeNull();
  });

  it('stores the text sealed: the plain text is nowhere in the table', async () => {
    const rows = await sql<{ row: string }>`SELECT contact_notes::text AS row FROM contact_notes`.execute(tdb.db);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.row).not.toContain('Llewellyn');
    expect(rows.rows[0]!.row).not.toContain('ankles');
    const sealed = await sql<{ text_sealed: string }>`SELECT text_sealed FROM contact_notes`.execute(tdb.db);
    expect(sealed.rows[0]!.text_sealed).toMatch(/^v1\./);
  });

  it('lists newest contact first, a page at a time, whatever order they were noted in', async () => {
    const t = Date.now();
    for (const [kind, days] of [['clinic_visit', 3], ['message', 10], ['other', 1], ['phone_call', 20]] as const) {
      const res = await call('POST', notesPath(), admin, { kind, text: `${kind} ${days} days ago`, contactedAt: new Date(t - days * DAY).toISOString() });
      expect(res.status).toBe(201);
    }
    const first = await call('GET', `${notesPath()}?limit=2`, clinician);
    expect(first.body.notes!.map((n) => n.text)).toEqual([SECRET, 'other 1 days ago']);
    expect(first.body.next).toBe(first.body.notes![1]!.id);
    const second = await call('GET', `${notesPath()}?limit=2&before=${first.body.next}`, clinician);
    expect(second.body.notes!.map((n) => n.text)).toEqual(['clinic_visit 3 days ago', 'message 10 days ago']);
    const third = await call('GET', `${notesPath()}?limit=2&before=${second.body.next}`, clinician);
    expect(third.body.notes!.map((n) => n.text)).toEqual(['phone_call 20 days ago']);
    expect(third.body.next).toBeNull();
    // The admin's notes name the admin.
    expect(second.body.notes![0]!.author).not.toBe(clinicianEmail);
  });

  it('refuses malformed, oversized and hostile bodies, writing nothing', async () => {
    const count = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM contact_notes`.execute(tdb.db)).rows[0]!.n;
    const n = await count();
    const bad: unknown[] = [
      {},
      { kind: 'phone_call' },
      { text: 'no kind' },
      { kind: 'telepathy', text: 'x' },
      { kind: 'phone_call', text: '' },
      { kind: 'phone_call', text: '   \n\t ' },
      { kind: 'phone_call', text: 'x'.repeat(2001) },
      { kind: 'phone_call', text: 42 },
      { kind: 'phone_call', text: ['x'] },
      { kind: 'phone_call', text: 'x', extra: true },
      { kind: 'phone_call', text: 'x', author: 'someone@else.example' },
      { kind: 'phone_call', text: 'nul \u0000 inside' },
      { kind: 'phone_call', text: 'escape \u001b[2J' },
      { kind: 'phone_call', text: 'x', contactedAt: new Date(Date.now() + 5 * MINUTE).toISOString() },
      { kind: 'phone_call', text: 'x', contactedAt: '1989-12-31T23:59:59Z' },
      { kind: 'phone_call', text: 'x', contactedAt: 'yesterday' },
      { kind: 'phone_call', text: 'x', contactedAt: '2026-01-01' },
      { kind: 'phone_call', text: 'x', contactedAt: 1767225600000 },
      { kind: 'phone_call', text: 'x', contactedAt: null },
      [],
      'null',
    ];
    for (const body of bad) {
      const res = await call('POST', notesPath(), clinician, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe('bad_message');
    }
    expect(await call('POST', notesPath(), clinician, '{"kind": "phone_call", "text": ')).toMatchObject({ status: 400, body: { code: 'bad_json' } });
    expect(await call('POST', notesPath(), clinician, { kind: 'phone_call', text: 'x'.repeat(20_000) })).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    const text = await fetch(`${svc.httpUrl}${notesPath()}`, { method: 'POST', headers: { cookie: clinician, 'content-type': 'text/plain', ...sameOrigin(svc.httpUrl) }, body: 'a note' });
    expect({ status: text.status, body: await text.json() }).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    expect(await count()).toBe(n);
  });

  it('keeps markup and quotes as text, and a minute of clock skew is allowed', async () => {
    const hostile = `<img src=x onerror="alert(1)">'; DROP TABLE contact_notes; --`;
    const res = await call('POST', notesPath(), clinician, { kind: 'message', text: hostile, contactedAt: new Date(Date.now() + 30_000).toISOString() });
    expect(res.status).toBe(201);
    const list = await call('GET', notesPath(), clinician);
    expect(list.body.notes![0]!.text).toBe(hostile);
  });

  it('refuses bad query strings and cursors', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'limit=1&limit=2', 'before=x', 'before=n-0', 'before=n-99999999999', 'before=p-1', 'other=1']) {
      const res = await call('GET', `${notesPath()}?${q}`, clinician);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('bad_message');
    }
    // A cursor of another patient's note pages nothing of hers.
    const theirs = await call('POST', notesPath(otherPatient), admin, { kind: 'other', text: 'their note' });
    expect(theirs.status).toBe(201);
    const res = await call('GET', `${notesPath()}?before=${theirs.body.note!.id}`, clinician);
    expect(res).toMatchObject({ status: 200, body: { notes: [], next: null } });
  });

  it('answers another site’s clinician 404 whatever the body, an analyst 403, no session 401, another origin 403', async () => {
    expect((await call('GET', notesPath(), otherSite)).status).toBe(404);
    expect((await call('POST', notesPath(), otherSite, { kind: 'phone_call', text: 'x' })).status).toBe(404);
    expect((await call('POST', notesPath(), otherSite, { kind: 'bogus' })).status).toBe(404);
    expect((await call('GET', notesPath(otherPatient), clinician)).status).toBe(404);
    for (const p of ['p-999999', 'p-0', 'x', "p-1'%20OR%201=1", '%2e%2e', 'p-1%00']) {
      expect((await call('GET', notesPath(p), clinician)).status, p).toBe(404);
    }
    expect((await call('GET', notesPath(), analyst)).status).toBe(403);
    expect((await call('POST', notesPath(), analyst, { kind: 'phone_call', text: 'x' })).status).toBe(403);
    expect((await call('GET', notesPath(), '')).status).toBe(401);
    expect((await call('POST', notesPath(), '', { kind: 'phone_call', text: 'x' })).status).toBe(401);
    const cross = await call('POST', notesPath(), clinician, { kind: 'phone_call', text: 'x' }, { origin: 'https://evil.example' });
    expect(cross).toMatchObject({ status: 403, body: { code: 'cross_origin' } });
    const texts = await sql<{ n: number }>`SELECT count(*)::int AS n FROM contact_notes WHERE patient_id = ${Number(patient.slice(2))}`.execute(tdb.db);
    expect(texts.rows[0]!.n).toBe(6);
  });

  it('audits every read and note, by patient and never with the text', async () => {
    const rows = await sql<{ action: string; patient_id: number | null; route: string; detail: unknown }>`
      SELECT action, patient_id, route, detail FROM audit_log WHERE action LIKE 'patient.note%' ORDER BY id`.execute(tdb.db);
    const id = Number(patient.slice(2));
    expect(rows.rows.filter((r) => r.action === 'patient.note.create' && r.patient_id === id)).toHaveLength(6);
    expect(rows.rows.filter((r) => r.action === 'patient.notes.read' && r.patient_id === id).length).toBeGreaterThanOrEqual(6);
    expect(rows.rows.every((r) => r.route === '/v1/patients/:id/notes')).toBe(true);
    const all = JSON.stringify(rows.rows);
    expect(all).not.toContain('Llewellyn');
    expect(all).not.toContain('days ago');
    expect(all).not.toContain('onerror');
  });
});
