import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.ts';
import type { AlertDecision, AlertKind, Priority, RiskStatus, SilenceEpisode } from '../engine/index.ts';
import { FOLDABLE_KINDS, foldIntoDigest } from './conditions.ts';

// SQL of the engine's side effects: alerts raised and updated, risk changes, past silences
// (connectivity episodes), late readings marked for a replay. A device's history for a rebuild (pending replays, snapshots, stored
// readings) is in engine-history.ts.

export type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

/** One engine decision about one device. */
export interface DecisionRow {
  readonly deviceId: number;
  readonly decision: AlertDecision;
}

export interface RiskChangeRow {
  readonly deviceId: number;
  readonly at: number;
  readonly seq: number;
  readonly status: RiskStatus;
  readonly previous: RiskStatus;
  readonly score: number;
  /** False when only the sufficiency changed: nothing for risk_changes, only device_risk. */
  readonly statusChanged: boolean;
  /** The status is Low on too little data to judge (hfStatus's insufficient_data). */
  readonly insufficient: boolean;
}

/** A past silence of one device, ended by the reading (`toSeq`) it is stored with. */
export interface SilenceRow {
  readonly deviceId: number;
  readonly silence: SilenceEpisode;
}

/** A stored reading's place in its device's event-time order. */
export interface ReadingKey {
  readonly deviceId: number;
  readonly at: number;
  readonly seq: number;
}

export interface EngineEffects {
  readonly decisions: readonly DecisionRow[];
  readonly risks: readonly RiskChangeRow[];
  /** Readings stored out of event-time order: their device needs a replay. */
  readonly late: readonly ReadingKey[];
  /** Past silences the readings ended (history: they open no alert). */
  readonly silences?: readonly SilenceRow[];
}

export const NO_EFFECTS: EngineEffects = Object.freeze({ decisions: [], risks: [], late: [] });

export function hasEffects(e: EngineEffects): boolean {
  return e.decisions.length > 0 || e.risks.length > 0 || e.late.length > 0 || (e.silences?.length ?? 0) > 0;
}

/** A row of alert_events written by the engine, for the live stream. */
export interface AlertEventRow {
  readonly cursor: number;
  readonly alertId: number;
  readonly type: 'opened' | 'updated' | 'acknowledged' | 'resolved' | 'assigned' | 'snoozed' | 'commented' | 'escalated' | 'outcome';
  /** On the engine's opened and updated events: the alert's kind and priority (for metrics). */
  readonly kind?: AlertKind;
  readonly priority?: Priority;
}

export const ts = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

/**
 * Serialises every writer of alert_events until commit, so cursors become visible in
 * the order they were drawn: a stream reader resuming after cursor N can never miss a
 * smaller cursor committed later.
 */
export async function lockAlertEvents(db: Executor): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${sql.lit(ALERT_EVENTS_LOCK)})`.execute(db);
}

const ALERT_EVENTS_LOCK = 7226637;

/**
 * Apply the engine's decisions and risk changes and record past silences and late readings,
 * inside the caller's transaction. Idempotent: a decision whose trigger reading was applied before
 * (a replay) changes nothing. Returns the alert events written.
 */
export async function applyEffects(trx: Executor, effects: EngineEffects): Promise<AlertEventRow[]> {
  if (effects.late.length > 0) await recordLate(trx, effects.late);
  if (effects.risks.length > 0) await recordRisks(trx, effects.risks);
  if (effects.silences && effects.silences.length > 0) await recordSilences(trx, effects.silences);
  return applyDecisions(trx, effects.decisions);
}

/**
 * Apply alert decisions in their order, under the alert events' lock. Decisions about
 * different alerts (device and kind) do not depend on each other, so they go as layers, one
 * statement each: the first decision of every (device, kind), then the second, and so on. A
 * decision that a patient's known condition may fold depends on what the decisions before it
 * opened; when any device of the group has a condition not ended, they go one by one.
 */
export async function applyDecisions(trx: Executor, decisions: readonly DecisionRow[]): Promise<AlertEventRow[]> {
  if (decisions.length === 0) return [];
  const foldable = [...new Set(decisions.filter((d) => isFoldable(d.decision.kind)).map((d) => d.deviceId))];
  const res = await sql<{ conditions: boolean }>`
    SELECT pg_advisory_xact_lock(${sql.lit(ALERT_EVENTS_LOCK)}) IS NULL AS locked,
           ${foldable.length > 0
             ? sql`EXISTS (SELECT 1 FROM known_conditions k JOIN enrolments e ON e.patient_id = k.patient_id
                           WHERE e.device_id = ANY(${foldable}::int4[]) AND k.ended_at IS NULL)`
             : sql`false`} AS conditions`.execute(trx);
  const events: AlertEventRow[] = [];
  if (res.rows[0]!.conditions) {
    for (const d of decisions) {
      if (await foldIntoDigest(trx, d.deviceId, d.decision)) continue;
      events.push(...(await applyLayer(trx, [d])));
    }
    return events;
  }
  const layers: DecisionRow[][] = [];
  const seen = new Map<string, number>();
  for (const d of decisions) {
    const k = `${d.deviceId}:${d.decision.kind}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    (layers[n] ??= []).push(d);
  }
  for (const layer of layers) events.push(...(await applyLayer(trx, layer)));
  return events;
}

const isFoldable = (kind: AlertKind) => (FOLDABLE_KINDS as readonly string[]).includes(kind);

/** Decisions about distinct alerts (device and kind), in one statement; their events in decision order. */
async function applyLayer(trx: Executor, layer: readonly DecisionRow[]): Promise<AlertEventRow[]> {
  const col = <T>(f: (r: DecisionRow, i: number) => T) => layer.map(f);
  const triggers = col(({ decision: { trigger: t } }) => JSON.stringify({ seq: t.seq, metric: t.metric, value: t.value, at: new Date(t.at).toISOString() }));
  // Rank of a priority, for "raise only": low < medium < high.
  const rank = (p: ReturnType<typeof sql>) => sql`array_position(ARRAY['low','medium','high'], ${p})`;
  // Runs under the alert events' lock, so the NOT EXISTS check cannot race another writer.
  const res = await sql<{ cursor: number; alert_id: number; type: 'opened' | 'updated'; priority: Priority; kind: AlertKind }>`
    WITH x AS (
      SELECT * FROM unnest(${col((_, i) => i)}::int4[], ${col((r) => r.deviceId)}::int4[], ${col((r) => r.decision.kind)}::text[],
                           ${col((r) => r.decision.priority)}::text[], ${col((r) => r.decision.trigger.at)}::float8[],
                           ${col((r) => r.decision.trigger.seq)}::int8[], ${triggers}::jsonb[], ${col((r) => r.decision.score)}::float8[],
                           ${col((r) => r.decision.summary)}::text[], ${col((r) => JSON.stringify(r.decision.evidence))}::jsonb[])
        AS x(ord, device_id, kind, priority, at_ms, seq, trigger, score, summary, evidence)
    ), a AS (
      INSERT INTO alerts (device_id, site_id, kind, priority, opened_at, last_seen_at, trigger, score, summary, evidence)
      SELECT x.device_id, d.site_id, x.kind, x.priority, to_timestamp(x.at_ms / 1000), to_timestamp(x.at_ms / 1000),
             x.trigger, x.score, x.summary, x.evidence
      FROM x JOIN devices d ON d.id = x.device_id
      WHERE NOT EXISTS (SELECT 1 FROM alert_triggers t WHERE t.device_id = x.device_id AND t.kind = x.kind AND t.seq = x.seq)
      ORDER BY x.ord
      ON CONFLICT (device_id, kind) WHERE status <> 'resolved' DO UPDATE SET
        occurrences = alerts.occurrences + 1,
        priority = CASE WHEN ${rank(sql`excluded.priority`)} > ${rank(sql`alerts.priority`)}
                        THEN excluded.priority ELSE alerts.priority END,
        -- A late reading may show the problem began earlier than the alert says.
        opened_at = least(alerts.opened_at, excluded.opened_at),
        trigger = CASE WHEN excluded.opened_at < alerts.opened_at THEN excluded.trigger ELSE alerts.trigger END,
        last_seen_at = greatest(alerts.last_seen_at, excluded.last_seen_at),
        -- Summary, evidence and score describe the latest reading that showed it.
        summary = CASE WHEN excluded.last_seen_at >= alerts.last_seen_at THEN excluded.summary ELSE alerts.summary END,
        evidence = CASE WHEN excluded.last_seen_at >= alerts.last_seen_at THEN excluded.evidence ELSE alerts.evidence END,
        score = CASE WHEN excluded.last_seen_at >= alerts.last_seen_at THEN excluded.score ELSE alerts.score END,
        updated_at = now()
      RETURNING id, device_id, kind, (xmax = 0) AS opened, priority, occurrences
    ), applied AS (
      INSERT INTO alert_triggers (device_id, kind, seq, alert_id) SELECT a.device_id, a.kind, x.seq, a.id FROM a JOIN x USING (device_id, kind)
    ), ev AS (
      INSERT INTO alert_events (alert_id, type, data)
      SELECT a.id, CASE WHEN a.opened THEN 'opened' ELSE 'updated' END,
             jsonb_build_object('priority', a.priority, 'occurrences', a.occurrences, 'trigger', x.trigger)
      FROM a JOIN x USING (device_id, kind)
      ORDER BY x.ord
      RETURNING cursor, alert_id, type, data->>'priority' AS priority
    )
    SELECT ev.cursor, ev.alert_id, ev.type, ev.priority, a.kind FROM ev JOIN a ON a.id = ev.alert_id ORDER BY ev.cursor`.execute(trx);
  return res.rows.map((r) => ({ cursor: r.cursor, alertId: r.alert_id, type: r.type, kind: r.kind, priority: r.priority }));
}

/**
 * The effects that go into their readings' own statement (store/readings.ts writeReadings) as
 * WITH items: risk changes, past silences and late readings, each kept only when its reading's
 * key is in `stored` (a relation of (device_id, seq): the keys that statement inserted), so an
 * effect of a reading stored before (a resend) is not applied twice. Late readings must be
 * filtered by the caller to those whose own unscored row is written.
 */
export function effectItems(e: Pick<EngineEffects, 'risks' | 'late' | 'silences'>, stored: RawBuilder<unknown>): RawBuilder<unknown>[] {
  return [
    ...(e.late.length > 0 ? [lateItems(e.late, stored)] : []),
    ...(e.risks.length > 0 ? [riskItems(e.risks, stored)] : []),
    ...(e.silences && e.silences.length > 0 ? [silenceItems(e.silences, stored)] : []),
  ];
}

/** A statement of WITH items alone (every data-modifying item runs). */
const run = (items: RawBuilder<unknown>, trx: Executor) => sql`WITH ${items} SELECT 1`.execute(trx);

const keptBy = (stored: RawBuilder<unknown> | null, seq: RawBuilder<unknown>) =>
  stored ? sql`JOIN ${stored} f ON f.device_id = x.device_id AND f.seq = ${seq}` : sql``;

function riskItems(risks: readonly RiskChangeRow[], stored: RawBuilder<unknown> | null): RawBuilder<unknown> {
  const col = <T>(f: (r: RiskChangeRow) => T) => risks.map(f);
  return sql`
    rr AS (
      SELECT x.* FROM unnest(${col((r) => r.deviceId)}::int4[], ${col((r) => r.at)}::float8[], ${col((r) => r.seq)}::int8[],
                             ${col((r) => r.status)}::text[], ${col((r) => r.previous)}::text[], ${col((r) => r.score)}::float4[],
                             ${col((r) => r.statusChanged)}::bool[], ${col((r) => r.insufficient)}::bool[])
        AS x(device_id, at_ms, seq, status, previous, score, status_changed, insufficient)
      ${keptBy(stored, sql`x.seq`)}
    ), rc AS (
      INSERT INTO risk_changes (device_id, at, seq, status, previous, score)
      SELECT device_id, to_timestamp(at_ms / 1000), seq, status, previous, score FROM rr WHERE status_changed
      ON CONFLICT DO NOTHING
    ), dr AS (
      INSERT INTO device_risk (device_id, status, score, at, seq, insufficient_data)
      SELECT DISTINCT ON (device_id) device_id, status, score, to_timestamp(at_ms / 1000), seq, insufficient
      FROM rr ORDER BY device_id, at_ms DESC, seq DESC
      ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, score = excluded.score, at = excluded.at, seq = excluded.seq,
        insufficient_data = excluded.insufficient_data
      WHERE (excluded.at, excluded.seq) >= (device_risk.at, device_risk.seq)
    )`;
}

async function recordRisks(trx: Executor, risks: readonly RiskChangeRow[]): Promise<void> {
  await run(riskItems(risks, null), trx);
}

/** Idempotent by the reading that ended each silence: a replay proposing it again adds nothing. */
function silenceItems(silences: readonly SilenceRow[], stored: RawBuilder<unknown> | null): RawBuilder<unknown> {
  const col = <T>(f: (r: SilenceRow) => T) => silences.map(f);
  return sql`
    se AS (
      INSERT INTO connectivity_episodes (device_id, from_at, from_seq, to_at, to_seq, limit_hours)
      SELECT x.device_id, to_timestamp(x.from_ms / 1000), x.from_seq, to_timestamp(x.to_ms / 1000), x.to_seq, x.limit_hours
      FROM unnest(${col((r) => r.deviceId)}::int4[], ${col((r) => r.silence.fromAt)}::float8[], ${col((r) => r.silence.fromSeq)}::int8[],
                  ${col((r) => r.silence.toAt)}::float8[], ${col((r) => r.silence.toSeq)}::int8[], ${col((r) => r.silence.limitHours)}::float4[])
        AS x(device_id, from_ms, from_seq, to_ms, to_seq, limit_hours)
      ${keptBy(stored, sql`x.to_seq`)}
      ON CONFLICT (device_id, to_seq) DO NOTHING
    )`;
}

async function recordSilences(trx: Executor, silences: readonly SilenceRow[]): Promise<void> {
  await run(silenceItems(silences, null), trx);
}

/** Mark devices for a replay from before each position (the earliest one kept per device). */
function lateItems(late: readonly ReadingKey[], stored: RawBuilder<unknown> | null): RawBuilder<unknown> {
  return sql`
    lt AS (
      INSERT INTO engine_pending (device_id, at, seq)
      SELECT DISTINCT ON (x.device_id) x.device_id, to_timestamp(x.at_ms / 1000), x.seq
      FROM unnest(${late.map((l) => l.deviceId)}::int4[], ${late.map((l) => l.at)}::float8[], ${late.map((l) => l.seq)}::int8[])
        AS x(device_id, at_ms, seq)
      ${keptBy(stored, sql`x.seq`)}
      ORDER BY x.device_id, x.at_ms, x.seq
      ON CONFLICT (device_id) DO UPDATE SET at = excluded.at, seq = excluded.seq
      WHERE (excluded.at, excluded.seq) < (engine_pending.at, engine_pending.seq)
    )`;
}

export async function recordLate(trx: Executor, late: readonly ReadingKey[]): Promise<void> {
  await run(lateItems(late, null), trx);
}
