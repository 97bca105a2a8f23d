import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { postSession } from '../helpers/people.ts';

// The sign-in limit counts failures per client address (50 in 15 minutes). Behind a reverse
// proxy every client shares the proxy's address, unless TRUST_PROXY names the proxy; and a
// client talking to the service directly must not pick its own address with X-Forwarded-For.

const ADDRESS_LIMIT = 50;
let tdb: TestDatabase;
const running: RunningService[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  for (const s of running) await s.close();
  await tdb?.drop();
});

/** A failed sign-in (an unknown account each time, so the per-account limit never trips). */
let n = 0;
const fail = (svc: RunningService, forwardedFor: string) =>
  postSession(svc.httpUrl, { email: `nobody${++n}@example.org`, password: 'wrong password here' }, { 'x-forwarded-for': forwardedFor }).then((r) => r.status);

async function exhaust(svc: RunningService, forwardedFor: (i: number) => string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < ADDRESS_LIMIT; i++) statuses.push(await fail(svc, forwardedFor(i)));
  return statuses;
}

describe('the client address behind a reverse proxy', () => {
  it('with TRUST_PROXY naming the proxy, limits each client by its forwarded address', async () => {
    const svc = await startService(tdb.db, tdb.url, { TRUST_PROXY: '127.0.0.1' });
    running.push(svc);
    expect(new Set(await exhaust(svc, () => '203.0.113.7'))).toEqual(new Set([401]));
    expect(await fail(svc, '203.0.113.7')).toBe(429);
    // Another client behind the same proxy is not locked out with it.
    expect(await fail(svc, '203.0.113.8')).toBe(401);
  });

  it('without TRUST_PROXY, ignores X-Forwarded-For: a client cannot walk around the limit', async () => {
    const svc = await startService(tdb.db, tdb.url);
    running.push(svc);
    expect(new Set(await exhaust(svc, (i) => `198.51.100.${i + 1}`))).toEqual(new Set([401]));
    expect(await fail(svc, '198.51.100.200')).toBe(429);
  });
});
