import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { DeviceStates } from '../../src/scoring/device-state.ts';
import { StateSaver } from '../../src/scoring/state-saver.ts';
import { newDeviceState } from '../../src/engine/index.ts';

// Snapshots of device states on a real database: the periodic tick and the timer of
// soonIfDue overlap whenever a save is slow; each device's snapshot is written once.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await tdb?.drop();
});
beforeEach(async () => {
  await sql`TRUNCATE engine_snapshots`.execute(tdb.db);
});

/** `n` devices with ten event days taken in since their first reading: each due a snapshot. */
function dueStates(n: number): DeviceStates {
  const states = new DeviceStates();
  for (let id = 1; id <= n; id++) track(states, id, 10, id * 100);
  return states;
}

function track(states: DeviceStates, id: number, day: number, seq: number): void {
  const engine = newDeviceState();
  engine.firstAt = T0;
  engine.lastAt = T0 + day * DAY;
  engine.lastSeq = seq;
  const e = states.entry(id, 1);
  e.tracked = { engine, risk: 'Low' };
  e.dirty = true;
}

const saver = (states: DeviceStates) =>
  new StateSaver(tdb.db, states, null, { snapshotEveryDays: 7, snapshotKeepDays: 60, log: pino({ level: 'silent' }) });

async function saved(): Promise<Array<{ device_id: number; seq: number }>> {
  return (await sql<{ device_id: number; seq: number }>`SELECT device_id, seq FROM engine_snapshots ORDER BY device_id, seq`.execute(tdb.db)).rows;
}

describe('engine snapshots', () => {
  it('are written once per device when two saves overlap', async () => {
    const s = saver(dueStates(40));
    // The second starts while the first is being written, as soonIfDue's timer does.
    const [first, second] = await Promise.all([s.snapshot(), s.snapshot()]);
    expect(first).toBe(40);
    expect(second).toBe(0);
    expect(await saved()).toHaveLength(40);
    expect(await s.snapshot()).toBe(0); // nothing changed since
  });

  it('at shutdown, wait for a save in progress and then save what changed meanwhile', async () => {
    const states = dueStates(3);
    const s = saver(states);
    const periodic = s.snapshot();
    // A reading taken in by device 2 while its snapshot is written: the entry stays dirty.
    track(states, 2, 11, 201);
    const all = await s.snapshot(true);
    expect(await periodic).toBe(3);
    expect(all).toBe(1);
    expect(await saved()).toEqual([
      { device_id: 1, seq: 100 }, { device_id: 2, seq: 200 }, { device_id: 2, seq: 201 }, { device_id: 3, seq: 300 },
    ]);
  });
});
