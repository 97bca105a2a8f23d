// connectivity_loss is a site-level rule: silence only means something while other devices of
// the same site keep reporting (otherwise the site's relay or the service itself is down). The
// service calls this periodically with event times; it keeps no state of its own.
import type { EngineConfig } from './config.ts';

export interface SilentDevice {
  readonly device: string;
  readonly lastSeenAt: number;
  readonly silentHours: number;
}

/**
 * `siteEventTime` is the site's latest event time (the newest reading of any of its devices).
 * Returns the devices silent for at least the configured hours, oldest silence first, or none
 * when no other device of the site reported within that window.
 */
export function connectivityCheck(
  lastSeenByDevice: ReadonlyMap<string, number>, siteEventTime: number, config: EngineConfig,
): SilentDevice[] {
  const limitMs = config.connectivity.silentHours * 3_600_000;
  const silent: SilentDevice[] = [];
  let othersReporting = 0;
  for (const [device, lastSeenAt] of lastSeenByDevice) {
    if (siteEventTime - lastSeenAt >= limitMs) {
      silent.push({ device, lastSeenAt, silentHours: Math.floor((siteEventTime - lastSeenAt) / 3_600_000) });
    } else othersReporting++;
  }
  if (othersReporting === 0) return [];
  return silent.sort((a, b) => a.lastSeenAt - b.lastSeenAt || (a.device < b.device ? -1 : 1));
}
