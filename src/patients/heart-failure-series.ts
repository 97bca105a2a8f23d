// The daily fluid index of a patient's devices over a period, read back from the engine
// itself: each device's stored readings replayed from the newest engine snapshot before the
// period, under the settings in force when each reading was received and with its lifecycle.
import pino from 'pino';
import { DEFAULT_CONFIG, type DeviceState, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { pendingOf, snapshotBefore } from '../store/engine-history.ts';
import { lifecycleOf, NO_LIFECYCLE } from '../store/lifecycle.ts';
import { readingsBetween } from '../store/patient-records.ts';
import { DeviceConfigs } from '../scoring/device-config.ts';
import { firstStates } from '../replay/replay.ts';
import { fluidDays, type FluidDay } from './heart-failure.ts';

/** Readings read from the database at once while the engine replays a device. */
const REPLAY_CHUNK = 20_000;

export interface DeviceFluidSeries {
  readonly deviceId: number;
  /** The fluid threshold of the settings in force now, Ohm·days. */
  readonly threshold: number;
  readonly days: readonly FluidDay[];
}

export async function fluidSeries(
  db: Db, devices: ReadonlyArray<{ readonly id: number; readonly siteId: number }>, from: number, to: number,
): Promise<DeviceFluidSeries[]> {
  const configs = new DeviceConfigs(db, DEFAULT_CONFIG, pino({ level: 'silent' }));
  await configs.refresh();
  const lifecycles = await lifecycleOf(db, devices.map((d) => d.id));
  const out: DeviceFluidSeries[] = [];
  for (const d of devices) {
    const configAt = (received: number): EngineConfig => configs.at(d.id, d.siteId, received);
    const lifecycle = lifecycles.get(d.id) ?? NO_LIFECYCLE;
    // The newest snapshot before the period (and before any late reading still to replay):
    // the state the service itself would rebuild from.
    const pending = await pendingOf(db, d.id);
    const bound = { at: pending && pending.at < from ? pending.at : from, seq: Number.MIN_SAFE_INTEGER };
    const snap = await snapshotBefore(db, d.id, bound);
    const state: DeviceState = snap
      ? structuredClone((snap.state as { engine: DeviceState }).engine)
      : (await firstStates(db, lifecycle.replaces, configAt, configAt))[0];
    let after = snap ? { at: snap.at, seq: snap.seq } : null;
    const days: FluidDay[] = [];
    for (;;) {
      const rows = await readingsBetween(db, d.id, after, to, REPLAY_CHUNK);
      days.push(...fluidDays(state, rows, configAt, lifecycle.events, from));
      const last = rows.at(-1);
      if (!last || rows.length < REPLAY_CHUNK) break;
      after = { at: last.at, seq: last.seq };
    }
    out.push({ deviceId: d.id, threshold: configs.of(d.id, d.siteId).hf.fluidThreshold, days });
  }
  return out;
}
