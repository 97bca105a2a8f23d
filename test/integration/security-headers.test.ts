import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';

// Every /v1 route the service registers, called as each kind of caller, must answer with
// the security headers whatever the status: the list comes from the route table, so a
// route added later is checked without a line here.

const EXPECTED: Record<string, (value: string | null) => boolean> = {
  'cache-control': (v) => v === 'no-store',
  'x-content-type-options': (v) => v === 'nosniff',
  'referrer-policy': (v) => v === 'no-referrer',
  // Either control forbids framing.
  'x-frame-options': (v) => v === 'DENY',
  'content-security-policy': (v) => v !== null && /frame-ancestors 'none'/.test(v),
  'cross-origin-resource-policy': (v) => v === 'same-origin',
};

type Caller = 'none' | 'gateway' | 'clinician' | 'analyst' | 'admin';
const CALLERS: Caller[] = ['none', 'gateway', 'clinician', 'analyst', 'admin'];

let tdb: TestDatabase;
let svc: RunningService;
const headers = {} as Record<Caller, Record<string, string>>;
const params: Record<string, string> = { ':id': '1', ':code': 'hdr', ':serial': 'HDR-1' };

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: 'Yq3vN8dKxW2pLr7TfB0sZ-hC5mJ_gE9uAiV4oQ6nXyR' });
  const gw = await seedGateway(tdb.db, 'hdr');
  const origin = { origin: svc.httpUrl };
  const session = async (role: 'clinician' | 'analyst' | 'admin') =>
    ({ ...origin, cookie: await signIn(svc.httpUrl, (await seedUser(tdb.db, role, ['hdr'])).email) });
  headers.none = origin;
  headers.gateway = { ...origin, authorization: `Bearer ${gw.key}` };
  headers.clinician = await session('clinician');
  headers.analyst = await session('analyst');
  headers.admin = await session('admin');
  // A real patient, so that the reads of one answer 200 with patient data, not only 404.
  const created = await fetch(`${svc.httpUrl}/v1/patients`, {
    method: 'POST', headers: { ...headers.admin, 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'hdr', familyName: 'Header', givenName: 'Pat', dateOfBirth: '1950-01-01' }),
  });
  expect(created.status).toBe(201);
  params[':id'] = ((await created.json()) as { patient: { id: string } }).patient.id;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function missing(res: Response): string[] {
  return Object.entries(EXPECTED)
    .filter(([name, ok]) => !ok(res.headers.get(name)))
    .map(([name]) => `${name}: ${res.headers.get(name)}`);
}

async function call(method: string, path: string, extra: Record<string, string> = {}, body?: string): Promise<Response> {
  const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
  const res = await fetch(`${svc.httpUrl}${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...extra },
    body: hasBody ? (body ?? '{}') : undefined,
  });
  await res.arrayBuffer();
  return res;
}

describe('security headers on the API', () => {
  it('are on every answer of every /v1 route, to every kind of caller', async () => {
    const routes = svc.app.routeTable().filter((r) => r.url === '/v1' || r.url.startsWith('/v1/'));
    // Upgrades to the WebSocket routes (GET /v1/ingest, /v1/alerts/stream) answer 101 and
    // carry no body to protect; a plain GET to them is an HTTP answer and is checked here.
    expect(routes.length).toBeGreaterThan(20);
    const statuses = new Set<number>();
    const failures: string[] = [];
    for (const r of routes) {
      const path = r.url.replace(/:[a-z]+/gi, (p) => params[p] ?? '1');
      for (const who of CALLERS) {
        const res = await call(r.method, path, headers[who]);
        statuses.add(res.status);
        const bad = missing(res);
        if (bad.length > 0) failures.push(`${who} ${r.method} ${r.url} → ${res.status}: ${bad.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    // Both sides were exercised: data answered, and callers refused.
    expect(statuses).toContain(200);
    expect(statuses).toContain(401);
  });

  it('are on the error answers that no route gives', async () => {
    const cases: Array<[string, () => Promise<Response>]> = [
      ['unknown /v1 path', () => call('GET', '/v1/no-such-route', headers.admin)],
      ['unknown path outside /v1', () => call('GET', '/no-such-page')],
      ['malformed URL', () => call('GET', '/v1/patients/%zz', headers.admin)],
      ['malformed JSON', () => call('POST', '/v1/patients', headers.admin, '{"site":')],
      ['wrong content type', () => call('POST', '/v1/session', { ...headers.none, 'content-type': 'text/plain' }, 'x')],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(missing(res), `${what} → ${res.status}`).toEqual([]);
    }
  });

  it('leave the dashboard its own policy', async () => {
    const res = await call('GET', '/');
    expect(res.status).toBe(200);
    // Its pages POST to the API: `no-referrer` would make browsers send `Origin: null`.
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });
});
