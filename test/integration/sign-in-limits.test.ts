import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSite } from '../../src/admin/commands.ts';
import { hashesComputed, hashPassword, MAX_CONCURRENT_HASHES, MAX_QUEUED_HASHES, verifyPassword } from '../../src/auth/passwords.ts';
import { SignInLimiter } from '../../src/auth/sign-in-limiter.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { PASSWORD, postSession, seedUser } from '../helpers/people.ts';
import { startService, type RunningService } from '../helpers/service.ts';

// Sign-in limits under concurrency, across instances, and what a refusal leaves behind.
// The services run in this process, so hashesComputed() counts their scrypt runs.

let tdb: TestDatabase;
let a: RunningService;
let b: RunningService;
const lines: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  await createSite(tdb.db, 'mri', 'Manchester Royal Infirmary');
  // TRUST_PROXY lets each test speak from an address of its own, so that the per-address
  // budget (shared by both instances, in the database) spent by one test does not leak into the next.
  a = await startService(tdb.db, tdb.url, { TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info' }, { write: (l) => void lines.push(l) });
  b = await startService(tdb.db, tdb.url, { TRUST_PROXY: '127.0.0.1' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await tdb?.drop();
});

let addressCounter = 0;
const freshAddress = () => `198.51.100.${++addressCounter}`;
const attempt = (svc: RunningService, email: string, password: string, from: string) =>
  postSession(svc.httpUrl, { email, password }, { 'x-forwarded-for': from });
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

describe('parallel wrong passwords for one account', () => {
  it('evaluates at most 5 of 40; the rest are refused 429 without hashing, and another account signs in meanwhile', async () => {
    const victim = await seedUser(tdb.db, 'clinician', ['mri']);
    const other = await seedUser(tdb.db, 'clinician', ['mri']);
    const from = freshAddress();
    const before = hashesComputed();
    const burst = Array.from({ length: 40 }, () => attempt(a, victim.email, 'wrong password!', from));
    const real = await attempt(a, other.email, PASSWORD, freshAddress());
    const answers = await Promise.all(burst);
    const hashes = hashesComputed() - before;

    expect(real.status).toBe(200);
    expect(tally(answers.map((r) => r.status))).toEqual({ 401: 5, 429: 35 });
    // 5 for the burst, 1 for the real sign-in.
    expect(hashes).toBeLessThanOrEqual(6);
    for (const r of answers.filter((x) => x.status === 429)) {
      expect(await r.json()).toMatchObject({ code: 'too_many_sign_ins' });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    }
    // And the account stays locked, even for the right password.
    expect((await attempt(a, victim.email, PASSWORD, freshAddress())).status).toBe(429);
  });
});

describe('two instances on one database', () => {
  it('share the per-account limit: failures on either count against both', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const from = freshAddress();
    for (let i = 0; i < 3; i++) expect((await attempt(a, u.email, 'wrong password!', from)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await attempt(b, u.email, 'wrong password!', from)).status).toBe(401);
    expect((await attempt(a, u.email, PASSWORD, from)).status).toBe(429);
    expect((await attempt(b, u.email, PASSWORD, from)).status).toBe(429);
  });

  it('share it under a parallel burst split between them: at most 5 evaluated', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const from = freshAddress();
    const before = hashesComputed();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(i % 2 ? a : b, u.email, 'wrong password!', from)));
    expect(hashesComputed() - before).toBeLessThanOrEqual(5);
    expect(tally(answers.map((r) => r.status))).toEqual({ 401: 5, 429: 35 });
  });

  it('share the per-address limit (50 in 15 minutes) across accounts', async () => {
    const from = freshAddress();
    for (let i = 0; i < 50; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => attempt(j % 2 ? a : b, `spray${i + j}@clinic.example`, 'wrong password!', from)));
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(401));
    }
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    expect((await attempt(a, u.email, PASSWORD, from)).status).toBe(429);
    expect((await attempt(b, u.email, PASSWORD, from)).status).toBe(429);
  });

  it('clear an account on success on one instance for both', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const from = freshAddress();
    for (let i = 0; i < 4; i++) expect((await attempt(a, u.email, 'wrong password!', from)).status).toBe(401);
    expect((await attempt(b, u.email, PASSWORD, from)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt(a, u.email, 'wrong password!', from)).status).toBe(401);
    expect((await attempt(a, u.email, PASSWORD, from)).status).toBe(200);
  });
});

describe('the limiter on its own (two limiters, one database)', () => {
  it('grants exactly max slots to parallel reservations, and a released slot is free again', async () => {
    const rules = { account: { max: 5, windowMs: 60_000 }, address: { max: 50, windowMs: 60_000 } };
    const one = new SignInLimiter(tdb.db, { rules });
    const two = new SignInLimiter(tdb.db, { rules });
    const key = `limiter-${Date.now()}@clinic.example`;
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).reserve('account', key)));
    expect(rs.filter((r) => r.allowed)).toHaveLength(5);
    const refused = rs.find((r) => !r.allowed)!;
    expect(refused.allowed || refused.retryAfterMs).toBeGreaterThan(59_000);
    await one.release(rs.find((r) => r.allowed)!);
    const again = new SignInLimiter(tdb.db, { rules });
    expect((await again.reserve('account', key)).allowed).toBe(true);
    expect((await again.reserve('account', key)).allowed).toBe(false);
  });
});

describe('a failed sign-in', () => {
  it('leaves an audit row with the source address, the account tried and a reason; the log has address and reason, not the email', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const from = '203.0.113.77';
    expect((await attempt(a, u.email.toUpperCase(), 'wrong password!', from)).status).toBe(401);
    expect((await attempt(a, 'nobody.here@clinic.example', 'wrong password!', from)).status).toBe(401);
    const rows = await tdb.db
      .selectFrom('audit_log')
      .select(['user_id', 'role', 'action', 'route', 'detail'])
      .where('action', '=', 'session.refused')
      .where(({ ref }) => ref('detail', '->>').key('address' as never), '=', from)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { user_id: null, role: null, action: 'session.refused', route: '/v1/session', detail: { email: u.email, address: from, reason: 'wrong_password' } },
      { user_id: null, role: null, action: 'session.refused', route: '/v1/session', detail: { email: 'nobody.here@clinic.example', address: from, reason: 'unknown_account' } },
    ]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'sign-in refused' && l.address === from);
    expect(logged.map((l) => l.reason)).toEqual(['wrong_password', 'unknown_account']);
    expect(lines.join('')).not.toContain(u.email);
    expect(lines.join('')).not.toContain('nobody.here@clinic.example');
  });
});

describe('password hashes saturated', () => {
  it('answers 503 unavailable with Retry-After, without spending an attempt', async () => {
    const u = await seedUser(tdb.db, 'clinician', ['mri']);
    const stored = await hashPassword('some other password');
    // Fill the process's hash slots and queue from here: the service shares them.
    const filler = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES }, () => verifyPassword('x'.repeat(12), stored).catch(() => false));
    const from = freshAddress();
    const r = await attempt(a, u.email, PASSWORD, from);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ code: 'sign_in_busy' });
    expect(r.headers.get('retry-after')).toBe('1');
    await Promise.all(filler);
    // Not counted: five wrong passwords are still evaluated before the lock.
    for (let i = 0; i < 5; i++) expect((await attempt(a, u.email, 'wrong password!', from)).status).toBe(401);
    expect((await attempt(a, u.email, PASSWORD, from)).status).toBe(429);
  });
});
