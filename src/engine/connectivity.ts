// connectivity_loss is a site-level rule: silence only means something while other devices of
// the same site keep reporting (otherwise the site's relay or the service itself is down). The
// service calls this periodically with event times; it keeps no state of its own. How long is
// too long is per device: its expected cadence (cadence.ts), never less than silentHours. The
// service judges each device against the stream of the gateway that delivers it
// (streamConnectivityCheck), so a gateway behind the others, or replaying history, is not
// taken for silence; connectivityCheck is the same rule for one stream.
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

/** A device's newest reading (event time) and the gateway that delivered it. */
export interface StreamLastSeen {
  readonly device: string;
  readonly gateway: string;
  readonly lastSeenAt: number;
}

export interface StreamSilentDevice extends SilentDevice {
  /**
   * `gateway`: its gateway went on delivering newer readings without it (silence counted to the
   * gateway's stream time); `site`: its gateway itself fell silent while others of the site went
   * on (counted to the site's time).
   */
  readonly against: 'gateway' | 'site';
}

/**
 * connectivity_loss judged per gateway stream, for the devices of one site. A gateway's stream
 * time is the newest event time it delivered (the newest of its devices' last readings): a
 * gateway replaying last year is at last year, however fast it sends. A device is silent when
 *
 * - its gateway's stream time is at least its limit past the device's last reading (the
 *   gateway goes on delivering without it), or
 * - its gateway's stream time is itself at least its limit behind the site's (the newest of the
 *   site's streams): the gateway went quiet while the others went on. The silence is then
 *   counted to the site's time, as connectivityCheck does.
 *
 * The gateways in `replaying` deliver history, not now: their devices are not judged and their
 * streams are not the site's time (past silences in history are found when the reading that
 * ends them is taken in: cadence.ts endedSilence). `reporting` counts the devices judged and
 * not silent. A device's limit is `limitHoursByDevice`'s, else `connectivity.silentHours`.
 */
export function streamConnectivityCheck(
  devices: readonly StreamLastSeen[], config: EngineConfig,
  limitHoursByDevice?: ReadonlyMap<string, number>, replaying?: ReadonlySet<string>,
): { silent: StreamSilentDevice[]; reporting: number } {
  const streams = new Map<string, number>();
  for (const d of devices) {
    if (replaying?.has(d.gateway)) continue;
    const t = streams.get(d.gateway);
    if (t === undefined || d.lastSeenAt > t) streams.set(d.gateway, d.lastSeenAt);
  }
  const silent: StreamSilentDevice[] = [];
  let reporting = 0;
  if (streams.size === 0) return { silent, reporting };
  const siteTime = Math.max(...streams.values());
  const floorHours = config.connectivity.silentHours;
  for (const d of devices) {
    const stream = streams.get(d.gateway);
    if (stream === undefined) continue;
    const limitMs = (limitHoursByDevice?.get(d.device) ?? floorHours) * 3_600_000;
    const against = siteTime - stream >= limitMs ? 'site' : stream - d.lastSeenAt >= limitMs ? 'gateway' : null;
    if (against === null) {
      reporting++;
      continue;
    }
    const reference = against === 'site' ? siteTime : stream;
    silent.push({ device: d.device, lastSeenAt: d.lastSeenAt, silentHours: Math.floor((reference - d.lastSeenAt) / 3_600_000), against });
  }
  silent.sort((a, b) => a.lastSeenAt - b.lastSeenAt || (a.device < b.device ? -1 : 1));
  return { silent, reporting };
}
