import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/engine/config.ts';
import { streamConnectivityCheck, type StreamLastSeen } from '../../../src/engine/connectivity.ts';

// connectivity_loss per gateway stream: a device is silent when its gateway goes on without
// it, or when its gateway itself fell silent while the site's others went on; a gateway
// behind the others, or replaying history, is not a silence.

const HOUR = 3_600_000;
const now = Date.UTC(2026, 5, 1);
const seen = (device: string, gateway: string, hoursAgo: number): StreamLastSeen => ({ device, gateway, lastSeenAt: now - hoursAgo * HOUR });
const silentOf = (devices: StreamLastSeen[], replaying?: Set<string>, limits?: Map<string, number>) =>
  streamConnectivityCheck(devices, DEFAULT_CONFIG, limits, replaying).silent.map((s) => [s.device, s.silentHours, s.against]);

describe('streamConnectivityCheck', () => {
  it('judges a device against its own gateway: one behind the site, and its devices behind it, are not silent', () => {
    // b2 is 77 h behind the site, but 47 h behind its gateway, itself 30 h behind.
    const devices = [seen('a1', 'A', 0), seen('a2', 'A', 48), seen('b1', 'B', 30), seen('b2', 'B', 77)];
    expect(silentOf(devices)).toEqual([['a2', 48, 'gateway']]);
    expect(streamConnectivityCheck(devices, DEFAULT_CONFIG).reporting).toBe(3);
  });

  it('counts a gateway that fell silent while the site went on to the site\'s time', () => {
    const devices = [seen('d1', 'G1', 50), seen('d2', 'G1', 60), seen('e1', 'G2', 0), seen('bedside', 'G3', 49)];
    expect(silentOf(devices)).toEqual([['d2', 60, 'site'], ['d1', 50, 'site'], ['bedside', 49, 'site']]);
  });

  it('waits for either the device or its gateway to be silent for the whole limit', () => {
    // G1 is 30 h behind the site and d1 30 h behind G1: neither is 48 h.
    expect(silentOf([seen('d1', 'G1', 60), seen('d2', 'G1', 30), seen('e1', 'G2', 0)])).toEqual([]);
  });

  it('leaves out a gateway replaying history: neither its devices nor its stream', () => {
    const devices = [seen('live', 'L', 0), seen('old1', 'R', 300 * 24), seen('old2', 'R', 310 * 24)];
    expect(silentOf(devices, new Set(['R']))).toEqual([]);
    expect(streamConnectivityCheck(devices, DEFAULT_CONFIG, undefined, new Set(['R'])).reporting).toBe(1);
    // A replaying gateway ahead of the others in event time is not the site's time either.
    expect(silentOf([seen('l1', 'L', 100), seen('l2', 'L', 100), seen('r1', 'R', 0)], new Set(['R']))).toEqual([]);
    expect(silentOf([seen('l1', 'L', 100), seen('l2', 'L', 100), seen('r1', 'R', 0)])).toEqual([['l1', 100, 'site'], ['l2', 100, 'site']]);
  });

  it('flags nobody when the whole site is silent, and holds each device to its own limit', () => {
    // Measured against the site's newest reading, the whole site cannot be silent.
    expect(silentOf([seen('a', 'G', 50), seen('b', 'G', 60)])).toEqual([]);
    const limits = new Map([['weekly', 336]]);
    expect(silentOf([seen('weekly', 'G', 200), seen('daily', 'G', 0)], undefined, limits)).toEqual([]);
    expect(silentOf([seen('weekly', 'G', 336), seen('daily', 'G', 0)], undefined, limits)).toEqual([['weekly', 336, 'gateway']]);
  });
});
