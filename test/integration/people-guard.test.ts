import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordAudit } from '../../src/auth/audit.ts';
import { canSeeSite, requireUser, signedInUser } from '../../src/auth/guard.ts';
import { sessionRoutes } from '../../src/auth/routes.ts';
import { SessionStore } from '../../src/auth/sessions.ts';
import { createSite } from '../../src/admin/commands.ts';
import { installErrorHandlers } from '../../src/http/errors.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// The guard as a clinician-facing route uses it, on a small app whose session
// clock the test moves: no sleeping.

const MIN = 60_000;
let tdb: TestDatabase;
let app: FastifyInstance;
let url: string;
let now = Date.UTC(2026, 10, 30, 8, 0);
let mri: number;
let leeds: number;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  mri = (await createSite(tdb.db, 'mri', 'Manchester Royal Infirmary')).id;
  leeds = (await createSite(tdb.db, 'leeds', 'Leeds General')).id;
  const sessions = new SessionStore(tdb.db, { idleMs: 30 * MIN, maxMs: 12 * 60 * MIN, secure: false, now: () => now });
  app = Fastify();
  installErrorHandlers(app);
  await app.register(sessionRoutes, { db: tdb.db, sessions });
  app.get('/t/any', { preHandler: requireUser(sessions) }, async (req) => ({ user: signedInUser(req) }));
  app.get<{ Params: { site: string } }>('/t/sites/:site', { preHandler: requireUser(sessions, 'clinician', 'admin') }, async (req) => ({
    visible: canSeeSite(signedInUser(req), Number(req.params.site)),
  }));
  app.post('/t/patients/:id/notes', { preHandler: requireUser(sessions, 'clinician') }, async (req, reply) => {
    await recordAudit(tdb.db, { user: signedInUser(req), action: 'note.create', route: req.routeOptions.url, patientId: 7, detail: { chars: 12 } });
    return reply.code(204).send();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  await app?.close();
  await tdb?.drop();
});

const call = (path: string, cookie?: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) } });

describe('requireUser', () => {
  it('sets request.user to the signed-in user with their site ids', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri', 'leeds']);
    const r = await call('/t/any', await signIn(url, u.email));
    expect(await r.json()).toEqual({ user: { id: u.id, role: 'clinician', name: u.name, email: u.email, siteIds: [mri, leeds].sort((a, b) => a - b) } });
  });

  it('answers 401 not_signed_in without a session', async () => {
    for (const cookie of [undefined, 'session=nope']) {
      const r = await call('/t/any', cookie);
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ code: 'not_signed_in', message: expect.any(String) });
    }
  });

  it('answers 403 forbidden for a role the route does not admit', async () => {
    const a = await seedUser(tdb.db, 'analyst', ['mri']);
    const r = await call(`/t/sites/${mri}`, await signIn(url, a.email));
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ code: 'forbidden' });
  });

  it('scopes sites: a clinician sees their own, an admin every one', async () => {
    const c = await seedUser(tdb.db, 'clinician', ['mri']);
    const ccookie = await signIn(url, c.email);
    expect(await (await call(`/t/sites/${mri}`, ccookie)).json()).toEqual({ visible: true });
    expect(await (await call(`/t/sites/${leeds}`, ccookie)).json()).toEqual({ visible: false });
    const admin = await seedUser(tdb.db, 'admin');
    expect(await (await call(`/t/sites/${leeds}`, await signIn(url, admin.email))).json()).toEqual({ visible: true });
  });

  it('refuses a state-changing request without the service origin (403 cross_origin), admits it with', async () => {
    const c = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(url, c.email);
    const post = (headers: Record<string, string>) => call('/t/patients/7/notes', cookie, { method: 'POST', headers });
    const attempts: Array<Record<string, string>> = [{}, { origin: 'https://evil.example' }, { referer: 'http://127.0.0.1:1/x' }];
    for (const headers of attempts) {
      const r = await post(headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'cross_origin' });
    }
    expect(await tdb.db.selectFrom('audit_log').select('id').where('user_id', '=', c.id).where('action', '=', 'note.create').execute()).toEqual([]);
    expect((await post({ origin: url })).status).toBe(204);
    expect((await post({ referer: `${url}/patients/7` })).status).toBe(204);
  });
});

describe('session lifetime (the store\'s clock, moved by the test)', () => {
  it('ends a session after 30 idle minutes; activity keeps it alive', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(url, u.email);
    now += 29 * MIN;
    expect((await call('/t/any', cookie)).status).toBe(200);
    now += 29 * MIN; // 58 minutes after sign-in, 29 after the last request
    expect((await call('/t/any', cookie)).status).toBe(200);
    now += 30 * MIN;
    expect((await call('/t/any', cookie)).status).toBe(401);
    now -= 30 * MIN; // the session is gone, not merely refused at that time
    expect((await call('/t/any', cookie)).status).toBe(401);
  });

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(url, u.email);
    for (let elapsed = 0; elapsed < 12 * 60 - 20; elapsed += 20) {
      now += 20 * MIN;
      expect((await call('/t/any', cookie)).status, `after ${elapsed + 20} min`).toBe(200);
    }
    now += 20 * MIN;
    expect((await call('/t/any', cookie)).status).toBe(401);
  });
});

describe('the audit log', () => {
  it('records who did what to which patient, and cannot be changed or emptied by the service', async () => {
    const c = await seedUser(tdb.db, 'clinician', ['mri']);
    const cookie = await signIn(url, c.email);
    expect((await call('/t/patients/7/notes', cookie, { method: 'POST', headers: { origin: url } })).status).toBe(204);
    const row = await tdb.db.selectFrom('audit_log').selectAll().where('user_id', '=', c.id).where('action', '=', 'note.create').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'clinician', route: '/t/patients/:id/notes', patient_id: 7, device_id: null, detail: { chars: 12 } });

    // The service's own connection (the table's owner) is refused by the triggers.
    await expect(tdb.db.updateTable('audit_log').set({ action: 'nothing' }).where('id', '=', row.id).execute()).rejects.toThrow(/append-only/);
    await expect(tdb.db.deleteFrom('audit_log').where('id', '=', row.id).execute()).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_log`.execute(tdb.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(tdb.db)).rejects.toThrow(/append-only/);
    const still = await tdb.db.selectFrom('audit_log').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(still).toEqual(row);
  });
});
