import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { LastReading } from './devices.ts';
import type { DeviceType } from './schema.ts';

// SQL of the clinic's worklists: devices gone quiet, and the alerts still to be dealt with
// by whom. Clinicians see their sites (siteIds), admins every site (null).

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

const siteFilter = (column: string, siteIds: readonly number[] | null) =>
  siteIds === null ? sql`true` : sql`${sql.ref(column)} = ANY(${siteIds}::int4[])`;

export interface QuietDevice extends LastReading {
  readonly serial: string;
  readonly site: string;
  readonly patient_id: number | null;
  readonly device_type: DeviceType | null;
}

/**
 * Devices of the sites whose newest reading (by sequence, as the connectivity check reads it)
 * arrived before `receivedBefore`, with the patient each is enrolled to. An explanted device
 * (or one replaced by a generator change) is no longer expected to transmit.
 */
export async function quietDevices(db: Executor, siteIds: readonly number[] | null, receivedBefore: Date): Promise<QuietDevice[]> {
  const res = await sql<QuietDevice>`
    SELECT d.id AS device_id, d.site_id, d.serial, s.code AS site, en.patient_id, en.device_type,
           r.seq, r.at, r.metric, r.value, r.gateway_id, r.received_at, false AS recent
    FROM devices d
    JOIN sites s ON s.id = d.site_id
    LEFT JOIN enrolments en ON en.device_id = d.id
    CROSS JOIN LATERAL (SELECT seq, at FROM reading_keys WHERE device_id = d.id ORDER BY seq DESC LIMIT 1) k
    -- LIMIT 1 keeps this a lookup per device (in the month of k.at); joined flat, the planner
    -- may hash-join every month of readings instead.
    CROSS JOIN LATERAL (
      SELECT seq, at, metric, value, gateway_id, received_at FROM readings
      WHERE device_id = d.id AND at = k.at AND seq = k.seq LIMIT 1
    ) r
    WHERE ${siteFilter('d.site_id', siteIds)} AND r.received_at < ${receivedBefore}
      AND NOT EXISTS (SELECT 1 FROM device_events x WHERE x.device_id = d.id AND x.kind = 'explant')`.execute(db);
  return res.rows;
}

export interface WorklistAlert {
  readonly id: number;
  readonly device_id: number;
  readonly serial: string;
  readonly site: string;
  readonly patient_id: number | null;
  readonly kind: string;
  readonly priority: 'low' | 'medium' | 'high';
  readonly status: 'open' | 'acknowledged';
  readonly summary: string;
  readonly opened_at: Date;
  readonly raised_at: Date;
  readonly snoozed_until: Date | null;
  readonly escalation_level: number;
  readonly assignee_id: number | null;
  readonly assignee_email: string | null;
  readonly assignee_name: string | null;
}

export interface AssigneeCounts {
  readonly assignee_id: number | null;
  readonly assignee_email: string | null;
  readonly assignee_name: string | null;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
}

/** Open and acknowledged alerts per assignee (null: unassigned), counted by priority. */
export async function unresolvedByAssignee(db: Executor, siteIds: readonly number[] | null): Promise<AssigneeCounts[]> {
  const res = await sql<AssigneeCounts>`
    SELECT a.assignee_id, u.email AS assignee_email, u.name AS assignee_name,
           count(*) FILTER (WHERE a.priority = 'high')::int AS high,
           count(*) FILTER (WHERE a.priority = 'medium')::int AS medium,
           count(*) FILTER (WHERE a.priority = 'low')::int AS low
    FROM alerts a LEFT JOIN users u ON u.id = a.assignee_id
    WHERE a.status IN ('open', 'acknowledged') AND ${siteFilter('a.site_id', siteIds)}
    GROUP BY a.assignee_id, u.email, u.name
    ORDER BY a.assignee_id NULLS FIRST`.execute(db);
  return res.rows;
}

/**
 * Open and acknowledged alerts, at most `perAssignee` of each assignee's (and of the
 * unassigned): highest priority first, then the longest waiting.
 */
export async function unresolvedAlerts(db: Executor, siteIds: readonly number[] | null, perAssignee: number): Promise<WorklistAlert[]> {
  const res = await sql<WorklistAlert>`
    SELECT * FROM (
      SELECT a.id, a.device_id, d.serial, s.code AS site, en.patient_id, a.kind, a.priority, a.status, a.summary,
             a.opened_at, a.raised_at, a.snoozed_until, a.escalation_level, a.assignee_id,
             u.email AS assignee_email, u.name AS assignee_name,
             row_number() OVER (PARTITION BY a.assignee_id
                                ORDER BY array_position(ARRAY['high','medium','low'], a.priority), a.opened_at, a.id) AS rank
      FROM alerts a
      JOIN devices d ON d.id = a.device_id
      JOIN sites s ON s.id = a.site_id
      LEFT JOIN enrolments en ON en.device_id = a.device_id
      LEFT JOIN users u ON u.id = a.assignee_id
      WHERE a.status IN ('open', 'acknowledged') AND ${siteFilter('a.site_id', siteIds)}
    ) ranked
    WHERE rank <= ${perAssignee}
    ORDER BY assignee_id NULLS FIRST, rank`.execute(db);
  return res.rows;
}

export interface SealedName {
  readonly id: number;
  readonly family_name_sealed: string | null;
  readonly given_name_sealed: string | null;
}

/** The patients' sealed names, to show who a worklist row is about. */
export async function sealedNames(db: Executor, ids: readonly number[]): Promise<SealedName[]> {
  if (ids.length === 0) return [];
  const res = await sql<SealedName>`
    SELECT id, family_name_sealed, given_name_sealed FROM patients WHERE id = ANY(${ids}::int4[])`.execute(db);
  return res.rows;
}
