// The engine configuration each device is scored with: the defaults, with the stored
// per-site and per-patient overrides on top.
import type { FastifyBaseLogger } from 'fastify';
import { mergeConfig, overrideProblems, type DeepPartial, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { loadEngineSettings, NO_SETTINGS, versionAt, type SettingsSnapshot } from '../store/engine-settings.ts';
import { loggedError } from '../util/error-message.ts';

export class DeviceConfigs {
  private settings: SettingsSnapshot = NO_SETTINGS;
  /** Effective configuration per device: defaults, site override, patient override. */
  private readonly configs = new Map<number, EngineConfig>();
  /** Configurations of earlier versions, by device and the versions' indexes. */
  private readonly past = new Map<string, EngineConfig>();

  constructor(
    private readonly db: Db,
    private readonly defaults: EngineConfig,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Load the per-site and per-patient overrides again; devices use the new settings from
   * their next reading (a replay uses the version in force when each reading was received: device-config.ts `at`).
   */
  async refresh(): Promise<boolean> {
    const next = await loadEngineSettings(this.db);
    if (next.signature === this.settings.signature) return false;
    this.settings = next;
    this.configs.clear();
    this.past.clear();
    return true;
  }

  /** The device's configuration now: the overrides in force. */
  of(deviceId: number, siteId: number): EngineConfig {
    let c = this.configs.get(deviceId);
    if (!c) {
      c = this.merge(deviceId, this.settings.sites.get(siteId), this.settings.devices.get(deviceId));
      this.configs.set(deviceId, c);
    }
    return c;
  }

  /**
   * The device's configuration for a reading received at `at` (wall clock, epoch ms): the
   * overrides in force then (their versions, store/engine-settings.ts). The live path scores
   * each reading as it is received, with the settings in force; a replay of the past (a late
   * reading's, the what-if's) so scores every reading as it was scored. O(1) for a reading
   * received after the latest change.
   */
  at(deviceId: number, siteId: number, at: number): EngineConfig {
    const sv = this.settings.siteVersions.get(siteId);
    const pv = this.settings.deviceVersions.get(deviceId);
    if ((!sv || at >= sv[sv.length - 1]!.from) && (!pv || at >= pv[pv.length - 1]!.from)) return this.of(deviceId, siteId);
    const s = sv ? versionAt(sv, at) : { index: -2, settings: this.settings.sites.get(siteId) };
    const p = pv ? versionAt(pv, at) : { index: -2, settings: this.settings.devices.get(deviceId) };
    const key = `${deviceId}|${siteId}|${s.index}|${p.index}`;
    let c = this.past.get(key);
    if (!c) {
      c = this.merge(deviceId, s.settings, p.settings);
      this.past.set(key, c);
    }
    return c;
  }

  private merge(deviceId: number, siteOverride: unknown, patientOverride: unknown): EngineConfig {
    const site = siteOverride as DeepPartial<EngineConfig> | undefined;
    const patient = patientOverride as DeepPartial<EngineConfig> | undefined;
    // Overrides are checked when stored; one that no longer fits (an engine upgrade) is
    // ignored rather than stopping the device's scoring.
    try {
      // An override stored before a rule existed (a clinical floor of a hard limit) is checked
      // again here: it must not switch a hard limit off just because it predates the check.
      const problems = [...(site ? overrideProblems(site) : []), ...(patient ? overrideProblems(patient) : [])];
      if (problems.length > 0) throw new Error(problems.join('; '));
      return site || patient ? mergeConfig(this.defaults, site, patient) : this.defaults;
    } catch (err) {
      this.log.error({ err: loggedError(err), device: deviceId }, 'engine settings override ignored');
      return this.defaults;
    }
  }
}
