import pg from 'pg';
import { createCohort, type CohortOptions } from '../../simulators/index.ts';
import { DEFAULT_CONFIG, newDeviceState, processReading, type AlertDecision } from '../../src/engine/index.ts';

// The alerts a service run should hold for a cohort: the pure engine over each device's
// readings in event-time order, decisions folded one alert per device and kind (a late
// reading's decision is applied when it arrives and earlier ones are not withdrawn, so
// occurrences may exceed the in-order run). Used by the simulator and fault tests.

export interface AlertView {
  device: string;
  kind: string;
  priority: string;
  openedAt: number;
  lastSeenAt: number;
  occurrences: number;
  triggers: Set<number>;
}

const RANK = { low: 0, medium: 1, high: 2 } as const;

/** The pure engine over each device's readings in event-time order: `visit` sees every result. */
function runInOrder(options: CohortOptions, visit: (device: string, seq: number, result: ReturnType<typeof processReading>) => void): void {
  const byDevice = new Map<string, Array<{ seq: number; at: number; metric: string; value: number }>>();
  for (const r of createCohort(options).readings()) {
    let list = byDevice.get(r.device);
    if (!list) byDevice.set(r.device, (list = []));
    list.push({ seq: r.seq, at: Date.parse(r.at), metric: r.metric, value: r.value });
  }
  for (const [device, list] of byDevice) {
    list.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const state = newDeviceState();
    for (const r of list) visit(device, r.seq, processReading(state, r, DEFAULT_CONFIG));
  }
}

export function inOrderAlerts(options: CohortOptions): AlertView[] {
  const out = new Map<string, AlertView>();
  runInOrder(options, (device, _seq, result) => {
    for (const d of result.decisions) fold(out, device, d);
  });
  return sorted([...out.values()]);
}

/** Each reading's score (`device:seq`, three decimals as stored) in an uninterrupted in-order run. */
export function inOrderScores(options: CohortOptions): Map<string, number> {
  const out = new Map<string, number>();
  runInOrder(options, (device, seq, result) => {
    // A repeated transmission's reading is a duplicate: stored, and scored, once.
    const k = `${device}:${seq}`;
    if (!out.has(k)) out.set(k, Math.round(result.score * 1000) / 1000);
  });
  return out;
}

function fold(out: Map<string, AlertView>, device: string, d: AlertDecision): void {
  const k = `${device}/${d.kind}`;
  const a = out.get(k);
  if (!a) {
    out.set(k, { device, kind: d.kind, priority: d.priority, openedAt: d.trigger.at, lastSeenAt: d.trigger.at, occurrences: 1, triggers: new Set([d.trigger.seq]) });
    return;
  }
  a.occurrences++;
  a.triggers.add(d.trigger.seq);
  a.lastSeenAt = Math.max(a.lastSeenAt, d.trigger.at);
  a.openedAt = Math.min(a.openedAt, d.trigger.at);
  if (RANK[d.priority] > RANK[a.priority as keyof typeof RANK]) a.priority = d.priority;
}

export const sorted = (a: AlertView[]) => a.sort((x, y) => (x.device + x.kind < y.device + y.kind ? -1 : 1));

/** The engine's per-device alerts stored (connectivity_loss is site-level and left out). */
export async function storedAlerts(url: string): Promise<AlertView[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ serial: string; kind: string; priority: string; opened_at: Date; last_seen_at: Date; occurrences: number; triggers: string[] }>(`
      SELECT d.serial, a.kind, a.priority, a.opened_at, a.last_seen_at, a.occurrences,
             (SELECT array_agg(t.seq) FROM alert_triggers t WHERE t.alert_id = a.id) AS triggers
      FROM alerts a JOIN devices d ON d.id = a.device_id
      WHERE a.kind <> 'connectivity_loss'`);
    return sorted(res.rows.map((r) => ({
      device: r.serial, kind: r.kind, priority: r.priority, openedAt: r.opened_at.getTime(),
      lastSeenAt: r.last_seen_at.getTime(), occurrences: r.occurrences, triggers: new Set(r.triggers.map(Number)),
    })));
  } finally {
    await c.end();
  }
}

export interface AlertComparison {
  stored: number;
  expected: number;
  /** Alerts (device/kind/openedAt) in one list and not the other. */
  onlyStored: string[];
  onlyExpected: string[];
  /** Alerts missing an in-order trigger, or with occurrences that do not match their triggers or fall short. */
  triggerMismatches: string[];
  unscored: number;
  /** Replays of late readings and groups of alert decisions still waiting. */
  pending: number;
}

export async function compareAlerts(url: string, options: CohortOptions): Promise<AlertComparison> {
  const stored = await storedAlerts(url);
  const expected = inOrderAlerts(options);
  const key = (a: AlertView) => `${a.device}/${a.kind}/${new Date(a.openedAt).toISOString()}`;
  const storedByKey = new Map(stored.map((a) => [key(a), a]));
  const expectedKeys = new Set(expected.map(key));
  const triggerMismatches: string[] = [];
  for (const e of expected) {
    const s = storedByKey.get(key(e));
    if (!s) continue;
    const missingTriggers = [...e.triggers].filter((t) => !s.triggers.has(t));
    if (missingTriggers.length > 0 || s.occurrences !== s.triggers.size || s.occurrences < e.occurrences) {
      triggerMismatches.push(`${key(e)} missing triggers ${missingTriggers.join(',')} occurrences ${s.occurrences}/${e.occurrences}`);
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const left = await c.query<{ unscored: number; pending: number }>(`
    SELECT (SELECT count(*)::int FROM readings WHERE score IS NULL) AS unscored,
           (SELECT count(*)::int FROM engine_pending) + (SELECT count(*)::int FROM alert_outbox) AS pending`);
  await c.end();
  return {
    stored: stored.length,
    expected: expected.length,
    onlyStored: [...storedByKey.keys()].filter((k) => !expectedKeys.has(k)),
    onlyExpected: [...expectedKeys].filter((k) => !storedByKey.has(k)),
    triggerMismatches,
    unscored: left.rows[0]!.unscored,
    pending: left.rows[0]!.pending,
  };
}
