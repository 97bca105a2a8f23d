import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { disableUser } from '../../src/admin/commands.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { PASSWORD, postSession, seedUser, signIn } from '../helpers/people.ts';
import { createSite } from '../../src/admin/commands.ts';

let tdb: TestDatabase;
let svc: RunningService;
const lines: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { LOG_LEVEL: 'trace' }, { write: (l) => void lines.push(l) });
  await createSite(tdb.db, 'mri', 'Manchester Royal Infirmary');
  await createSite(tdb.db, 'leeds', 'Leeds General');
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const get = (cookie?: string) => fetch(`${svc.httpUrl}/v1/session`, { headers: cookie ? { cookie } : {} });
const del = (cookie: string, headers: Record<string, string> = { origin: svc.httpUrl }) =>
  fetch(`${svc.httpUrl}/v1/session`, { method: 'DELETE', headers: { cookie, ...headers } });

describe('signing in and out', () => {
  it('signs in, answers who is signed in, and signs out', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri', 'leeds']);
    const res = await postSession(svc.httpUrl, { email: u.email, password: PASSWORD });
    expect(res.status).toBe(200);
    const me = { user: { id: u.id, name: u.name, email: u.email, role: 'clinician', sites: ['leeds', 'mri'] } };
    expect(await res.json()).toEqual(me);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${12 * 3600}`);
    expect(setCookie).not.toContain('Secure'); // COOKIE_SECURE defaults to false
    const cookie = setCookie.split(';')[0]!;

    expect(await (await get(cookie)).json()).toEqual(me);

    const out = await del(cookie);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await get(cookie);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ code: 'not_signed_in' });
  });

  it('stores only the SHA-256 of the token, and audits sign-in and sign-out', async () => {
    const u = await seedUser(tdb.db, 'analyst', ['mri']);
    const cookie = await signIn(svc.httpUrl, u.email);
    const token = cookie.slice('session='.length);
    const rows = await tdb.db.selectFrom('sessions').selectAll().where('user_id', '=', u.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(rows[0]!.expires_at.getTime() - rows[0]!.created_at.getTime()).toBe(12 * 3600_000);
    await del(cookie);
    expect(await tdb.db.selectFrom('sessions').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
    const audit = await tdb.db.selectFrom('audit_log').select(['action', 'role', 'route']).where('user_id', '=', u.id).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'session.create', role: 'analyst', route: '/v1/session' },
      { action: 'session.delete', role: 'analyst', route: '/v1/session' },
    ]);
  });

  it('replaces the session a browser already holds when it signs in again', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const first = await signIn(svc.httpUrl, u.email);
    const again = await postSession(svc.httpUrl, { email: u.email, password: PASSWORD }, { cookie: first });
    expect(again.status).toBe(200);
    expect((await get(first)).status).toBe(401);
    expect(await tdb.db.selectFrom('sessions').select('user_id').where('user_id', '=', u.id).execute()).toHaveLength(1);
  });

  it('ignores the case of the email; an admin sees every site', async () => {
    const u = await seedUser(tdb.db, 'admin');
    const res = await postSession(svc.httpUrl, { email: `  ${u.email.toUpperCase()} `, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { role: 'admin', sites: expect.arrayContaining(['leeds', 'mri']) } });
  });

  it('gives a wrong password, an unknown email and a disabled account the same 401', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const d = await seedUser(tdb.db, 'clinician', ['mri']);
    const before = await signIn(svc.httpUrl, d.email);
    expect(await disableUser(tdb.db, d.email)).toBe(true);
    expect((await get(before)).status).toBe(401); // disabling ends open sessions

    const answers = await Promise.all([
      postSession(svc.httpUrl, { email: u.email, password: `${PASSWORD}x` }),
      postSession(svc.httpUrl, { email: 'nobody@clinic.example', password: PASSWORD }),
      postSession(svc.httpUrl, { email: d.email, password: PASSWORD }),
    ]);
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: await r.json(), cookie: r.headers.get('set-cookie') })));
    expect(bodies[0]).toEqual({ status: 401, body: { code: 'bad_credentials', message: expect.any(String) }, cookie: null });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('ends a session idle for longer than SESSION_IDLE_MINUTES', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(svc.httpUrl, u.email);
    const hash = createHash('sha256').update(cookie.slice('session='.length)).digest();
    const backdate = (minutes: number) =>
      tdb.db.updateTable('sessions').set({ last_seen_at: sql`now() - make_interval(mins => ${minutes})` }).where('token_hash', '=', hash).execute();
    await backdate(29);
    expect((await get(cookie)).status).toBe(200); // and this request counts as activity
    const seen = await tdb.db.selectFrom('sessions').select('last_seen_at').where('token_hash', '=', hash).executeTakeFirstOrThrow();
    expect(Date.now() - seen.last_seen_at.getTime()).toBeLessThan(60_000);
    await backdate(31);
    expect((await get(cookie)).status).toBe(401);
    expect(await tdb.db.selectFrom('sessions').select('user_id').where('token_hash', '=', hash).execute()).toEqual([]);
  });
});

describe('failed sign-ins', () => {
  it('locks an account for 15 minutes after 5 failures, even for the right password', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    for (let i = 0; i < 5; i++) expect((await postSession(svc.httpUrl, { email: u.email, password: 'wrong password!' })).status).toBe(401);
    const locked = await postSession(svc.httpUrl, { email: u.email.toUpperCase(), password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(await locked.json()).toMatchObject({ code: 'too_many_sign_ins' });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    // Another account from the same address is not affected.
    const other = await seedUser(tdb.db, 'clinician', ['mri']);
    expect((await postSession(svc.httpUrl, { email: other.email, password: PASSWORD })).status).toBe(200);
  });

  it('limits failures from one address across accounts (50 per 15 minutes)', async () => {
    // An address of its own (through a trusted proxy): the limit is kept in the database,
    // shared by every instance, and this spends the address's whole budget.
    const own = await startService(tdb.db, tdb.url, { TRUST_PROXY: '127.0.0.1' });
    const from = { 'x-forwarded-for': '192.0.2.50' };
    try {
      const u = await seedUser(tdb.db, 'clinician', ['mri']);
      for (let i = 0; i < 50; i++) {
        const r = await postSession(own.httpUrl, { email: `spray${i}@clinic.example`, password: 'wrong password!' }, from);
        expect(r.status).toBe(401);
      }
      const r = await postSession(own.httpUrl, { email: u.email, password: PASSWORD }, from);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).not.toBeNull();
    } finally {
      await own.close();
    }
  });

  it('clears an account\'s failures on a successful sign-in', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    for (let i = 0; i < 4; i++) await postSession(svc.httpUrl, { email: u.email, password: 'wrong password!' });
    expect((await postSession(svc.httpUrl, { email: u.email, password: PASSWORD })).status).toBe(200);
    // The success cleared the account's failures: four more are allowed before a lock.
    for (let i = 0; i < 4; i++) expect((await postSession(svc.httpUrl, { email: u.email, password: 'wrong password!' })).status).toBe(401);
    expect((await postSession(svc.httpUrl, { email: u.email, password: PASSWORD })).status).toBe(200);
  });
});

describe('cross-site requests', () => {
  it('refuses a sign-in without the service origin, and accepts a same-origin Referer', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const body = { email: u.email, password: PASSWORD };
    const attempts: Array<Record<string, string>> = [{ origin: '' }, { origin: 'https://evil.example' }, { origin: 'null' }, { referer: 'https://evil.example/login' }];
    for (const headers of attempts) {
      const r = await fetch(`${svc.httpUrl}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'cross_origin' });
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    const ok = await fetch(`${svc.httpUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', referer: `${svc.httpUrl}/dashboard` },
      body: JSON.stringify(body),
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a cross-site sign-out and leaves the session alive', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(svc.httpUrl, u.email);
    const r = await del(cookie, { origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect((await del(cookie, {})).status).toBe(403);
    expect((await get(cookie)).status).toBe(200);
  });
});

describe('COOKIE_SECURE=true', () => {
  it('marks the cookie Secure and refuses state-changing requests from http pages', async () => {
    const own = await startService(tdb.db, tdb.url, { COOKIE_SECURE: 'true' });
    try {
      const u = await seedUser(tdb.db, 'clinician', ['mri']);
      const overHttp = await postSession(own.httpUrl, { email: u.email, password: PASSWORD });
      expect(overHttp.status).toBe(403);
      // As behind a TLS proxy that passes the Host header through.
      const host = new URL(own.httpUrl).host;
      const r = await postSession(own.httpUrl, { email: u.email, password: PASSWORD }, { origin: `https://${host}` });
      expect(r.status).toBe(200);
      expect(r.headers.get('set-cookie')).toMatch(/; Secure/);
    } finally {
      await own.close();
    }
  });
});

describe('hostile input to POST /v1/session', () => {
  const raw = (body: string, contentType = 'application/json') =>
    fetch(`${svc.httpUrl}/v1/session`, { method: 'POST', headers: { 'content-type': contentType, origin: svc.httpUrl }, body });

  it.each([
    ['malformed JSON', '{"email": "a@b", "password":', 400, 'bad_json'],
    ['empty body', '', 400, 'bad_json'],
    ['JSON null', 'null', 400, 'bad_message'],
    ['an array', '[]', 400, 'bad_message'],
    ['no password', '{"email":"a@clinic.example"}', 400, 'bad_message'],
    ['no email', '{"password":"a long enough password"}', 400, 'bad_message'],
    ['a number for email', '{"email":123,"password":"a long enough password"}', 400, 'bad_message'],
    ['an array for email', '{"email":["a@b"],"password":"a long enough password"}', 400, 'bad_message'],
    ['an object for password', '{"email":"a@b","password":{"$ne":""}}', 400, 'bad_message'],
    ['an oversized body', JSON.stringify({ email: 'a@b', password: 'x'.repeat(10_000) }), 413, 'payload_too_large'],
    ['an overlong email', JSON.stringify({ email: `${'a'.repeat(300)}@b`, password: PASSWORD }), 400, 'bad_message'],
  ])('%s -> %i %s', async (_what, body, status, code) => {
    const r = await raw(body);
    expect(r.status).toBe(status);
    expect(await r.json()).toMatchObject({ code });
  });

  it('takes JSON only (a form post is 415)', async () => {
    const r = await raw('email=a%40b&password=x', 'application/x-www-form-urlencoded');
    expect(r.status).toBe(415);
  });

  it('treats a garbage or oversized cookie as no session', async () => {
    for (const cookie of ['session=', 'session=garbage', `session=${'a'.repeat(5000)}`, 'session=a; session=b']) {
      const r = await get(cookie);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ code: 'not_signed_in' });
    }
  });
});

describe('logs', () => {
  it('never carry a password, a session token or an email', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    await postSession(svc.httpUrl, { email: u.email, password: 'the wrong password' });
    const cookie = await signIn(svc.httpUrl, u.email);
    await get(cookie);
    await del(cookie);
    const text = lines.join('');
    expect(text).toContain('/v1/session');
    expect(text).toContain('sign-in refused');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('the wrong password');
    expect(text).not.toContain(cookie.slice('session='.length));
    expect(text).not.toContain(u.email);
  });
});
