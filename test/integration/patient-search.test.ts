import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { seedUser, signIn } from '../helpers/people.ts';
import { testVault } from '../helpers/keys.ts';
import { runCli } from '../helpers/cli.ts';
import { createPatient, enrolDevice } from '../../src/patients/service.ts';
import { nameWords } from '../../src/patients/search.ts';
import { indexName } from '../../src/patients/name-tokens.ts';
import type { Vault } from '../../src/crypto/vault.ts';

// Searching and paging the patient list on the server: NHS number (blind index), device
// serial (exact or the start of one), whole name words (keyed tokens in
// patient_name_tokens); 250 patients of one site paged through; another site's never found.

const GIVEN = ['Grace', 'Tom', 'Amara', 'Lukas', 'Priya', 'Sean', 'Mei', 'Omar', 'Ingrid', 'Kofi'];
const FAMILY = ['Okafor', 'Byrne', 'Patel', 'Nowak', 'Smith', 'Jones', 'Chen', 'Haddad', 'Larsen', 'Mensah', 'Rossi', 'Kowalski', 'Murphy',
  'Silva', 'Tanaka', 'Dubois', 'Novak', 'Ahmed', 'Walsh', 'Brown', 'Evans', 'Green', 'Hughes', 'Price', 'Owens'];
const NORTH = 250;

let tdb: TestDatabase;
let svc: RunningService;
let vault: Vault;
let north: string;
let south: string;
let admin: string;
let analyst: string;
/** North's patients by index i (GIVEN[i % 10] FAMILY[i / 10]). */
const ids: string[] = [];
const nhsOf = new Map<number, string>();
let southGrace: string;

/** A valid NHS number from a 9-digit stem, or null when the stem has no check digit. */
function nhsNumber(stem: number): string | null {
  const digits = String(stem).padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return null;
  return `${digits}${check === 11 ? 0 : check}`;
}

async function get(path: string, cookie: string | null) {
  const res = await fetch(`${svc.httpUrl}${path}`, { headers: cookie ? { cookie } : {} });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const search = (q: string, extra = '') => `/v1/patients?q=${encodeURIComponent(q)}${extra}`;

async function found(q: string, cookie = north): Promise<string[]> {
  const res = await get(search(q, '&limit=1000'), cookie);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.next).toBeNull();
  return res.body.patients.map((p: { id: string }) => p.id);
}

/** Every page of `path` (which has a query already), limit `limit`: the ids in order, and how many pages. */
async function allPages(path: string, limit: number, cookie = north): Promise<{ ids: string[]; pages: number }> {
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const res = await get(`${path}&limit=${limit}${after ? `&after=${after}` : ''}`, cookie);
    expect(res.status).toBe(200);
    pages++;
    // No page is empty: a last page of exactly `limit` says so with next null.
    expect(res.body.patients.length).toBeGreaterThan(0);
    expect(res.body.patients.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.patients.map((p: { id: string }) => p.id));
    after = res.body.next;
    if (after === null) return { ids: seen, pages };
    expect(pages).toBeLessThan(1000);
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  vault = await testVault(tdb.db);
  await seedGateway(tdb.db, 'north');
  await seedGateway(tdb.db, 'south');
  const site = async (code: string) => (await tdb.db.selectFrom('sites').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id;
  const northId = await site('north');
  const southId = await site('south');
  let stem = 100_000_000;
  for (let i = 0; i < NORTH; i++) {
    let nhs: string | null = null;
    if (i % 3 === 0) {
      while ((nhs = nhsNumber(stem++)) === null);
      nhsOf.set(i, nhs);
    }
    // Two of them with names that need folding.
    const [givenName, familyName] = i === 7 ? ['Zoë Anne', 'García-Márquez'] : i === 8 ? ['Seán', "O'Brien"] : [GIVEN[i % 10]!, FAMILY[Math.floor(i / 10)]!];
    const id = await createPatient(tdb.db, vault, { site: 'north', familyName, givenName, nhsNumber: nhs, dateOfBirth: '1950-01-01' }, Date.now());
    ids.push(`p-${id}`);
    if (i % 5 === 0) await enrolDevice(tdb.db, vault, { id, siteId: northId }, `NS-${String(i).padStart(4, '0')}`, { createDevice: true });
  }
  // LIKE's wildcard in a serial: A_1 must not find AB1.
  await enrolDevice(tdb.db, vault, { id: Number(ids[1]!.slice(2)), siteId: northId }, 'AB1', { createDevice: true });
  await enrolDevice(tdb.db, vault, { id: Number(ids[2]!.slice(2)), siteId: northId }, 'A_1', { createDevice: true });
  // South: a namesake of north's first patient, with an NHS number and a device of its own.
  const s = await createPatient(tdb.db, vault, { site: 'south', familyName: 'Okafor', givenName: 'Grace', nhsNumber: '9434765919', dateOfBirth: '1948-03-12' }, Date.now());
  southGrace = `p-${s}`;
  await enrolDevice(tdb.db, vault, { id: s, siteId: southId }, 'SO-1', { createDevice: true });
  await enrolDevice(tdb.db, vault, { id: s, siteId: southId }, 'NS-9999', { createDevice: true });

  svc = await startService(tdb.db, tdb.url);
  north = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['north'])).email);
  south = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['south'])).email);
  admin = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'admin')).email);
  analyst = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'analyst', ['north'])).email);
}, 240_000);

afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('paging', () => {
  it('visits each of 250 patients exactly once, in order, and the last page of exactly `limit` has next null', async () => {
    const exact = await allPages('/v1/patients?', 50);
    expect(exact.pages).toBe(5);
    expect(exact.ids).toEqual(ids);
    const odd = await allPages('/v1/patients?', 7);
    expect(odd.pages).toBe(Math.ceil(NORTH / 7));
    expect(odd.ids).toEqual(ids);
    const one = await get('/v1/patients?limit=250', north);
    expect(one.body.patients).toHaveLength(250);
    expect(one.body.next).toBeNull();
  });

  it('pages through a search the same way', async () => {
    // Grace is the given name of every tenth patient: 25 of them.
    const graces = ids.filter((_, i) => i % 10 === 0);
    const paged = await allPages(`${search('grace')}`, 5);
    expect(paged.pages).toBe(5);
    expect(paged.ids).toEqual(graces);
    expect((await allPages(`${search('grace')}`, 4)).ids).toEqual(graces);
    const serials = await allPages(`${search('NS-0')}`, 10);
    expect(serials.ids).toEqual(ids.filter((_, i) => i % 5 === 0));
  });
});

describe('search', () => {
  it('finds by whole name words, every word, in any order, case, accents and punctuation ignored', async () => {
    expect(await found('Grace Okafor')).toEqual([ids[0]]);
    expect(await found('okafor GRACE')).toEqual([ids[0]]);
    expect(await found('  tom   byrne ')).toEqual([ids[11]]);
    // The first ten are Okafors but for the two with other names.
    expect(await found('Okafor')).toEqual(ids.slice(0, 10).filter((_, i) => i !== 7 && i !== 8));
    expect(await found('zoe garcia')).toEqual([ids[7]]);
    expect(await found('García-Márquez')).toEqual([ids[7]]);
    expect(await found('marquez anne')).toEqual([ids[7]]);
    expect(await found('obrien')).toEqual([ids[8]]);
    expect(await found("O'Brien sean")).toEqual([ids[8]]);
    // Whole words only: a prefix, or a word too many, finds nobody.
    expect(await found('Okaf')).toEqual([]);
    expect(await found('Grace Okafor Smith')).toEqual([]);
  });

  it('finds by NHS number, with or without spaces', async () => {
    const nhs = nhsOf.get(30)!;
    expect(await found(nhs)).toEqual([ids[30]]);
    expect(await found(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`)).toEqual([ids[30]]);
    expect(await found('9434765919', south)).toEqual([southGrace]);
  });

  it('finds by device serial, exact or its start, case folded, LIKE wildcards taken literally', async () => {
    expect(await found('NS-0005')).toEqual([ids[5]]);
    expect(await found('ns-0005')).toEqual([ids[5]]);
    expect(await found('NS-001')).toEqual([ids[10], ids[15]]);
    expect(await found('A_1')).toEqual([ids[2]]);
    expect(await found('AB1')).toEqual([ids[1]]);
    expect(await found('NS-00050')).toEqual([]);
  });

  it('never finds another site’s patients; an admin finds every site’s', async () => {
    expect(await found('Grace Okafor', south)).toEqual([southGrace]);
    expect(await found('9434765919')).toEqual([]);
    expect(await found('SO-1')).toEqual([]);
    expect(await found('NS-9')).toEqual([]);
    expect(await found('NS-9', south)).toEqual([southGrace]);
    expect(await found('NS-0005', south)).toEqual([]);
    expect(await found('Grace Okafor', admin)).toEqual([ids[0], southGrace]);
    // Paging from a cursor of another site's patient does not reveal anything either.
    expect(await found('Okafor', south)).toEqual([southGrace]);
  });

  it('refuses malformed, oversized and hostile searches with a clear 400, or finds nobody', async () => {
    const refused: Array<[string, RegExp]> = [
      ['x'.repeat(101), /100/],
      ['smith\u0000', /control|q must/],
      ['!!!', /no letters/],
      ['%', /no letters/],
      ['_', /no letters/],
      ['smith 12', /device serial/],
      ['9434765918', /check digit/],
      ['943 476', /10 digits/],
      ['a b c d e f g', /at most 6 words/],
    ];
    for (const [q, message] of refused) {
      const res = await get(search(q), north);
      expect(res.status, q).toBe(400);
      expect(res.body.message, q).toMatch(message);
    }
    const twice = await get('/v1/patients?q=grace&q=tom', north);
    expect(twice.status).toBe(400);
    const mismatch = await get(`/v1/patients?q=${nhsOf.get(0)}&nhsNumber=9434765919`, admin);
    expect(mismatch.status).toBe(400);
    // Text that only looks hostile is words; nobody is named so.
    for (const q of ["'; DROP TABLE patients; --", '<img src=x onerror=alert(document.cookie)>', 'Robert\'); DELETE FROM patients;', '%%%%a%%%', 'ｇｒａｃｅ']) {
      const res = await get(search(q), north);
      expect(res.status, q).toBe(200);
      expect(res.body.patients.length, q).toBe(q === 'ｇｒａｃｅ' ? 25 : 0);
    }
    // A blank search is the plain list.
    expect((await get(`${search('   ')}&limit=1000`, north)).body.patients).toHaveLength(NORTH);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM patients`.execute(tdb.db)).rows[0]!.n).toBe(NORTH + 1);
  });

  it('answers any q, raw bytes included, with 200 or a 400 that says why, never a 500', async () => {
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }).map((q) => `q=${encodeURIComponent(q.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}`),
      // Percent-encoded bytes as sent, invalid UTF-8 and lone surrogates among them.
      fc.uint8Array({ maxLength: 40 }).map((b) => `q=${[...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')}`),
      fc.constantFrom('q=%ED%A0%80', 'q=%C0%80', 'q=%00', 'q[]=a', 'q[a]=b', 'q=a&q=b', '__proto__=x&q=a', 'q=%25%5F%5C'),
    );
    await fc.assert(fc.asyncProperty(raw, async (query) => {
      const res = await fetch(`${svc.httpUrl}/v1/patients?limit=5&${query}`, { headers: { cookie: north } });
      const body = await res.json() as Record<string, unknown>;
      expect([200, 400], `${query} ${JSON.stringify(body)}`).toContain(res.status);
      if (res.status === 400) expect(body).toEqual({ code: 'bad_message', message: expect.any(String) });
    }), { numRuns: 300 });
  });

  it('is refused without a session and for other roles', async () => {
    expect((await get(search('grace'), null)).status).toBe(401);
    expect((await get(search('grace'), analyst)).status).toBe(403);
  });

  it('audits a search with its kind, never the text searched for', async () => {
    const last = async () => (await sql<{ detail: Record<string, unknown> }>`
      SELECT detail FROM audit_log WHERE action = 'patient.list' ORDER BY id DESC LIMIT 1`.execute(tdb.db)).rows[0]!.detail;
    const cases: Array<[string, string, string[]]> = [
      ['Grace Okafor', 'name', ['grace', 'okafor']],
      [nhsOf.get(30)!, 'nhsNumber', [nhsOf.get(30)!]],
      ['NS-0005', 'serial', ['ns-0005', 'NS-0005']],
      ['Okafor', 'nameOrSerial', ['okafor']],
    ];
    for (const [q, kind, secrets] of cases) {
      await found(q);
      const detail = await last();
      expect(detail.search).toBe(kind);
      const text = JSON.stringify(detail).toLowerCase();
      for (const s of secrets) expect(text).not.toContain(s.toLowerCase());
    }
    await get('/v1/patients?limit=5', north);
    expect((await last()).search).toBeUndefined();
  });
});

describe('the name index', () => {
  it('holds keyed tokens only, never a name or a word of one, under a key other than the NHS number’s', async () => {
    const cols = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'patient_name_tokens' ORDER BY column_name`.execute(tdb.db);
    expect(cols.rows.map((c) => c.column_name)).toEqual(['patient_id', 'token']);
    const rows = (await sql<{ token: string; patient_id: number }>`SELECT token, patient_id FROM patient_name_tokens`.execute(tdb.db)).rows;
    const words = new Set([...GIVEN, ...FAMILY, 'Zoë Anne', 'García-Márquez', 'Seán', "O'Brien"].flatMap((n) => [n.toLowerCase(), ...nameWords(n)]));
    expect(rows.length).toBeGreaterThan(NORTH * 2 - 1);
    for (const r of rows) {
      expect(r.token).toMatch(/^[0-9a-f]{64}$/);
      for (const w of words) expect(r.token).not.toContain(w);
    }
    // Grace Okafor: two words, two tokens, shared with her namesake at the other site.
    const grace = rows.filter((r) => r.patient_id === Number(ids[0]!.slice(2))).map((r) => r.token).sort();
    expect(grace).toEqual([vault.nameToken('grace'), vault.nameToken('okafor')].sort());
    // Not the NHS number's index key under another field name.
    expect(vault.nameToken('grace')).not.toBe(vault.blindIndex('patients.name_word', 'grace'));
    const plain = await sql<{ n: number }>`SELECT count(*)::int AS n FROM patient_name_tokens WHERE token IN ('grace', 'okafor', 'Grace', 'Okafor')`.execute(tdb.db);
    expect(plain.rows[0]!.n).toBe(0);
  });

  it('replaces the tokens when a name changes', async () => {
    const id = Number(ids[0]!.slice(2));
    await tdb.db.transaction().execute((trx) => indexName(trx, vault, id, 'Grace Ngozi', 'Adebayo'));
    expect(await found('grace okafor')).toEqual([]);
    expect(await found('ngozi adebayo')).toEqual([ids[0]]);
    expect(await found('grace')).toContain(ids[0]);
    await tdb.db.transaction().execute((trx) => indexName(trx, vault, id, 'Grace', 'Okafor'));
    expect(await found('adebayo')).toEqual([]);
    expect(await found('grace okafor')).toEqual([ids[0]]);
  });

  it('indexes patients stored without tokens at start, and by `patients reindex`', async () => {
    const gone = [ids[0]!, ids[7]!, ids[8]!].map((r) => Number(r.slice(2)));
    const forget = async () => {
      await sql`DELETE FROM patient_name_tokens WHERE patient_id = ANY(${gone}::int4[])`.execute(tdb.db);
      await sql`UPDATE patients SET name_index_version = NULL WHERE id = ANY(${gone}::int4[])`.execute(tdb.db);
    };
    await forget();
    expect(await found('Grace Okafor')).toEqual([]);
    expect(await found('zoe')).toEqual([]);
    // A restart indexes them before answering.
    await svc.close();
    svc = await startService(tdb.db, tdb.url);
    north = await signIn(svc.httpUrl, (await seedUser(tdb.db, 'clinician', ['north'])).email);
    expect(await found('Grace Okafor')).toEqual([ids[0]]);
    expect(await found('zoe')).toEqual([ids[7]]);
    expect(await found('sean obrien')).toEqual([ids[8]]);

    await forget();
    const cli = await runCli('src/admin/cli.ts', ['patients', 'reindex', '--json'], tdb.url);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ indexed: 3, left: 0 });
    expect(cli.stdout + cli.stderr).not.toMatch(/grace|okafor|zo[eë]/i);
    expect(await found('Grace Okafor')).toEqual([ids[0]]);
    const again = await runCli('src/admin/cli.ts', ['patients', 'reindex'], tdb.url);
    expect(again.stdout).toContain('0 patients indexed for name search; 0 left');
  });
});
