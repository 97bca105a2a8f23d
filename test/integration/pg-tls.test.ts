// DATABASE_URL with sslmode=verify-full: the service (its pool and its LISTEN connection)
// reaches PostgreSQL over TLS, checking the server's certificate against sslrootcert and its
// name against the URL's host. A PostgreSQL of the test's own, switched to ssl=on with a
// certificate made at test time, so the shared test server is left as it is.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DisposablePg } from '../helpers/pg-server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { createAuthority, issueCertificate } from '../../src/tls/generate.ts';

const server = new DisposablePg();
let caFile: string;
let otherCaFile: string;
let tdb: TestDatabase;
let svc: RunningService;

const withSsl = (url: string, host: string, rootCert: string): string => {
  const u = new URL(url);
  u.hostname = host;
  u.search = `?sslmode=verify-full&sslrootcert=${encodeURIComponent(rootCert)}`;
  return u.toString();
};

async function query(url: string, text: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await server.start();
  const ca = await createAuthority('telemetry test PostgreSQL CA');
  // Named by its address only: verify-full against "localhost" must then fail.
  const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ips: ['127.0.0.1'], usage: 'server' });
  const dataDir = path.join(server.dir, 'pg');
  const owner = fs.statSync(dataDir);
  for (const [name, text] of [['server.crt', leaf.cert], ['server.key', leaf.key]] as const) {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chownSync(file, owner.uid, owner.gid);
  }
  caFile = path.join(server.dir, 'ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  otherCaFile = path.join(server.dir, 'other-ca.pem');
  fs.writeFileSync(otherCaFile, (await createAuthority('someone else')).cert);
  await query(server.adminUrl(), "ALTER SYSTEM SET ssl = 'on'");
  await query(server.adminUrl(), 'SELECT pg_reload_conf()');
  // The reload is asynchronous: wait until a verify-full connection is accepted.
  for (let i = 0; !(await query(withSsl(server.adminUrl(), '127.0.0.1', caFile), 'SELECT 1').then(() => true, () => false)); i++) {
    if (i === 200) throw new Error('PostgreSQL did not take ssl=on');
    await new Promise((r) => setTimeout(r, 100));
  }
  tdb = await createTestDatabase(withSsl(server.adminUrl(), '127.0.0.1', caFile));
  svc = await startService(tdb.db, tdb.url, {});
});

afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
  await server.dispose();
});

describe('DATABASE_URL with sslmode=verify-full', () => {
  it('reaches PostgreSQL over TLS: readings stored, every connection of the service encrypted', async () => {
    expect(svc.config.databaseUrl).toContain('sslmode=verify-full');
    const { key } = await seedGateway(tdb.db);
    const res = await fetch(`${svc.httpUrl}/v1/readings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readings: readings('PG-TLS-1', 1, 20) }),
    });
    expect(await res.json()).toMatchObject({ accepted: 20 });
    const own = await sql<{ ssl: boolean }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`.execute(tdb.db);
    expect(own.rows).toEqual([{ ssl: true }]);
    const plain = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
      WHERE a.datname = current_database() AND NOT s.ssl`.execute(tdb.db);
    expect(plain.rows[0]!.n).toBe(0);
  });

  it('refuses a server whose certificate another CA signed, or that is reached by a name the certificate does not carry', async () => {
    await expect(query(withSsl(server.adminUrl(), '127.0.0.1', otherCaFile), 'SELECT 1')).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    await expect(query(withSsl(server.adminUrl(), 'localhost', caFile), 'SELECT 1')).rejects.toThrow(/Hostname\/IP does not match|altnames/i);
  });
});
