import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { sql } from 'kysely';
import { createDb } from '../../src/store/db.ts';
import { createGateway, createSite } from '../../src/admin/commands.ts';
import { freePort, startServiceProcess } from '../helpers/process.ts';
import { readings, TestGateway } from '../helpers/gateway.ts';

// The whole process, as an operator runs it: no DATABASE_URL, so it owns an
// embedded PostgreSQL, and SIGTERM must drain before that database stops.

const dir = fs.mkdtempSync('/var/tmp/telemetry-sigterm-');
fs.chmodSync(dir, 0o755);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SIGTERM under load, on the embedded database', () => {
  it('acks what it received, stores exactly what it acked, closes 1001 and exits 0', async () => {
    const pgPort = await freePort();
    const env = { DATABASE_URL: undefined, DATA_DIR: path.join(dir, 'data', 'pg'), EMBEDDED_PG_PORT: String(pgPort) };
    const pgUrl = `postgres://postgres:telemetry-local@127.0.0.1:${pgPort}/postgres`;
    const svc = await startServiceProcess(env);
    let h = createDb({ url: pgUrl, poolSize: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 3000 }, pino({ level: 'silent' }));
    await createSite(h.db, 'term', 'SIGTERM test');
    const { key } = await createGateway(h.db, 'term', 'g');
    await h.close();

    const gws = await Promise.all([0, 1, 2].map(() => TestGateway.open(`ws://127.0.0.1:${svc.port}/v1/ingest`, key)));
    let stop = false;
    const pump = gws.map(async (gw, g) => {
      for (let b = 0; !stop && b < 2000; b++) {
        gw.sendRaw(JSON.stringify({ type: 'readings', id: `${g}-${b}`, readings: readings(`TERM-${g}`, b * 50, 50) }));
        if (b % 8 === 7) await new Promise((r) => setTimeout(r, 1));
      }
    });
    while (!gws.some((gw) => gw.messages.some((m) => m.type === 'ack'))) await new Promise((r) => setTimeout(r, 5));
    const code = svc.stop('SIGTERM');
    const closes = await Promise.all(gws.map((gw) => gw.closed));
    stop = true;
    await Promise.all(pump);
    expect(await code).toBe(0);
    expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);

    const replies = gws.flatMap((gw) => gw.messages);
    const accepted = replies.filter((m) => m.type === 'ack').reduce((s, a) => s + (a.accepted as number), 0);
    expect(accepted).toBeGreaterThan(0);
    for (const e of replies.filter((m) => m.type === 'error')) expect(e).toMatchObject({ code: 'unavailable' });

    // Start it again on the same data directory and count.
    const again = await startServiceProcess(env);
    h = createDb({ url: pgUrl, poolSize: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 3000 }, pino({ level: 'silent' }));
    const stored = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings`.execute(h.db)).rows[0]!.n;
    await h.close();
    expect(await again.stop('SIGTERM')).toBe(0);
    expect(stored).toBe(accepted);
  });
});
