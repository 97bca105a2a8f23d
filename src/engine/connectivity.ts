// connectivity_loss is a site-level rule: silence only means something while other devices of
// the same site keep reporting (otherwise the site's relay or the service itself is down). The
// service calls this periodically with event times; it keeps no state of its own. How long is
// too long is per device: its expected cadence (cadence.ts), never less than silentHours.
import type { EngineConfig } from './config.ts';

export interface SilentDevice {
  readonly device: string;
  readonly lastSeenAt: number;
  readonly silentHours: number;
}

/**
 * `siteEventTime` is the site's latest event time (the newest reading of any of its devices).
 * Returns the devices silent for at least their silence limit, oldest silence first, or none
 * when no other device of the site reported within its own limit. A device's limit is
 * `limitHoursByDevice`'s (its cadence, see silenceLimit) or else `connectivity.silentHours`.
 */
export function connectivityCheck(
  lastSeenByDevice: ReadonlyMap<string, number>, siteEventTime: number, config: EngineConfig,
  limitHoursByDevice?: ReadonlyMap<string, number>,
): SilentDevice[] {
  const floorHours = config.connectivity.silentHours;
  const silent: SilentDevice[] = [];
  let othersReporting = 0;
  for (const [device, lastSeenAt] of lastSeenByDevice) {
    const limitMs = (limitHoursByDevice?.get(device) ?? floorHours) * 3_600_000;
    if (siteEventTime - lastSeenAt >= limitMs) {
      silent.push({ device, lastSeenAt, silentHours: Math.floor((siteEventTime - lastSeenAt) / 3_600_000) });
    } else othersReporting++;
  }
  if (othersReporting === 0) return [];
  return silent.sort((a, b) => a.lastSeenAt - b.lastSeenAt || (a.device < b.device ? -1 : 1));
}
