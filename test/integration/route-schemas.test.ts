import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { RESOLUTIONS } from '../../src/alerts/lifecycle.ts';

// Every route the service registers has a schema: its body, its path parameters and at least
// one documented response, so that /docs describes all of them. The list comes from the route
// table, so a route added later without a schema fails here.

/**
 * Routes that may lack some of it, and why. Every entry must name a registered route, so the
 * list cannot keep routes that are gone.
 */
const ALLOWED: Record<string, { missing: ReadonlyArray<'schema' | 'body' | 'params' | 'response'>; why: string }> = {
  // WebSocket upgrades: their protocol is no request/response (docs/ingest-protocol.md).
  'GET /v1/ingest': { missing: ['response'], why: 'gateway WebSocket; hidden from /docs' },
  'GET /v1/alerts/stream': { missing: ['response'], why: 'dashboard WebSocket; ?after= is checked before the upgrade by the route' },
  // The ingest fast path documents its body but validates it by hand, as the WebSocket does
  // (src/ingest/routes.ts); it is walked like any other route. POST /v1/idco takes HL7 text
  // as bytes, parsed by its own bounded parser: no JSON body for a schema.
  'POST /v1/idco': { missing: ['body'], why: 'HL7 v2 text, not JSON; described by consumes and its description' },
  // The dashboard's page shell and static assets: hidden from /docs, not an API.
  'GET /': { missing: ['response'], why: 'dashboard page' },
  'GET /patients': { missing: ['response'], why: 'dashboard page' },
  'GET /reports/outcomes': { missing: ['response'], why: 'dashboard page' },
  'GET /worklists': { missing: ['response'], why: 'dashboard page' },
  'GET /patients/:id': { missing: ['params', 'response'], why: 'dashboard page; the id is read by the page, not the server' },
  'GET /assets/:name': { missing: ['params', 'response'], why: 'dashboard asset' },
  'GET /assets/vendor/:name': { missing: ['params', 'response'], why: 'dashboard asset' },
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

let tdb: TestDatabase;
let svc: RunningService;
let clinician: Record<string, string>;
let admin: Record<string, string>;
let alert: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { EXPORT_KEY: 'rT0b9Qm3XwKd7LpZs2VfN8yHc5Ju_gE1aAiO4oB6nXy' });
  const gw = await seedGateway(tdb.db, 'schemas');
  const ws = await svc.gateway(gw.key);
  await ws.batch('x', [{ device: 'SCH-1', seq: 1, at: '2026-01-02T02:00:00Z', metric: 'vt_episodes', value: 1 }]);
  ws.close();
  const origin = { origin: svc.httpUrl };
  clinician = { ...origin, cookie: await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['schemas'])).email) };
  admin = { ...origin, cookie: await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email) };
  const alerts = (await (await fetch(`${svc.httpUrl}/v1/alerts`, { headers: clinician })).json()) as { alerts: Array<{ id: string }> };
  alert = alerts.alerts[0]!.id;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

type Schema = { properties?: Record<string, unknown> } & Record<string, unknown>;

describe('the route table', () => {
  it('gives every route a body, path parameter and response schema, or a reason on the allow-list', () => {
    const routes = svc.app.routeTable().filter((r) => r.method !== 'HEAD' && !isDocs(r.url));
    const problems: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      const allowed = new Set(ALLOWED[key]?.missing ?? []);
      const schema = r.schema as (Record<string, unknown> & { body?: Schema; params?: Schema; response?: Record<string, unknown> }) | undefined;
      if (!schema) {
        if (!allowed.has('schema')) problems.push(`${key}: no schema`);
        continue;
      }
      if (BODY_METHODS.has(r.method) && !schema.body && !allowed.has('body')) problems.push(`${key}: no body schema`);
      const names = [...r.url.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]!);
      if (names.length > 0 && !allowed.has('params')) {
        const declared = Object.keys(schema.params?.properties ?? {});
        for (const n of names) if (!declared.includes(n)) problems.push(`${key}: path parameter ${n} has no schema`);
      }
      if (Object.keys(schema.response ?? {}).length === 0 && !allowed.has('response')) problems.push(`${key}: no documented response`);
    }
    expect(problems).toEqual([]);
    // The walk saw the API, not an empty table.
    expect(routes.length).toBeGreaterThan(25);
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(Object.keys(ALLOWED).filter((k) => !registered.has(k))).toEqual([]);
  });

  it('documents the refusals of a JSON body wherever a route takes one: 400, 413 and 415', () => {
    const problems: string[] = [];
    for (const r of svc.app.routeTable()) {
      if (!r.schema?.body) continue;
      const statuses = Object.keys((r.schema.response ?? {}) as Record<string, unknown>);
      for (const status of ['400', '413', '415']) if (!statuses.includes(status)) problems.push(`${r.method} ${r.url}: ${status} not documented`);
    }
    expect(problems).toEqual([]);
  });

  it('documents every error answer of a JSON route as {code, message}', () => {
    const notJson = new Set(['POST /v1/idco', 'GET /health/ready']);
    const problems: string[] = [];
    for (const r of svc.app.routeTable()) {
      const key = `${r.method} ${r.url}`;
      if (r.method === 'HEAD' || notJson.has(key)) continue;
      const responses = (r.schema?.response ?? {}) as Record<string, Schema>;
      for (const [status, s] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        const props = Object.keys(s.properties ?? {}).sort();
        if (props.join() !== 'code,message') problems.push(`${key} ${status}: ${props.join() || 'no properties'}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the OpenAPI document at /docs/json', () => {
  type Operation = {
    requestBody?: { content: Record<string, { schema: Schema & { required?: string[] } }> };
    responses: Record<string, { content?: Record<string, { schema: Schema & { properties: { code?: { enum?: string[] } } } }> }>;
    parameters?: Array<{ in: string; name: string }>;
  };
  let doc: { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    const res = await fetch(`${svc.httpUrl}/docs/json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
  });

  it('shows POST /v1/session with its body and its refusals', () => {
    const op = doc.paths['/v1/session']!.post!;
    const body = op.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties!)).toEqual(['email', 'password']);
    expect(body.required).toEqual(['email', 'password']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '415', '429', '503']));
    expect(op.responses['401']!.content!['application/json']!.schema.properties.code!.enum).toEqual(['bad_credentials']);
  });

  it.each(['acknowledge', 'resolve', 'assign', 'snooze', 'comment'])('shows POST /v1/alerts/{id}/%s with its body, its id and every refusal', (action) => {
    const op = doc.paths[`/v1/alerts/{id}/${action}`]!.post!;
    expect(op.requestBody!.content['application/json']).toBeDefined();
    expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' })]));
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '500']);
    const codes = (status: string) => op.responses[status]!.content!['application/json']!.schema.properties.code!.enum;
    expect(codes('400')).toEqual(['bad_json', 'bad_message']);
    expect(codes('403')).toEqual(['forbidden', 'cross_origin']);
    expect(codes('404')).toEqual(['not_found']);
    expect(codes('409')).toEqual(['invalid_transition']);
  });

  it('shows the resolutions a resolve takes', () => {
    const body = doc.paths['/v1/alerts/{id}/resolve']!.post!.requestBody!.content['application/json']!.schema;
    expect((body.properties!.resolution as { enum: string[] }).enum).toEqual([...RESOLUTIONS]);
  });
});

describe('a schema refusal', () => {
  const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const res = await fetch(`${svc.httpUrl}${path}`, {
      method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body,
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('answers the contract’s bad_message, naming the field as the routes’ own checks do', async () => {
    const patient = JSON.stringify({ site: 'schemas', familyName: 'Shape', givenName: 'Sam', dateOfBirth: '1960-01-01' });
    const cases: Array<[string, string, Record<string, string>, string | undefined, string]> = [
      ['POST', '/v1/patients', admin, `${patient.slice(0, -1)},"colour":"red"}`, 'unknown field: colour'],
      ['POST', '/v1/patients', admin, patient.replace('"Sam"', '42'), 'givenName must be string'],
      ['POST', '/v1/patients', admin, patient.replace(',"dateOfBirth":"1960-01-01"', ''), 'dateOfBirth is required'],
      ['POST', '/v1/patients', admin, '[]', 'the body must be a JSON object'],
      ['POST', '/v1/session', { origin: svc.httpUrl }, '{"email":123,"password":"x"}', 'email must be string'],
      ['POST', `/v1/alerts/${alert}/resolve`, clinician, '{"resolution":"fixed"}', `resolution must be one of ${RESOLUTIONS.join(', ')}`],
      ['POST', `/v1/alerts/${alert}/assign`, clinician, '{"assignee":"someone@clinic.example"}', 'assignee must be integer or null'],
      ['POST', `/v1/alerts/${alert}/snooze`, clinician, '{"until":"next tuesday"}', 'until must be an RFC 3339 date-time with an offset, e.g. 2026-03-04T08:00:00Z'],
      ['GET', '/v1/alerts?limit=ten', clinician, undefined, 'limit must be a whole number from 1 to 1000 (100 when absent)'],
      ['GET', '/v1/alerts?status=open&status=resolved', clinician, undefined, 'status must be given once'],
      ['GET', '/v1/alerts?colour=red', clinician, undefined, 'unknown query parameter: colour'],
      ['GET', '/v1/patients?limit=1e3', clinician, undefined, 'limit must be a whole number from 1 to 1000 (200 when absent)'],
    ];
    for (const [method, path, headers, body, message] of cases) {
      expect(await send(method, path, headers, body), `${method} ${path} ${body ?? ''}`).toEqual({ status: 400, body: { code: 'bad_message', message } });
    }
  });

  it('comes after who may ask: no session is 401 and another origin 403, whatever the query or body', async () => {
    expect((await send('GET', '/v1/alerts?colour=red', { origin: svc.httpUrl })).status).toBe(401);
    expect((await send('POST', '/v1/patients', { origin: svc.httpUrl }, '[]')).status).toBe(401);
    expect(await send('POST', '/v1/session', { origin: 'https://elsewhere.example' }, '[]')).toEqual({ status: 403, body: { code: 'cross_origin', message: expect.any(String) } });
    expect((await send('POST', `/v1/alerts/${alert}/resolve`, { ...clinician, origin: 'https://elsewhere.example' }, '{}')).status).toBe(403);
  });

  it('comes after which alert: an unknown alert is 404 whatever the body', async () => {
    expect(await send('POST', '/v1/alerts/a-999999/resolve', clinician, '{"resolution":5}')).toEqual({ status: 404, body: { code: 'not_found', message: 'no such alert' } });
  });

  it('converts nothing: a number where the schema wants a string is refused, not stored as text', async () => {
    const res = await send('POST', `/v1/alerts/${alert}/comment`, clinician, '{"comment":42}');
    expect(res).toEqual({ status: 400, body: { code: 'bad_message', message: 'comment must be string' } });
  });
});
