import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { GatewayHub } from '../../../src/ingest/hub.ts';
import type { GatewaySession } from '../../../src/ingest/session.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';

// The heartbeat pings every socket once a ping interval, a share of them each tick.

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  pings: number[] = [];
  terminated = false;
  /** Set by a test: the peer answers every ping at once, as the session's pong listener would record. */
  answer: (() => void) | null = null;
  ping() {
    this.pings.push(Date.now());
    this.answer?.();
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
}

type FakeSession = GatewaySession & { socket: FakeSocket; joined: number };

function session(): FakeSession {
  const s = { socket: new FakeSocket(), gateway: { gatewayId: 1, siteId: 1 }, lastSeen: Date.now(), joined: Date.now(), onClosed: null, close() {} } as unknown as FakeSession;
  // As GatewaySession does: the hub hears of the close through onClosed.
  s.socket.on('close', () => s.onClosed?.(s));
  return s;
}

/** A session whose peer answers every ping. */
function answering(): FakeSession {
  const s = session();
  s.socket.answer = () => {
    s.lastSeen = Date.now();
  };
  return s;
}

const PING_MS = 30_000;
const IDLE_MS = 60_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GatewayHub heartbeat', () => {
  it('pings every socket once a ping interval, never more than its share in one tick', () => {
    const hub = new GatewayHub(createMetrics(), PING_MS, IDLE_MS);
    const all = Array.from({ length: 3000 }, session);
    for (const s of all) hub.add(s);
    // Nothing in the first interval, as before: the first round starts one interval after the first socket.
    vi.advanceTimersByTime(PING_MS - 100);
    expect(all.every((s) => s.socket.pings.length === 0)).toBe(true);
    // Keep every socket answering, and count the pings of each 100 ms tick.
    const perTick: number[] = [];
    let before = 0;
    for (let t = 0; t < (2 * PING_MS) / 100; t++) {
      for (const s of all) s.lastSeen = Date.now();
      vi.advanceTimersByTime(100);
      const total = all.reduce((n, s) => n + s.socket.pings.length, 0);
      perTick.push(total - before);
      before = total;
    }
    // Two intervals: every socket pinged twice, about one interval apart, 10 a tick at most (3,000 × 100 / 30,000).
    expect(all.every((s) => s.socket.pings.length === 2)).toBe(true);
    expect(Math.max(...perTick)).toBe(10);
    for (const s of all) expect(s.socket.pings[1]! - s.socket.pings[0]!).toBeGreaterThanOrEqual(PING_MS - 100);
    hub.closeAll();
  });

  it('drops a socket silent for longer than the idle limit and keeps pinging the others', () => {
    const hub = new GatewayHub(createMetrics(), PING_MS, IDLE_MS);
    const silent = session();
    const answering = Array.from({ length: 50 }, session);
    hub.add(silent);
    for (const s of answering) hub.add(s);
    for (let t = 0; t < (3 * PING_MS) / 100; t++) {
      for (const s of answering) s.lastSeen = Date.now();
      vi.advanceTimersByTime(100);
    }
    expect(silent.socket.terminated).toBe(true);
    expect(answering.some((s) => s.socket.terminated)).toBe(false);
    expect(answering.every((s) => s.socket.pings.length >= 2)).toBe(true);
    hub.closeAll();
  });

  it('keeps every answering socket while thousands join faster than a round visits them', () => {
    const PING = 3000;
    const IDLE = 4000;
    const hub = new GatewayHub(createMetrics(), PING, IDLE);
    const all: FakeSession[] = [];
    // 100 new sockets every 100 ms tick for 20 s (20,000), then 10 s more.
    for (let t = 0; t < 300; t++) {
      if (t < 200) {
        for (let i = 0; i < 100; i++) {
          const s = answering();
          all.push(s);
          hub.add(s);
        }
      }
      vi.advanceTimersByTime(100);
    }
    expect(all.filter((s) => s.socket.terminated)).toHaveLength(0);
    for (const s of all) {
      // The first ping within an interval (and a tick) of joining, then one about every interval.
      expect(s.socket.pings[0]! - s.joined).toBeLessThanOrEqual(PING + 100);
      for (let i = 1; i < s.socket.pings.length; i++) expect(s.socket.pings[i]! - s.socket.pings[i - 1]!).toBeLessThanOrEqual(PING + 100);
    }
    hub.closeAll();
  });

  it('a socket that joins during a round is pinged in that round or the next', () => {
    const hub = new GatewayHub(createMetrics(), 200, 4000);
    const first = Array.from({ length: 20 }, session);
    for (const s of first) hub.add(s);
    vi.advanceTimersByTime(250); // the first round has begun
    const late = session();
    hub.add(late);
    vi.advanceTimersByTime(2 * 200);
    expect(late.socket.pings.length).toBeGreaterThanOrEqual(1);
    hub.closeAll();
  });
});
