// Where the connectivity check finds each device's configuration and learnt cadence: the
// scoring service's state while the device is held in memory, else its newest snapshot (an
// idle device is snapshotted before it is forgotten, so that is its latest state).
import { readCadence, type CadenceState, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import type { LastReading } from '../store/devices.ts';
import { snapshotCadences } from '../store/engine-history.ts';
import type { ScoringService } from './service.ts';

/** What the connectivity check asks of the engine's side, per device. */
export interface SilenceSource {
  configOf(deviceId: number, siteId: number): EngineConfig;
  /** The learnt cadence of each of these devices (undefined: none known). */
  cadences(rows: readonly LastReading[]): Promise<ReadonlyMap<number, CadenceState | undefined>>;
}

export class ScoringCadences implements SilenceSource {
  /**
   * Cadences read from snapshots, kept while the device's newest reading stays the same:
   * a silent device is checked every few seconds, its snapshot read once.
   */
  private stored = new Map<number, { seq: number; at: number; cadence: CadenceState | undefined }>();

  constructor(
    private readonly db: Db,
    private readonly scoring: ScoringService,
  ) {}

  configOf(deviceId: number, siteId: number): EngineConfig {
    return this.scoring.deviceView(deviceId, siteId).config;
  }

  async cadences(rows: readonly LastReading[]): Promise<ReadonlyMap<number, CadenceState | undefined>> {
    const out = new Map<number, CadenceState | undefined>();
    const kept = new Map<number, { seq: number; at: number; cadence: CadenceState | undefined }>();
    const load: LastReading[] = [];
    for (const r of rows) {
      const live = this.scoring.deviceView(r.device_id, r.site_id).state;
      const cached = this.stored.get(r.device_id);
      if (live) out.set(r.device_id, live.cadence);
      else if (cached && cached.seq === r.seq && cached.at === r.at.getTime()) {
        out.set(r.device_id, cached.cadence);
        kept.set(r.device_id, cached);
      } else load.push(r);
    }
    const snaps = await snapshotCadences(this.db, load.map((r) => r.device_id));
    for (const r of load) {
      const cadence = readCadence(snaps.get(r.device_id));
      out.set(r.device_id, cadence);
      kept.set(r.device_id, { seq: r.seq, at: r.at.getTime(), cadence });
    }
    // Only devices still silent stay cached.
    this.stored = kept;
    return out;
  }
}
