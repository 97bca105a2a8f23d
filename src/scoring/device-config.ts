// The engine configuration each device is scored with: the defaults, with the stored
// per-site and per-patient overrides on top.
import type { FastifyBaseLogger } from 'fastify';
import { mergeConfig, overrideProblems, type DeepPartial, type EngineConfig } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { loadEngineSettings, NO_SETTINGS, type SettingsSnapshot } from '../store/engine-settings.ts';

export class DeviceConfigs {
  private settings: SettingsSnapshot = NO_SETTINGS;
  /** Effective configuration per device: defaults, site override, patient override. */
  private readonly configs = new Map<number, EngineConfig>();

  constructor(
    private readonly db: Db,
    private readonly defaults: EngineConfig,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Load the per-site and per-patient overrides again; devices use the new settings from
   * their next reading (a replay uses the settings current when it runs).
   */
  async refresh(): Promise<boolean> {
    const next = await loadEngineSettings(this.db);
    if (next.signature === this.settings.signature) return false;
    this.settings = next;
    this.configs.clear();
    return true;
  }

  of(deviceId: number, siteId: number): EngineConfig {
    let c = this.configs.get(deviceId);
    if (!c) {
      const site = this.settings.sites.get(siteId) as DeepPartial<EngineConfig> | undefined;
      const patient = this.settings.devices.get(deviceId) as DeepPartial<EngineConfig> | undefined;
      // Overrides are checked when stored; one that no longer fits (an engine upgrade) is
      // ignored rather than stopping the device's scoring.
      try {
        // An override stored before a rule existed (a clinical floor of a hard limit) is checked
        // again here: it must not switch a hard limit off just because it predates the check.
        const problems = [...(site ? overrideProblems(site) : []), ...(patient ? overrideProblems(patient) : [])];
        if (problems.length > 0) throw new Error(problems.join('; '));
        c = site || patient ? mergeConfig(this.defaults, site, patient) : this.defaults;
      } catch (err) {
        this.log.error({ err: { message: err instanceof Error ? err.message : String(err) }, device: deviceId }, 'engine settings override ignored');
        c = this.defaults;
      }
      this.configs.set(deviceId, c);
    }
    return c;
  }
}
