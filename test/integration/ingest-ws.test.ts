import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { readings } from '../helpers/gateway.ts';
import { revoke } from '../../src/admin/commands.ts';

let tdb: TestDatabase;
let svc: RunningService;
let key: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  // The idle limit leaves the answering peer of the ping test a wide margin: on a loaded
  // machine (CI runs two files at once on two cores) a 1 s limit dropped it with the silent one.
  svc = await startService(tdb.db, tdb.url, { INGEST_PING_MS: '200', INGEST_IDLE_MS: '4000' });
  key = (await seedGateway(tdb.db)).key;
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

const count = async (where = sql`true`) =>
  Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM readings WHERE ${where}`.execute(tdb.db)).rows[0]!.n);

describe('WebSocket ingest', () => {
  it('acks a batch only once its readings are stored', async () => {
    const gw = await svc.gateway(key);
    const ack = await gw.batch('b1', readings('WS-A', 0, 100));
    expect(ack).toEqual({ type: 'ack', id: 'b1', accepted: 100, duplicates: 0, rejected: [] });
    // The ack was sent after commit, so a fresh connection sees every row.
    expect(await count(sql`device_id = (SELECT id FROM devices WHERE serial = 'WS-A')`)).toBe(100);
    gw.close();
  });

  it('resending every batch twice stores each reading once', async () => {
    const gw = await svc.gateway(key);
    const batches = Array.from({ length: 20 }, (_, b) => readings('WS-B', b * 50, 50));
    const first = await Promise.all(batches.map((r, b) => gw.batch(`x${b}`, r)));
    const again = await Promise.all(batches.map((r, b) => gw.batch(`y${b}`, r)));
    const twice = await Promise.all(batches.map((r, b) => gw.batch(`z${b}`, r)));
    expect(first.reduce((s, a) => s + (a.accepted as number), 0)).toBe(1000);
    for (const a of [...again, ...twice]) expect(a).toMatchObject({ accepted: 0, duplicates: 50, rejected: [] });
    expect(await count(sql`device_id = (SELECT id FROM devices WHERE serial = 'WS-B')`)).toBe(1000);
    gw.close();
  });

  it('counts repeats inside one batch as duplicates and differing content as seq_conflict', async () => {
    const gw = await svc.gateway(key);
    const [r] = readings('WS-C', 1, 1);
    const ack = await gw.batch('c1', [r, r, { ...r!, value: 99 }]);
    expect(ack).toMatchObject({ accepted: 1, duplicates: 1, rejected: [{ index: 2, code: 'seq_conflict' }] });
    const later = await gw.batch('c2', [{ ...r!, metric: 'night_heart_rate', value: 60 }, r]);
    expect(later).toMatchObject({ accepted: 0, duplicates: 1, rejected: [{ index: 0, code: 'seq_conflict' }] });
    gw.close();
  });

  it('rejects each bad reading with its code, stores the rest, and quarantines the rejects', async () => {
    const gw = await svc.gateway(key);
    const ok = { device: 'WS-D', seq: 1, at: '2026-03-04T02:00:00+01:00', metric: 'MDC_IDC_MSMT_BATTERY_VOLTAGE', value: 2.9 };
    const far = new Date(Date.now() + 25 * 3600_000).toISOString();
    const batch = [
      ok,
      { ...ok, seq: 2, value: 'high' },
      { ...ok, seq: 3, metric: 'blood_sugar' },
      { ...ok, seq: 4, unit: 'mV' },
      { ...ok, seq: 5, metric: 'rv_lead_impedance', value: 9000.5e3 },
      { ...ok, seq: 6, at: far },
      { ...ok, seq: 7, at: '2026-03-04 02:00' },
      { ...ok, seq: -1 },
      { ...ok, device: 'bad device!' },
      { ...ok, seq: 8, metric: '721344', unit: 'V' },
      42,
    ];
    const ack = await gw.batch('d1', batch);
    expect(ack.accepted).toBe(2);
    expect(ack.duplicates).toBe(0);
    expect((ack.rejected as Array<{ index: number; code: string }>).map((r) => [r.index, r.code])).toEqual([
      [1, 'bad_reading'],
      [2, 'unknown_metric'],
      [3, 'unit_mismatch'],
      [4, 'out_of_range'],
      [5, 'future_timestamp'],
      [6, 'bad_reading'],
      [7, 'bad_reading'],
      [8, 'bad_reading'],
      [10, 'bad_reading'],
    ]);
    const q = await tdb.db.selectFrom('quarantine').select(['idx', 'code', 'raw']).where('batch_id', '=', 'd1').orderBy('idx').execute();
    expect(q.map((r) => r.code)).toEqual(['bad_reading', 'unknown_metric', 'unit_mismatch', 'out_of_range', 'future_timestamp', 'bad_reading', 'bad_reading', 'bad_reading', 'bad_reading']);
    expect(q[1]!.raw).toMatchObject({ metric: 'blood_sugar' });
    gw.close();
  });

  it("rejects readings for another site's device as forbidden_device", async () => {
    const other = await seedGateway(tdb.db);
    const gwOther = await svc.gateway(other.key);
    expect(await gwOther.batch('o1', readings('WS-OWNED', 0, 1))).toMatchObject({ accepted: 1 });
    const gw = await svc.gateway(key);
    const ack = await gw.batch('o2', [...readings('WS-OWNED', 1, 1), ...readings('WS-MINE', 0, 1)]);
    expect(ack).toMatchObject({ accepted: 1, rejected: [{ index: 0, code: 'forbidden_device' }] });
    // status does not reveal another site's device either
    gw.sendRaw(JSON.stringify({ type: 'status', id: 's', devices: ['WS-OWNED', 'WS-MINE'] }));
    expect(await gw.reply('s')).toMatchObject({ devices: { 'WS-OWNED': null, 'WS-MINE': { lastSeq: 0 } } });
    gw.close();
    gwOther.close();
  });

  it('status returns the highest stored seq and its event time, null for a device never seen', async () => {
    const gw = await svc.gateway(key);
    // out of order: the highest seq arrives first
    await gw.batch('s1', readings('WS-S', 40, 2));
    await gw.batch('s2', readings('WS-S', 0, 5));
    gw.sendRaw(JSON.stringify({ type: 'status', id: 'q1', devices: ['WS-S', 'NEVER-SEEN'] }));
    const reply = await gw.reply('q1');
    expect(reply).toEqual({
      type: 'status',
      id: 'q1',
      devices: { 'WS-S': { lastSeq: 41, lastAt: readings('WS-S', 41, 1)[0]!.at }, 'NEVER-SEEN': null },
    });
    gw.close();
  });

  it('answers malformed messages with an error and keeps the socket open', async () => {
    const gw = await svc.gateway(key);
    gw.sendRaw('{not json');
    expect(await gw.next((m) => m.code === 'bad_json')).toMatchObject({ type: 'error', id: null });
    gw.sendRaw(JSON.stringify({ type: 'readings', readings: readings('WS-E', 0, 1) }));
    expect(await gw.next((m) => m.type === 'error' && m.code === 'bad_message')).toBeTruthy();
    gw.sendRaw(JSON.stringify({ type: 'readings', id: 'e2', readings: {} }));
    expect(await gw.reply('e2')).toMatchObject({ code: 'bad_message' });
    gw.sendRaw(JSON.stringify({ type: 'readings', id: 'e3', readings: [] }));
    expect(await gw.reply('e3')).toMatchObject({ code: 'bad_message' });
    gw.sendRaw(JSON.stringify({ type: 'readings', id: 'e4', readings: readings('WS-E', 0, 5001) }));
    expect(await gw.reply('e4')).toMatchObject({ code: 'bad_message', message: expect.stringContaining('5001') });
    gw.sendRaw(JSON.stringify({ type: 'subscribe', id: 'e5' }));
    expect(await gw.reply('e5')).toMatchObject({ code: 'unknown_type' });
    gw.sendRaw(JSON.stringify([1, 2]));
    expect(await gw.next((m) => m.code === 'bad_message' && m.id === null)).toBeTruthy();
    gw.sendRaw(Buffer.from([0x00, 0xff, 0x10]), true);
    expect(await gw.next((m) => m.code === 'bad_message' && String(m.message).includes('binary'))).toBeTruthy();
    gw.sendRaw(JSON.stringify({ type: 'status', id: 'e6', devices: ['ok', 'not ok!'] }));
    expect(await gw.reply('e6')).toMatchObject({ code: 'bad_message' });
    // still open and working
    expect(await gw.batch('e7', readings('WS-E', 0, 3))).toMatchObject({ accepted: 3 });
    expect(await count(sql`device_id = (SELECT id FROM devices WHERE serial = 'WS-E')`)).toBe(3);
    gw.close();
  });

  it('closes a socket that sends a frame over the limit with 1009, and only that socket', async () => {
    const bystander = await svc.gateway(key);
    const gw = await svc.gateway(key);
    gw.sendRaw('x'.repeat(2 * 1024 * 1024));
    expect((await gw.closed).code).toBe(1009);
    expect(await bystander.batch('after-big', readings('WS-F', 0, 1))).toMatchObject({ accepted: 1 });
    bystander.close();
  });

  it('refuses the upgrade with HTTP 401 for a missing, unknown or malformed key', async () => {
    await expect(svc.gateway(null)).rejects.toThrow('HTTP 401');
    await expect(svc.gateway('gk_unknownkeyunknownkeyunknownkeyunknownkey')).rejects.toThrow('HTTP 401');
    await expect(svc.gateway(null, { Authorization: 'Basic Zm9vOmJhcg==' })).rejects.toThrow('HTTP 401');
  });

  it('closes open sockets of a revoked key with 1008 and refuses it afterwards', async () => {
    const gwRow = await seedGateway(tdb.db);
    const a = await svc.gateway(gwRow.key);
    const b = await svc.gateway(gwRow.key);
    const bystander = await svc.gateway(key);
    expect(await a.batch('r1', readings('WS-R', 0, 1))).toMatchObject({ accepted: 1 });
    await revoke(tdb.db, gwRow.id);
    expect((await a.closed).code).toBe(1008);
    expect((await b.closed).code).toBe(1008);
    await expect(svc.gateway(gwRow.key)).rejects.toThrow('HTTP 401');
    expect(await bystander.batch('r2', readings('WS-R2', 0, 1))).toMatchObject({ accepted: 1 });
    bystander.close();
  });

  it('drops a peer that stops answering pings', async () => {
    const silent = await svc.gateway(key, {}, false);
    const alive = await svc.gateway(key);
    // The server terminates the silent peer without a close frame: 1006 on our side.
    expect((await silent.closed).code).toBe(1006);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    alive.close();
  });
});
