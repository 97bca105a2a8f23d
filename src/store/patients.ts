import { sql } from 'kysely';
import type { Db } from './db.ts';

// Patients, their devices, and what the patient pages read.

type Executor = Pick<Db, 'executeQuery' | 'getExecutor'>;

export interface PatientRow {
  readonly id: number;
  readonly site_id: number;
  readonly site: string;
  /** Identifiers sealed under the patient's data key (src/patients/sealed.ts opens them). */
  readonly family_name_sealed: string | null;
  readonly given_name_sealed: string | null;
  readonly nhs_number_sealed: string | null;
  readonly date_of_birth_sealed: string | null;
  readonly sex: string;
  readonly devices: string[];
  /** Each device's enrolled type, in the order of `devices`. */
  readonly device_types: string[];
  readonly risk_status: string | null;
  readonly risk_score: number | null;
  readonly risk_at: Date | null;
  /** The chosen device's Low rests on too little data to judge (null with no risk). */
  readonly risk_insufficient: boolean | null;
  readonly open_high: number;
  readonly open_medium: number;
  readonly open_low: number;
}

/** A patient's identifiers as stored: sealed under her data key, the NHS number also as its blind index. */
export interface SealedPatientColumns {
  readonly data_key_id: number;
  readonly family_name_sealed: string;
  readonly given_name_sealed: string;
  readonly nhs_number_sealed: string | null;
  readonly nhs_number_index: string | null;
  readonly date_of_birth_sealed: string;
}

export interface NewPatient extends SealedPatientColumns {
  readonly siteId: number;
  readonly sex: string;
}

/** Insert a patient whose identifiers are sealed already; a taken NHS number is a unique violation (on its index). */
export async function insertPatient(db: Executor, p: NewPatient): Promise<number> {
  const res = await sql<{ id: number }>`
    INSERT INTO patients (site_id, sex, data_key_id, family_name_sealed, given_name_sealed, nhs_number_sealed, nhs_number_index, date_of_birth_sealed)
    VALUES (${p.siteId}, ${p.sex}, ${p.data_key_id}, ${p.family_name_sealed}, ${p.given_name_sealed}, ${p.nhs_number_sealed}, ${p.nhs_number_index}, ${p.date_of_birth_sealed})
    RETURNING id`.execute(db);
  return res.rows[0]!.id;
}

/** The patient whose NHS number has this blind index, or undefined. */
export async function patientIdByNhsIndex(db: Executor, index: string): Promise<number | undefined> {
  const res = await sql<{ id: number }>`SELECT id FROM patients WHERE nhs_number_index = ${index}`.execute(db);
  return res.rows[0]?.id;
}

/** The sealed birth date of a patient, or undefined when there is no such patient. */
export async function patientSealedBirthDate(db: Executor, patientId: number): Promise<string | null | undefined> {
  const res = await sql<{ s: string | null }>`SELECT date_of_birth_sealed AS s FROM patients WHERE id = ${patientId}`.execute(db);
  return res.rows[0]?.s;
}

export interface PatientFilter {
  readonly siteIds: readonly number[] | null;
  readonly ids?: readonly number[];
  /** The blind index of an NHS number: finds its patient without opening anyone's. */
  readonly nhsNumberIndex?: string;
  readonly afterId?: number;
  /**
   * A search: patients having every one of these name tokens (blind indexes of name words),
   * or a device enrolled whose serial matches this LIKE pattern (lower case); with both,
   * either matches.
   */
  readonly search?: { readonly nameTokens?: readonly string[]; readonly serialPattern?: string };
  readonly limit: number;
}

/**
 * Patients with their devices, current heart-failure risk (the highest of their devices')
 * and counts of unresolved alerts by priority.
 */
export async function listPatients(db: Executor, f: PatientFilter): Promise<PatientRow[]> {
  const where = [sql`true`];
  if (f.siteIds) where.push(sql`p.site_id = ANY(${f.siteIds}::int4[])`);
  if (f.ids) where.push(sql`p.id = ANY(${f.ids}::int4[])`);
  if (f.nhsNumberIndex !== undefined) where.push(sql`p.nhs_number_index = ${f.nhsNumberIndex}`);
  if (f.afterId !== undefined) where.push(sql`p.id > ${f.afterId}`);
  if (f.search) where.push(searchCondition(f.search));
  const res = await sql<PatientRow>`
    SELECT p.id, p.site_id, s.code AS site, p.family_name_sealed, p.given_name_sealed, p.nhs_number_sealed,
           p.date_of_birth_sealed, p.sex,
           coalesce(dv.devices, '{}') AS devices, coalesce(dv.types, '{}') AS device_types,
           r.status AS risk_status, r.score AS risk_score, r.at AS risk_at, r.insufficient_data AS risk_insufficient,
           coalesce(al.high, 0)::int AS open_high, coalesce(al.medium, 0)::int AS open_medium, coalesce(al.low, 0)::int AS open_low
    FROM patients p
    JOIN sites s ON s.id = p.site_id
    LEFT JOIN LATERAL (
      SELECT array_agg(d.serial ORDER BY d.serial) AS devices, array_agg(e.device_type ORDER BY d.serial) AS types
      FROM enrolments e JOIN devices d ON d.id = e.device_id WHERE e.patient_id = p.id
    ) dv ON true
    LEFT JOIN LATERAL (
      SELECT dr.status, dr.score, dr.at, dr.insufficient_data FROM enrolments e JOIN device_risk dr ON dr.device_id = e.device_id
      WHERE e.patient_id = p.id
      -- The worst status; among Lows, one that rests on enough data speaks for the patient.
      ORDER BY array_position(ARRAY['Low','Medium','High'], dr.status) DESC, dr.insufficient_data, dr.at DESC LIMIT 1
    ) r ON true
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE a.priority = 'high') AS high, count(*) FILTER (WHERE a.priority = 'medium') AS medium,
             count(*) FILTER (WHERE a.priority = 'low') AS low
      FROM enrolments e JOIN alerts a ON a.device_id = e.device_id
      WHERE e.patient_id = p.id AND a.status <> 'resolved'
    ) al ON true
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY p.id
    LIMIT ${f.limit}`.execute(db);
  return res.rows;
}

function searchCondition(s: NonNullable<PatientFilter['search']>) {
  const any = [sql`false`];
  const tokens = s.nameTokens ? [...new Set(s.nameTokens)] : [];
  if (tokens.length > 0) {
    any.push(sql`p.id IN (
      SELECT t.patient_id FROM patient_name_tokens t WHERE t.token = ANY(${tokens}::text[])
      GROUP BY t.patient_id HAVING count(*) = ${tokens.length})`);
  }
  if (s.serialPattern !== undefined) {
    any.push(sql`p.id IN (
      SELECT e.patient_id FROM enrolments e JOIN devices d ON d.id = e.device_id
      WHERE lower(d.serial) LIKE ${s.serialPattern})`);
  }
  return sql`(${sql.join(any, sql` OR `)})`;
}

export interface PatientDevice {
  readonly id: number;
  readonly serial: string;
  readonly device_type: string;
  readonly first_seen_at: Date;
  readonly last_reading_at: Date | null;
  /** Device clinic messages naming another birth date than this patient's (null: none). */
  readonly mismatch_messages: number | null;
  readonly mismatch_first_at: Date | null;
  readonly mismatch_last_at: Date | null;
}

export async function patientDevices(db: Executor, patientId: number): Promise<PatientDevice[]> {
  const res = await sql<PatientDevice>`
    SELECT d.id, d.serial, e.device_type, d.first_seen_at,
           (SELECT k.at FROM reading_keys k WHERE k.device_id = d.id ORDER BY k.seq DESC LIMIT 1) AS last_reading_at,
           im.messages AS mismatch_messages, im.first_seen_at AS mismatch_first_at, im.last_seen_at AS mismatch_last_at
    FROM enrolments e JOIN devices d ON d.id = e.device_id
    LEFT JOIN identity_mismatches im ON im.device_id = d.id AND im.patient_id = e.patient_id AND im.source = 'idco'
    WHERE e.patient_id = ${patientId}
    ORDER BY d.serial`.execute(db);
  return res.rows;
}

export interface ReadingPoint {
  readonly metric: number;
  readonly at: Date;
  readonly value: number;
}

/** Readings of the patient's devices in [from, to), oldest first; at most `limit` + 1 rows. */
export async function patientReadings(db: Executor, deviceIds: readonly number[], from: Date, to: Date, limit: number): Promise<ReadingPoint[]> {
  const res = await sql<ReadingPoint>`
    SELECT metric, at, value FROM readings
    WHERE device_id = ANY(${deviceIds}::int4[]) AND at >= ${from} AND at < ${to}
    ORDER BY at, seq
    LIMIT ${limit + 1}`.execute(db);
  return res.rows;
}

export interface DeviceRef {
  readonly id: number;
  readonly site_id: number;
  readonly patient_id: number | null;
}

/**
 * The device and its current patient. With `lock`, its row stays locked until the caller's
 * transaction ends, so that enrolments of one device queue.
 */
export async function deviceBySerial(db: Executor, serial: string, opts: { lock?: boolean } = {}): Promise<DeviceRef | null> {
  const res = await sql<DeviceRef>`
    SELECT d.id, d.site_id, e.patient_id FROM devices d LEFT JOIN enrolments e ON e.device_id = d.id
    WHERE d.serial = ${serial} ${opts.lock ? sql`FOR UPDATE OF d` : sql``}`.execute(db);
  return res.rows[0] ?? null;
}

/** Patients other than `patientId` the device has ever been enrolled to (internal ids). */
export async function otherEarlierPatients(db: Executor, deviceId: number, patientId: number): Promise<number[]> {
  const res = await sql<{ patient_id: number }>`
    SELECT DISTINCT patient_id FROM enrolment_history WHERE device_id = ${deviceId} AND patient_id <> ${patientId} ORDER BY patient_id`.execute(db);
  return res.rows.map((r) => r.patient_id);
}

/**
 * Link the device to the patient (or update its type when it is already theirs), and open a
 * period in the enrolment history when the link is new. Run inside the caller's transaction,
 * after deviceBySerial(..., { lock: true }).
 */
export async function enrol(db: Executor, deviceId: number, patientId: number, deviceType: string, by: number | null, correction = false, ageAtEnrolment: number | null = null): Promise<void> {
  const res = await sql<{ inserted: boolean }>`
    INSERT INTO enrolments (device_id, patient_id, device_type, enrolled_by, age_at_enrolment)
    VALUES (${deviceId}, ${patientId}, ${deviceType}, ${by}, ${ageAtEnrolment})
    ON CONFLICT (device_id) DO UPDATE SET device_type = excluded.device_type WHERE enrolments.patient_id = excluded.patient_id
    RETURNING (xmax = 0) AS inserted`.execute(db);
  const row = res.rows[0];
  if (!row) throw new Error('enrol: the device is enrolled to another patient (lock it with deviceBySerial first)');
  if (row.inserted) {
    await sql`
      INSERT INTO enrolment_history (device_id, patient_id, started_by, correction)
      VALUES (${deviceId}, ${patientId}, ${by}, ${correction})`.execute(db);
  }
}

/** End the device's enrolment to the patient; false when it was not enrolled to them. */
export async function unenrol(db: Executor, deviceId: number, patientId: number, by: number | null = null): Promise<boolean> {
  const res = await sql`DELETE FROM enrolments WHERE device_id = ${deviceId} AND patient_id = ${patientId}`.execute(db);
  if (Number(res.numAffectedRows ?? 0) === 0) return false;
  await sql`
    UPDATE enrolment_history SET ended_at = now(), ended_by = ${by}
    WHERE device_id = ${deviceId} AND patient_id = ${patientId} AND ended_at IS NULL`.execute(db);
  return true;
}

export interface EnrolledBirthDate {
  readonly device_id: number;
  readonly patient_id: number;
  readonly date_of_birth_sealed: string | null;
}

/** The patient the device (of this site) is enrolled to, with her sealed birth date; undefined when none. */
export async function enrolledBirthDate(db: Executor, siteId: number, serial: string): Promise<EnrolledBirthDate | undefined> {
  const res = await sql<EnrolledBirthDate>`
    SELECT d.id AS device_id, p.id AS patient_id, p.date_of_birth_sealed
    FROM devices d JOIN enrolments e ON e.device_id = d.id JOIN patients p ON p.id = e.patient_id
    WHERE d.serial = ${serial} AND d.site_id = ${siteId}`.execute(db);
  return res.rows[0];
}

/** Record that a device clinic message named another birth date than the enrolled patient's (the fact, not the date). */
export async function recordIdentityMismatch(db: Executor, deviceId: number, patientId: number): Promise<void> {
  await sql`
    INSERT INTO identity_mismatches (device_id, patient_id, source) VALUES (${deviceId}, ${patientId}, 'idco')
    ON CONFLICT (device_id, patient_id, source)
    DO UPDATE SET last_seen_at = now(), messages = identity_mismatches.messages + 1`.execute(db);
}

/** The patient's id and site, or undefined. */
export async function patientSite(db: Pick<Db, 'selectFrom'>, patientId: number) {
  return db.selectFrom('patients').select(['id', 'site_id']).where('id', '=', patientId).executeTakeFirst();
}

/** The patient's site and its code (the admin's enrolment checks), or undefined. */
export async function patientSiteCode(db: Pick<Db, 'selectFrom'>, patientId: number) {
  return db.selectFrom('patients').innerJoin('sites', 'sites.id', 'patients.site_id')
    .select(['patients.site_id', 'sites.code']).where('patients.id', '=', patientId).executeTakeFirst();
}
