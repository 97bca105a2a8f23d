import pg from 'pg';
import { createCohort, type CohortOptions, type SimulationSummary } from '../../simulators/index.ts';
import { compareAlerts, inOrderScores, type AlertComparison } from '../helpers/in-order-alerts.ts';

// What a fault scenario checks against the database, and the one line it prints.

export interface Stored {
  /** `device:seq` -> rows stored under that key (more than 1 would be a double store). */
  readonly keys: Map<string, number>;
  readonly rows: number;
}

/** Every stored reading's key, read over a connection of its own (the service may be down). */
export async function storedReadings(url: string, exceptDevicePrefix?: string): Promise<Stored> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    const res = await c.query<{ serial: string; seq: string }>(
      `SELECT d.serial, r.seq::text AS seq FROM readings r JOIN devices d ON d.id = r.device_id
       WHERE $1::text IS NULL OR d.serial NOT LIKE $1::text || '%'`,
      [exceptDevicePrefix ?? null],
    );
    const keys = new Map<string, number>();
    for (const r of res.rows) {
      const k = `${r.serial}:${r.seq}`;
      keys.set(k, (keys.get(k) ?? 0) + 1);
    }
    return { keys, rows: res.rows.length };
  } finally {
    await c.end();
  }
}

/** The distinct `device:seq` keys a cohort generates (its duplicated transmissions repeat keys). */
export function generatedKeys(options: CohortOptions): Set<string> {
  const keys = new Set<string>();
  for (const r of createCohort(options).readings()) keys.add(`${r.device}:${r.seq}`);
  return keys;
}

export interface Ledger {
  /** Keys the service was expected to end up holding. */
  expected: ReadonlySet<string>;
  /** Keys the service acked (accepted or duplicate). */
  acked: ReadonlySet<string>;
}

export interface Verdict {
  stored: number;
  /** Rows beyond the first under one key. */
  storedTwice: number;
  /** Acked (or expected) and not stored. */
  missing: number;
  /** Stored and neither expected nor acked. */
  unexpected: number;
}

export function compare(stored: Stored, ledger: Ledger): Verdict {
  let storedTwice = 0;
  let unexpected = 0;
  for (const [k, n] of stored.keys) {
    storedTwice += n - 1;
    if (!ledger.expected.has(k) && !ledger.acked.has(k)) unexpected++;
  }
  let missing = 0;
  for (const k of ledger.expected) if (!stored.keys.has(k)) missing++;
  for (const k of ledger.acked) if (!ledger.expected.has(k) && !stored.keys.has(k)) missing++;
  return { stored: stored.rows, storedTwice, missing, unexpected };
}

/** Keys of `subset` absent from the stored set (e.g. acked so far, checked at the fault). */
export function notStored(subset: Iterable<string>, stored: Stored): number {
  let n = 0;
  for (const k of subset) if (!stored.keys.has(k)) n++;
  return n;
}

/** One line per scenario for the log: sent, acked, stored, duplicates, missing, and the scenario's own figures. */
export function report(
  scenario: string,
  summary: SimulationSummary,
  acked: number,
  verdict: Verdict,
  extra: Record<string, string | number | boolean> = {},
): string {
  const fields: Record<string, string | number | boolean> = {
    generated: summary.readings,
    sent: summary.sent,
    resent: summary.resent,
    acked,
    accepted: summary.accepted,
    duplicateAcks: summary.duplicates,
    confirmedByStatus: summary.confirmedByStatus,
    rejected: summary.rejected,
    failed: summary.failed,
    stored: verdict.stored,
    storedTwice: verdict.storedTwice,
    missing: verdict.missing,
    unexpected: verdict.unexpected,
    reconnects: summary.reconnects,
    ...extra,
  };
  const line = `[faults] ${scenario}: ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  console.log(line);
  return line;
}

/** process_resident_memory_bytes of the service, in MB, from /metrics (null when it does not answer). */
export async function rssMb(httpUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const m = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    return m ? Math.round(Number(m[1]) / 1048576) : null;
  } catch {
    return null;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until true; fails after `limitMs` (a generous limit, not a speed assertion). */
export async function until(what: string, check: () => Promise<boolean> | boolean, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Late readings' replays still queued (engine_pending) and groups of alert decisions not yet
 * applied (alert_outbox), over a connection of its own.
 */
export async function pendingReplays(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM engine_pending)::int + (SELECT count(*) FROM alert_outbox)::int AS n',
    )).rows[0]!.n;
  } finally {
    await c.end();
  }
}

/**
 * The alerts stored at the end of a run against those of the pure engine over the same
 * cohort in event-time order (what an uninterrupted run stores), once every replay of a
 * late reading has run; with the report fields that say what was compared.
 */
export async function settledAlerts(url: string, options: CohortOptions): Promise<{ comparison: AlertComparison; fields: Record<string, number> }> {
  await until('no replay or alert decision pending', async () => (await pendingReplays(url)) === 0);
  const a = await compareAlerts(url, options);
  return {
    comparison: a,
    fields: {
      alertsStored: a.stored,
      alertsInOrder: a.expected,
      alertsOnlyStored: a.onlyStored.length,
      alertsOnlyInOrder: a.onlyExpected.length,
      alertTriggerMismatches: a.triggerMismatches.length,
      unscored: a.unscored,
    },
  };
}

/** The verdict a scenario asserts: the same alerts, every trigger applied, nothing left unscored. */
export function alertVerdict(a: AlertComparison) {
  return {
    onlyStored: a.onlyStored,
    onlyInOrder: a.onlyExpected,
    triggers: a.triggerMismatches,
    unscored: a.unscored,
    pending: a.pending,
  };
}
export const SAME_ALERTS = { onlyStored: [], onlyInOrder: [], triggers: [], unscored: 0, pending: 0 };

/**
 * Every stored reading's score against its score in an uninterrupted in-order run of the pure
 * engine: a reading taken in by two states (two instances), or by a state that missed readings
 * before it, is stored with another score. `mismatches` names the first few.
 */
export async function compareScores(url: string, options: CohortOptions): Promise<{ compared: number; mismatched: number; mismatches: string[] }> {
  const expected = inOrderScores(options);
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    const res = await c.query<{ serial: string; seq: string; score: number | null }>(
      'SELECT d.serial, r.seq::text AS seq, r.score FROM readings r JOIN devices d ON d.id = r.device_id',
    );
    const mismatches: string[] = [];
    let mismatched = 0;
    for (const r of res.rows) {
      const k = `${r.serial}:${r.seq}`;
      const want = expected.get(k);
      if (want !== undefined && r.score !== null && Math.round(r.score * 1000) === Math.round(want * 1000)) continue;
      mismatched++;
      if (mismatches.length < 10) mismatches.push(`${k} stored ${r.score} in order ${want}`);
    }
    return { compared: res.rows.length, mismatched, mismatches };
  } finally {
    await c.end();
  }
}
