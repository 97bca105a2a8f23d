import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedGateway, startService, type RunningService } from '../helpers/service.ts';
import { revoke } from '../../src/admin/commands.ts';

const SERIAL = 'MDT-SECRETSERIAL42';
const lines: string[] = [];
let tdb: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  svc = await startService(tdb.db, tdb.url, { LOG_LEVEL: 'trace' }, { write: (l) => void lines.push(l) });
});
afterAll(async () => {
  await svc?.close();
  await tdb?.drop();
});

describe('logs', () => {
  it('carry no device serial, key or path parameters, even at trace level', async () => {
    const gw = await seedGateway(tdb.db);
    const reading = { device: SERIAL, seq: 1, at: '2026-03-04T02:00:00Z', metric: 'heart_rate', value: 60 };
    const ws = await svc.gateway(gw.key);
    await ws.batch('l1', [reading, { ...reading, seq: 2, value: 9999 }]);
    ws.sendRaw(JSON.stringify({ type: 'status', id: 'l2', devices: [SERIAL] }));
    await ws.reply('l2');
    await fetch(`${svc.httpUrl}/v1/readings?device=${SERIAL}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
      body: JSON.stringify({ readings: [{ ...reading, seq: 3 }] }),
    });
    await fetch(`${svc.httpUrl}/v1/unknown/${SERIAL}`);
    await revoke(tdb.db, gw.id);
    await ws.closed;

    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the logger did write
    expect(text).toContain('/v1/readings'); // routes are logged by pattern
    expect(text).not.toContain(SERIAL);
    expect(text).not.toContain(gw.key);
    expect(text).not.toContain(gw.key.slice(3, 15));
  });
});
