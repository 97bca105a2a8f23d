import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { disableUser, revoke } from '../../src/admin/commands.ts';

// The authorisation matrix: every route the service registers × every kind of caller, with
// the answer each must get. A route added without a line here fails the first test, so no
// route can ship without its access being decided.

type Principal = 'none' | 'gateway' | 'revokedGateway' | 'expiredSession' | 'clinicianA' | 'clinicianB' | 'analystA' | 'admin';
const PRINCIPALS: Principal[] = ['none', 'gateway', 'revokedGateway', 'expiredSession', 'clinicianA', 'clinicianB', 'analystA', 'admin'];

/**
 * Who may call a route. `site`: the route reads or changes one resource of site A (the alert,
 * the patient, the site): a clinician of site B gets 404, as if it did not exist.
 */
type Access =
  | { kind: 'public' }
  | { kind: 'websocket' }
  | { kind: 'gateway' }
  | { kind: 'users'; roles: ReadonlyArray<'clinician' | 'analyst' | 'admin'>; site: boolean };

const clinical = (site: boolean): Access => ({ kind: 'users', roles: ['clinician', 'admin'], site });
const ACCESS: Record<string, Access> = {
  'GET /': { kind: 'public' },
  'GET /health/live': { kind: 'public' },
  'GET /health/ready': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  'GET /patients': { kind: 'public' }, // the dashboard's page shell; its data comes from the API
  'GET /patients/:id': { kind: 'public' },
  'GET /reports/outcomes': { kind: 'public' }, // the Outcomes page's shell
  'GET /worklists': { kind: 'public' },
  'GET /assets/:name': { kind: 'public' },
  'GET /assets/vendor/:name': { kind: 'public' },
  'POST /v1/session': { kind: 'public' }, // sign-in
  'GET /v1/session': { kind: 'users', roles: ['clinician', 'analyst', 'admin'], site: false },
  'DELETE /v1/session': { kind: 'public' }, // sign-out answers 204 to anyone (people.test.ts)
  'GET /v1/ingest': { kind: 'websocket' },
  'GET /v1/alerts/stream': { kind: 'websocket' },
  'POST /v1/readings': { kind: 'gateway' },
  'POST /v1/idco': { kind: 'gateway' },
  'GET /v1/alerts': clinical(false),
  'GET /v1/alerts/:id/history': clinical(true),
  'POST /v1/alerts/:id/acknowledge': clinical(true),
  'POST /v1/alerts/:id/assign': clinical(true),
  'POST /v1/alerts/:id/resolve': clinical(true),
  'POST /v1/alerts/:id/snooze': clinical(true),
  'POST /v1/alerts/:id/comment': clinical(true),
  'POST /v1/alerts/:id/outcome': clinical(true),
  'GET /v1/reports/outcomes': clinical(false), // site is a query parameter: another site's is 404 (alert-outcomes.test.ts)
  'GET /v1/patients': clinical(false),
  'POST /v1/patients': { kind: 'users', roles: ['admin'], site: false },
  'GET /v1/patients/:id': clinical(true),
  'GET /v1/patients/:id/readings': clinical(true),
  'GET /v1/patients/:id/heart-failure': clinical(true),
  'GET /v1/patients/:id/episodes': clinical(true),
  'GET /v1/patients/:id/transmissions': clinical(true),
  'POST /v1/patients/:id/devices': { kind: 'users', roles: ['admin'], site: true },
  'DELETE /v1/patients/:id/devices/:serial': { kind: 'users', roles: ['admin'], site: true },
  'GET /v1/patients/:id/engine-settings': clinical(true),
  'PUT /v1/patients/:id/engine-settings': clinical(true),
  'DELETE /v1/patients/:id/engine-settings': clinical(true),
  'POST /v1/patients/:id/engine-settings/preview': clinical(true),
  'GET /v1/patients/:id/conditions': clinical(true),
  'POST /v1/patients/:id/conditions': clinical(true),
  'POST /v1/patients/:id/conditions/:condition/end': clinical(true),
  'GET /v1/patients/:id/device-events': clinical(true),
  'POST /v1/patients/:id/device-events': clinical(true),
  'DELETE /v1/patients/:id/device-events/:event': clinical(true),
  'GET /v1/patients/:id/notes': clinical(true),
  'POST /v1/patients/:id/notes': clinical(true),
  'GET /v1/worklists/overdue': clinical(false),
  'GET /v1/worklists/assigned': clinical(false),
  'GET /v1/sites/:code/engine-settings': clinical(true),
  'PUT /v1/sites/:code/engine-settings': { kind: 'users', roles: ['admin'], site: true },
  'DELETE /v1/sites/:code/engine-settings': { kind: 'users', roles: ['admin'], site: true },
  'POST /v1/sites/:code/engine-settings/preview': { kind: 'users', roles: ['admin'], site: true },
  'GET /v1/exports/timeline': { kind: 'users', roles: ['analyst'], site: false },
};
const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

let tdb: TestDatabase;
let svc: RunningService;
const headers: Record<Principal, Record<string, string>> = {} as never;
const params: Record<string, string> = {};

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: 'DKw8r-AMLvgoW31ox7F-sOzVdgORH1rqpzDk4piAzoE' });
  const gwA = await seedGateway(tdb.db, 'alpha');
  await seedGateway(tdb.db, 'beta');
  const revoked = await seedGateway(tdb.db, 'alpha');
  await revoke(tdb.db, revoked.id);
  const gw = await svc.gateway(gwA.key);
  await gw.batch('x', [{ device: 'A-1', seq: 1, at: '2026-01-02T02:00:00Z', metric: 'vt_episodes', value: 1 }]);
  gw.close();

  const origin = { origin: svc.httpUrl };
  const session = async (role: 'clinician' | 'analyst' | 'admin', sites: string[]) =>
    ({ ...origin, cookie: await signIn(svc.httpUrl, (await seedUser(tdb.db, role, sites)).email) });
  headers.none = { ...origin };
  headers.gateway = { ...origin, authorization: `Bearer ${gwA.key}` };
  headers.revokedGateway = { ...origin, authorization: `Bearer ${revoked.key}` };
  headers.clinicianA = await session('clinician', ['alpha']);
  headers.clinicianB = await session('clinician', ['beta']);
  headers.analystA = await session('analyst', ['alpha']);
  headers.admin = await session('admin', []);
  const gone = await seedUser(tdb.db, 'clinician', ['alpha']);
  headers.expiredSession = { ...origin, cookie: await signIn(svc.httpUrl, gone.email) };
  await disableUser(tdb.db, gone.email);

  const alerts = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: headers.admin })).json()) as { alerts: Array<{ id: string }> };
  params[':id/alert'] = alerts.alerts[0]!.id;
  const created = await fetch(`${svc.httpUrl}/v1/patients`, {
    method: 'POST', headers: { ...headers.admin, 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'alpha', familyName: 'Matrix', givenName: 'Pat', dateOfBirth: '1950-01-01' }),
  });
  params[':id/patient'] = ((await created.json()) as { patient: { id: string } }).patient.id;
  params[':code'] = 'alpha';
  params[':serial'] = 'A-1';
  const enrolled = await fetch(`${svc.httpUrl}/v1/patients/${params[':id/patient']}/devices`, {
    method: 'POST', headers: { ...headers.admin, 'content-type': 'application/json' }, body: JSON.stringify({ serial: 'A-1' }),
  });
  expect(enrolled.status).toBe(200);
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

function pathOf(url: string): string {
  const kind = url.startsWith('/v1/alerts') ? 'alert' : 'patient';
  return url.replace(':id', params[`:id/${kind}`]!).replace(':code', params[':code']!).replace(':serial', params[':serial']!).replace(':condition', 'c-1');
}

const routes = () => svc.app.routeTable().filter((r) => r.method !== 'HEAD' && !isDocs(r.url));

describe('the authorisation matrix', () => {
  it('has a decided access for every route the service registers', () => {
    const undecided = routes().map((r) => `${r.method} ${r.url}`).filter((k) => !ACCESS[k]);
    expect(undecided).toEqual([]);
  });

  it('refuses every caller a route does not admit, with 401 or 403 (404 for another site)', async () => {
    const checked: string[] = [];
    for (const r of routes()) {
      const access = ACCESS[`${r.method} ${r.url}`]!;
      if (access.kind === 'public' || access.kind === 'websocket') continue;
      for (const who of PRINCIPALS) {
        const expected = refusal(access, who);
        if (expected === null) continue;
        const res = await fetch(`${svc.httpUrl}${pathOf(r.url)}`, {
          method: r.method,
          headers: { ...headers[who], ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
          body: r.method === 'GET' || r.method === 'DELETE' ? undefined : '{}',
        });
        await res.arrayBuffer();
        expect(res.status, `${who} → ${r.method} ${r.url}`).toBe(expected);
        checked.push(`${who} ${r.method} ${r.url}`);
      }
    }
    expect(checked.length).toBeGreaterThan(120);
  });

  it('admits every caller a route does admit (whatever the body makes of it)', async () => {
    for (const r of routes()) {
      const access = ACCESS[`${r.method} ${r.url}`]!;
      if (access.kind !== 'users') continue;
      for (const who of PRINCIPALS) {
        if (refusal(access, who) !== null) continue;
        const res = await fetch(`${svc.httpUrl}${pathOf(r.url)}`, {
          method: r.method,
          headers: { ...headers[who], ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
          body: r.method === 'GET' || r.method === 'DELETE' ? undefined : '{}',
        });
        await res.arrayBuffer();
        expect([401, 403], `${who} → ${r.method} ${r.url} answered ${res.status}`).not.toContain(res.status);
        // A read of site A's resource by a caller admitted to it finds it (a change may
        // legitimately find nothing left to change after the previous caller's).
        if (access.site && r.method === 'GET') expect(res.status, `${who} → ${r.method} ${r.url}`).toBe(200);
      }
    }
  });

  it('refuses WebSocket upgrades to the wrong callers before the upgrade', async () => {
    const status = (path: string, who: Principal) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${svc.httpUrl.replace('http', 'ws')}${path}`, { headers: headers[who] });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(0));
      });
    expect(await status('/v1/ingest', 'none')).toBe(401);
    expect(await status('/v1/ingest', 'clinicianA')).toBe(401);
    expect(await status('/v1/ingest', 'revokedGateway')).toBe(401);
    expect(await status('/v1/ingest', 'gateway')).toBe(101);
    expect(await status('/v1/alerts/stream', 'none')).toBe(401);
    expect(await status('/v1/alerts/stream', 'gateway')).toBe(401);
    expect(await status('/v1/alerts/stream', 'expiredSession')).toBe(401);
    expect(await status('/v1/alerts/stream', 'analystA')).toBe(403);
    expect(await status('/v1/alerts/stream', 'clinicianA')).toBe(101);
  });
});

/** The status a principal must get from a route, or null when it is admitted. */
function refusal(access: Access, who: Principal): number | null {
  if (access.kind === 'gateway') return who === 'gateway' ? null : 401;
  if (access.kind !== 'users') return null;
  const role = who === 'clinicianA' || who === 'clinicianB' ? 'clinician' : who === 'analystA' ? 'analyst' : who === 'admin' ? 'admin' : null;
  if (role === null) return 401; // no session, a gateway key, a revoked key, an ended session
  if (!access.roles.includes(role)) return 403;
  if (access.site && who === 'clinicianB') return 404;
  return null;
}
