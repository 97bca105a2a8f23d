// npm run bench:patients: what encryption at rest costs the patient list and the patient
// page. In one run, over one database of sealed patients: the same queries with the
// identifiers left sealed (the baseline: what the pages cost without encryption), opened
// with the data keys in memory, and opened with none in memory (after a restart); then the
// two routes over HTTP, as a browser calls them, from the service as a child process.
import { performance } from 'node:perf_hooks';
import { benchDatabase, percentile, serviceRssMiB, startBenchService } from './lib.ts';
import { createPatient, enrolDevice } from '../src/patients/service.ts';
import { openIdentities } from '../src/patients/sealed.ts';
import { listPatients } from '../src/store/patients.ts';
import { Vault } from '../src/crypto/vault.ts';
import { readKeyring } from '../src/crypto/keyring.ts';
import { createSite } from '../src/admin/commands.ts';
import { TEST_KEY_FILE, testVault } from '../test/helpers/keys.ts';
import { seedUser, signIn } from '../test/helpers/people.ts';
import type { Db } from '../src/store/db.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 3000);
const PAGE = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

type Timed = { name: string; ms: Float64Array };

/** 20 given names (each shared by one patient in 20) and a family name of letters for each patient: names are searched by whole words. */
const GIVEN = ['Grace', 'Tom', 'Amara', 'Lukas', 'Priya', 'Sean', 'Mei', 'Omar', 'Ingrid', 'Kofi', 'Ada', 'Ben', 'Cleo', 'Dev', 'Esme', 'Finn', 'Gita', 'Hugo', 'Iris', 'Jude'];
const familyOf = (i: number): string => {
  let s = '';
  for (let n = i + 26 * 26; n > 0; n = Math.floor(n / 26)) s = String.fromCharCode(97 + (n % 26)) + s;
  return `Fam${s}`;
};

async function time(name: string, rounds: number, once: (i: number) => Promise<unknown>, before?: (i: number) => Promise<void>): Promise<Timed> {
  const ms = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    await before?.(i);
    const t0 = performance.now();
    await once(i);
    ms[i] = performance.now() - t0;
  }
  ms.sort();
  return { name, ms };
}

const row = (t: Timed) => {
  const mean = t.ms.reduce((a, b) => a + b, 0) / t.ms.length;
  return `${t.name.padEnd(58)} ${mean.toFixed(2).padStart(8)} ${percentile(t.ms, 50).toFixed(2).padStart(8)} ${percentile(t.ms, 99).toFixed(2).padStart(8)}`;
};

async function seed(db: Db, vault: Vault): Promise<number[]> {
  const { id: siteId } = await createSite(db, 'bench', 'Bench');
  const ids: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < PATIENTS; i++) {
    const id = await createPatient(db, vault, { site: 'bench', familyName: familyOf(i), givenName: GIVEN[i % GIVEN.length]!, dateOfBirth: `19${30 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`, sex: i % 2 ? 'female' : 'male' }, Date.now());
    ids.push(id);
    if (i % 10 === 0) await enrolDevice(db, vault, { id, siteId }, `BENCH-${String(i).padStart(6, '0')}`, { createDevice: true });
    if ((i + 1) % 500 === 0) process.stderr.write(`seeded ${i + 1}/${PATIENTS} patients (${((performance.now() - t0) / (i + 1)).toFixed(2)} ms each)\n`);
  }
  return ids;
}

async function main(): Promise<void> {
  const database = await benchDatabase();
  const { db } = database;
  try {
    const vault = await testVault(db);
    const ids = await seed(db, vault);
    const afterOf = (i: number) => ids[(i * 7919) % (ids.length - PAGE)]!;
    const idOf = (i: number) => ids[(i * 104_729) % ids.length]!;
    const keyring = readKeyring(TEST_KEY_FILE);
    let cold = vault;
    const fresh = async () => { cold = await Vault.open(db, keyring); };

    const results: Timed[] = [];
    results.push(await time(`list, page of ${PAGE}: query only (identifiers sealed)`, ROUNDS, (i) => listPatients(db, { siteIds: null, afterId: afterOf(i), limit: PAGE })));
    results.push(await time(`list, page of ${PAGE}: query + open, data keys in memory`, ROUNDS, async (i) => openIdentities(vault, await listPatients(db, { siteIds: null, afterId: afterOf(i), limit: PAGE }))));
    results.push(await time(`list, page of ${PAGE}: query + open, no data key in memory`, Math.min(ROUNDS, 50), async (i) => openIdentities(cold, await listPatients(db, { siteIds: null, afterId: afterOf(i), limit: PAGE })), fresh));
    results.push(await time('patient: query only (identifiers sealed)', ROUNDS * 5, (i) => listPatients(db, { siteIds: null, ids: [idOf(i)], limit: 1 })));
    results.push(await time('patient: query + open, data key in memory', ROUNDS * 5, async (i) => openIdentities(vault, await listPatients(db, { siteIds: null, ids: [idOf(i)], limit: 1 }))));
    results.push(await time('patient: query + open, no data key in memory', ROUNDS, async (i) => openIdentities(cold, await listPatients(db, { siteIds: null, ids: [idOf(i)], limit: 1 })), fresh));

    // Over HTTP, from the service as a child process: what a browser waits for.
    const svc = await startBenchService(database.url, { GATEWAY_RATE_LIMIT: '0' });
    try {
      const base = `http://127.0.0.1:${svc.port}`;
      const cookie = await signIn(base, (await seedUser(db, 'clinician', ['bench'])).email);
      const get = async (url: string) => {
        const res = await fetch(`${base}${url}`, { headers: { cookie } });
        if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
        await res.arrayBuffer();
      };
      await get(`/v1/patients?limit=${PAGE}`); // the first request warms the route
      results.push(await time(`HTTP GET /v1/patients?limit=${PAGE} (opened, audited)`, ROUNDS, (i) => get(`/v1/patients?limit=${PAGE}&after=p-${afterOf(i)}`)));
      results.push(await time('HTTP GET /v1/patients/:id (opened, audited)', ROUNDS * 2, (i) => get(`/v1/patients/p-${idOf(i)}`)));
      // Searches, one page of 50 as the dashboard asks.
      const q = (s: string) => `/v1/patients?limit=50&q=${encodeURIComponent(s)}`;
      results.push(await time('HTTP search: a family name (1 patient)', ROUNDS, (i) => get(q(familyOf((i * 7919) % PATIENTS)))));
      results.push(await time(`HTTP search: given + family name (1 patient)`, ROUNDS, (i) => get(q(`${GIVEN[((i * 7919) % PATIENTS) % GIVEN.length]} ${familyOf((i * 7919) % PATIENTS)}`))));
      results.push(await time(`HTTP search: a given name (${Math.ceil(PATIENTS / GIVEN.length)} patients, first 50)`, ROUNDS, (i) => get(q(GIVEN[i % GIVEN.length]!))));
      results.push(await time('HTTP search: a serial prefix (10 patients)', ROUNDS, (i) => get(q(`BENCH-00${10 + (i % 20)}`))));
      results.push(await time('HTTP search: a name nobody has', ROUNDS, () => get(q('Nobodyhere'))));
      console.log(`service RSS after the HTTP phases: ${(await serviceRssMiB(svc.port)).toFixed(0)} MiB`);
    } finally {
      await svc.stop();
    }

    console.log(`\nPatients: ${PATIENTS} sealed (${database.where}); times in ms`);
    console.log(`${'phase'.padEnd(58)} ${'mean'.padStart(8)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}`);
    for (const r of results) console.log(row(r));
    const mean = (t: Timed) => t.ms.reduce((a, b) => a + b, 0) / t.ms.length;
    console.log(`\nOpening a page of ${PAGE}: +${(mean(results[1]!) - mean(results[0]!)).toFixed(2)} ms with the keys in memory, +${(mean(results[2]!) - mean(results[0]!)).toFixed(2)} ms with none (mean over the query alone)`);
    console.log(`Opening one patient: +${(mean(results[4]!) - mean(results[3]!)).toFixed(3)} ms in memory, +${(mean(results[5]!) - mean(results[3]!)).toFixed(3)} ms cold`);
    console.log(`bench process RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await database.dispose();
  }
}

await main();
