import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/index.ts';
import { readings } from '../helpers/gateway.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { expectUnharmed, RUNS, startWatched, type Watched } from './harness.ts';
import { anyJsonText, brokenText, hl7Message, hostileToken, nearValidBatch } from './hostile.ts';

// Fuzzing the HTTP bodies of every route that takes one: never a 5xx, every refusal a
// {code, message} body from the error table, nothing logged at error level, and the
// service still serving afterwards.

let w: Watched;
let admin: Record<string, string>;
let clinician: Record<string, string>;
let patient: string;
let alert: string;

beforeAll(async () => {
  w = await startWatched(inject('pgAdminUrl'), { EXPORT_KEY: '3GFfrZZqDfd55pxYTs-gqIL3BdAlBl_a8JTvxCTPC3E' });
  const gw = await w.svc.gateway(w.key);
  await gw.batch('seed', [{ device: 'HTTP-1', seq: 1, at: '2026-01-02T02:00:00Z', metric: 'vt_episodes', value: 1 }]);
  gw.close();
  const origin = w.svc.httpUrl;
  admin = { origin, cookie: await signIn(origin, (await seedUser(w.tdb.db, 'admin')).email) };
  clinician = { origin, cookie: await signIn(origin, (await seedUser(w.tdb.db, 'clinician', [w.site])).email) };
  const created = await post('/v1/patients', JSON.stringify({ site: w.site, familyName: 'Fuzz', givenName: 'Fay', dateOfBirth: '1960-01-01' }), admin);
  patient = ((await created.json()) as { patient: { id: string } }).patient.id;
  const alerts = (await (await fetch(`${origin}/v1/alerts`, { headers: clinician })).json()) as { alerts: Array<{ id: string }> };
  alert = alerts.alerts[0]!.id;
});
afterAll(async () => {
  await w?.close();
});

function post(path: string, body: string, headers: Record<string, string>, method = 'POST', type = 'application/json') {
  return fetch(`${w.svc.httpUrl}${path}`, { method, headers: { 'content-type': type, ...headers }, body });
}

/** Not a 5xx, and a refusal is a {code, message} body. */
async function expectAnswered(res: Response, allowed: number[]): Promise<void> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  expect(allowed, `${res.status} ${text.slice(0, 300)}`).toContain(res.status);
  if (res.status >= 400) expect(JSON.parse(text)).toEqual({ code: expect.any(String), message: expect.any(String) });
}

const patientBody = fc
  .record({
    site: fc.oneof(fc.constant(null), hostileToken),
    familyName: fc.oneof(fc.constant(null), hostileToken),
    givenName: fc.oneof(fc.constant(null), hostileToken),
    dateOfBirth: fc.oneof(fc.constant(null), hostileToken, fc.constantFrom('"1950-02-29"', '"1952-02-29"', '"2999-01-01"', '"1950-1-1"')),
    nhsNumber: fc.option(fc.oneof(hostileToken, fc.constantFrom('"9434765919"', '"943 476 5919"', '"0000000000"'))),
    sex: fc.option(hostileToken),
    extra: fc.option(fc.tuple(fc.constantFrom('"__proto__"', '"constructor"', '"id"'), hostileToken)),
  })
  .map((r) => {
    const parts = [
      `"site":${r.site ?? JSON.stringify(w.site)}`, `"familyName":${r.familyName ?? '"Fuzz"'}`,
      `"givenName":${r.givenName ?? '"Fay"'}`, `"dateOfBirth":${r.dateOfBirth ?? '"1960-01-01"'}`,
    ];
    if (r.nhsNumber !== null) parts.push(`"nhsNumber":${r.nhsNumber}`);
    if (r.sex !== null) parts.push(`"sex":${r.sex}`);
    if (r.extra) parts.push(`${r.extra[0]}:${r.extra[1]}`);
    return `{${parts.join(',')}}`;
  });

/** Partial engine configurations: real sections and keys, hostile values, and keys that are not. */
const sections = Object.entries(DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>);
const settingsBody = fc.oneof(
  { weight: 3, arbitrary: fc.array(
    fc.tuple(
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...sections.map(([k]) => k)) }, fc.constantFrom('__proto__', 'constructor', 'prototype', '')),
      fc.nat(),
      fc.oneof({ weight: 4, arbitrary: fc.double().map((x) => (Number.isFinite(x) ? String(x) : '1e400')) }, hostileToken),
    ),
    { minLength: 1, maxLength: 4 },
  ).map((entries) => `{${entries.map(([section, i, value]) => {
    const keys = Object.keys(sections.find(([k]) => k === section)?.[1] ?? { __proto__: 0, constructor: 0 });
    return `${JSON.stringify(section)}:{${JSON.stringify(keys[i % keys.length] ?? 'x')}:${value}}`;
  }).join(',')}}`) },
  anyJsonText,
);

describe('HTTP bodies under fuzzing', () => {
  it('POST /v1/readings', async () => {
    const key = { authorization: `Bearer ${w.key}` };
    await fc.assert(fc.asyncProperty(fc.oneof(nearValidBatch(false), anyJsonText, brokenText), async (body) => {
      await expectAnswered(await post('/v1/readings', body, key), [200, 400, 413, 429]);
    }), { numRuns: RUNS * 2 });
    await expectUnharmed(w);
  });

  it('POST /v1/session', async () => {
    const credentials = fc.tuple(hostileToken, hostileToken).map(([e, p]) => `{"email":${e},"password":${p}}`);
    await fc.assert(fc.asyncProperty(fc.oneof(credentials, anyJsonText, brokenText), async (body) => {
      await expectAnswered(await post('/v1/session', body, { origin: w.svc.httpUrl }), [400, 401, 413, 415, 429]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('POST /v1/patients', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: patientBody }, anyJsonText, brokenText), async (body) => {
      await expectAnswered(await post('/v1/patients', body, admin), [201, 400, 404, 409, 413]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('POST /v1/patients/:id/devices', async () => {
    const enrol = fc.tuple(hostileToken, fc.option(hostileToken)).map(([s, t]) => `{"serial":${s}${t ? `,"deviceType":${t}` : ''}}`);
    await fc.assert(fc.asyncProperty(fc.oneof(enrol, anyJsonText), async (body) => {
      await expectAnswered(await post(`/v1/patients/${patient}/devices`, body, admin), [200, 400, 404, 409, 413]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('POST /v1/patients/:id/device-events', async () => {
    const field = fc.constantFrom('kind', 'at', 'serial', 'replaces', 'leads', 'metrics', '__proto__', 'constructor');
    const kind = fc.constantFrom('"implant"', '"generator_change"', '"lead_revision"', '"reprogramming"', '"explant"');
    const event = fc.tuple(kind, fc.array(fc.tuple(field, hostileToken), { maxLength: 4 }))
      .map(([k, kv]) => `{"kind":${k}${kv.map(([f, v]) => `,"${f}":${v}`).join('')}}`);
    await fc.assert(fc.asyncProperty(fc.oneof(event, anyJsonText), async (body) => {
      await expectAnswered(await post(`/v1/patients/${patient}/device-events`, body, admin), [201, 400, 404, 409, 413]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('DELETE /v1/patients/:id/devices/:serial with hostile serials', async () => {
    // Path segments as sent: every byte percent-encoded, and raw sequences that are not UTF-8.
    const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    const serial = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }).map(pct),
      fc.constantFrom('a%00b', '%ED%A0%80', '%C0%80', '%FF', '%', '%zz', '__proto__', '..', 'HTTP-1'),
    );
    await fc.assert(fc.asyncProperty(serial, async (s) => {
      const res = await fetch(`${w.svc.httpUrl}/v1/patients/${patient}/devices/${s}`, { method: 'DELETE', headers: admin });
      await expectAnswered(res, [204, 400, 404]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('the alert lifecycle routes, with hostile bodies and alert ids', async () => {
    const action = fc.constantFrom('acknowledge', 'resolve', 'assign', 'snooze', 'comment', 'outcome');
    const id = fc.oneof({ weight: 4, arbitrary: fc.constant(alert) }, fc.string({ unit: 'binary', maxLength: 30 }).map(encodeURIComponent), fc.constantFrom('a-0', 'a--1', 'a-99999999999999999999', '__proto__', '%00'));
    const field = fc.constantFrom('comment', 'resolution', 'outcome', 'assignee', 'until', '__proto__');
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.tuple(field, hostileToken), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`) },
      anyJsonText, brokenText,
    );
    await fc.assert(fc.asyncProperty(action, id, body, async (a, i, b) => {
      await expectAnswered(await post(`/v1/alerts/${i}/${a}`, b, clinician), [200, 400, 404, 409, 413]);
    }), { numRuns: RUNS * 2 });
    await expectUnharmed(w);
  });

  it('POST /v1/patients/:id/notes', async () => {
    const field = fc.constantFrom('text', 'kind', 'at', '__proto__', 'constructor');
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.tuple(field, hostileToken), { maxLength: 4 }).map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`) },
      anyJsonText, brokenText,
    );
    await fc.assert(fc.asyncProperty(body, async (b) => {
      await expectAnswered(await post(`/v1/patients/${patient}/notes`, b, clinician), [201, 400, 413]);
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('PUT engine settings of a patient and of a site', async () => {
    const target = fc.constantFrom(`/v1/patients/${patient}/engine-settings`, `/v1/sites/${w.site}/engine-settings`);
    await fc.assert(fc.asyncProperty(target, settingsBody, async (path, body) => {
      await expectAnswered(await post(path, body, admin, 'PUT'), [200, 400, 413]);
    }), { numRuns: RUNS * 2 });
    // Whatever was stored, the engine still scores new readings with it.
    await expectUnharmed(w);
    const gw = await w.svc.gateway(w.key);
    expect(await gw.batch('after-settings', readings('HTTP-1', 100, 5))).toMatchObject({ accepted: 5 });
    gw.close();
  });

  it('POST /v1/idco: the HL7 parser and mapper', async () => {
    const key = { authorization: `Bearer ${w.key}` };
    await fc.assert(fc.asyncProperty(hl7Message, fc.constantFrom('application/hl7-v2', 'text/plain; charset=utf-8'), async (msg, type) => {
      const res = await post('/v1/idco', msg, key, 'POST', type);
      const text = await res.text();
      expect([200, 400], `${res.status} ${text.slice(0, 300)}`).toContain(res.status);
      expect(text.startsWith('MSH')).toBe(true);
    }), { numRuns: RUNS * 2 });
    await expectUnharmed(w);
  });

  it('query strings of the read routes', async () => {
    const query = fc.dictionary(
      fc.constantFrom('from', 'to', 'after', 'before', 'limit', 'q', 'status', 'priority', 'kind', 'order', 'patient', 'format', 'include', 'site', '__proto__', 'constructor'),
      fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('2026-01-01', '2026-13-01', '-1', '1e9', '99999999999999999999', 'p-1', 'a-1', 'open,open', '')),
      { maxKeys: 4 },
    );
    const path = fc.constantFrom(
      '/v1/alerts', '/v1/patients', `/v1/patients/${patient}/readings`, '/v1/exports/timeline',
      `/v1/patients/${patient}/heart-failure`, `/v1/patients/${patient}/episodes`, `/v1/patients/${patient}/transmissions`,
      `/v1/patients/${patient}/notes`, '/v1/worklists/overdue', '/v1/worklists/assigned', '/v1/reports/outcomes',
    );
    const analyst = { origin: w.svc.httpUrl, cookie: await signIn(w.svc.httpUrl, (await seedUser(w.tdb.db, 'analyst', [w.site])).email) };
    await fc.assert(fc.asyncProperty(path, query, async (p, q) => {
      const res = await fetch(`${w.svc.httpUrl}${p}?${new URLSearchParams(q)}`, { headers: p.startsWith('/v1/exports') ? analyst : clinician });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBeLessThan(500);
      if (res.status >= 400) expect(JSON.parse(text)).toEqual({ code: expect.any(String), message: expect.any(String) });
    }), { numRuns: RUNS });
    await expectUnharmed(w);
  });

  it('refuses a device serial with NUL or a lone surrogate with 400, not 500 (regression)', async () => {
    for (const serial of ['a\u0000b', 'a\ud800']) {
      const res = await post(`/v1/patients/${patient}/devices`, JSON.stringify({ serial }), admin);
      expect(res.status).toBe(400);
    }
    for (const segment of ['a%00b', '%ED%A0%80']) {
      const del = await fetch(`${w.svc.httpUrl}/v1/patients/${patient}/devices/${segment}`, { method: 'DELETE', headers: admin });
      expect([400, 404]).toContain(del.status);
    }
    await expectUnharmed(w);
  });

  it('refuses a sign-in whose email holds NUL or a lone surrogate with 401, not 500 (regression)', async () => {
    for (const email of ['a\u0000b@clinic.example', 'a\ud800@clinic.example']) {
      const res = await post('/v1/session', JSON.stringify({ email, password: 'a long enough password' }), { origin: w.svc.httpUrl });
      expect([401, 429]).toContain(res.status);
    }
    await expectUnharmed(w);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('refuses a field named %s with 400, not 500 (regression)', async (field) => {
    const base = { site: w.site, familyName: 'Fuzz', givenName: 'Fay', dateOfBirth: '1960-01-01' };
    const body = `${JSON.stringify(base).slice(0, -1)},"${field}":0}`;
    for (const [path, headers] of [['/v1/patients', admin], [`/v1/patients/${patient}/devices`, admin]] as const) {
      const res = await post(path, body, headers);
      expect(res.status).toBe(400);
      // Fastify's JSON parser refuses __proto__ itself (prototype-poisoning protection): bad_json.
      expect(await res.json()).toMatchObject({ code: field === '__proto__' ? 'bad_json' : 'bad_message' });
    }
    await expectUnharmed(w);
  });
});
