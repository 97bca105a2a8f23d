import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SitesTable {
  id: Generated<number>;
  code: string;
  name: string;
  created_at: Timestamp;
  /** How its gateways register a serial unknown to the service (migration device_registration). */
  registration_policy: ColumnType<RegistrationPolicy, RegistrationPolicy | undefined, RegistrationPolicy>;
}

export type RegistrationPolicy = 'auto' | 'pending';

export interface PendingDevicesTable {
  id: Generated<number>;
  serial: string;
  site_id: number;
  first_gateway_id: number | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  /** Readings refused while it waited (resends included); bigint. */
  readings: ColumnType<number, number | undefined, number>;
  status: ColumnType<'pending' | 'approved' | 'rejected', 'pending' | undefined, 'pending' | 'approved' | 'rejected'>;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface DeviceSiteHistoryTable {
  id: Generated<number>;
  device_id: number;
  from_site_id: number;
  to_site_id: number;
  moved_at: Timestamp;
  moved_by_user_id: number | null;
  moved_via: string;
}

export interface GatewaysTable {
  id: Generated<number>;
  site_id: number;
  name: string;
  key_hash: Buffer;
  key_prefix: string;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface DevicesTable {
  id: Generated<number>;
  serial: string;
  site_id: number;
  first_gateway_id: number | null;
  first_seen_at: Timestamp;
}

export interface MetricsTable {
  id: number;
  name: string;
  unit: string;
}

export interface ReadingsTable {
  device_id: number;
  /** bigint; pg returns it as a string. */
  seq: ColumnType<string, number | string, never>;
  at: Timestamp;
  metric: number;
  value: number;
  gateway_id: number;
  received_at: Timestamp;
  /** The engine's score, 0..1; null until a late reading's replay scores it. */
  score: number | null;
}

export interface QuarantineTable {
  id: Generated<string>;
  received_at: Timestamp;
  gateway_id: number | null;
  site_id: number | null;
  source: string;
  batch_id: string | null;
  idx: number | null;
  code: string;
  message: string;
  raw: ColumnType<unknown, string, string>;
}

export type Role = 'clinician' | 'analyst' | 'admin';

export interface UsersTable {
  id: Generated<number>;
  /** Lower-cased. */
  email: string;
  name: string;
  role: Role;
  /** scrypt$N$r$p$salt$hash (see src/auth/passwords.ts). */
  password_hash: string;
  disabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
}

export interface UserSitesTable {
  user_id: number;
  site_id: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie's token. */
  token_hash: Buffer;
  user_id: number;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** Append-only: UPDATE, DELETE and TRUNCATE raise (a trigger). */
export interface AuditLogTable {
  /** bigint, given by the insert trigger in hash-chain order; read as a number (see db.ts). */
  id: Generated<number>;
  at: Timestamp;
  user_id: number | null;
  role: string | null;
  action: string;
  route: string | null;
  patient_id: number | null;
  device_id: number | null;
  detail: ColumnType<unknown, string | undefined, never>;
  /** Hash chain, set by the database's insert trigger (migration 0007); never written by the service. */
  prev_hash: ColumnType<Buffer, never, never>;
  hash: ColumnType<Buffer, never, never>;
}

export interface AlertsTable {
  id: Generated<number>;
  device_id: number;
  site_id: number;
  kind: string;
  priority: 'low' | 'medium' | 'high';
  status: ColumnType<'open' | 'acknowledged' | 'resolved', 'open' | 'acknowledged' | 'resolved' | undefined>;
  opened_at: Timestamp;
  last_seen_at: Timestamp;
  raised_at: Timestamp;
  occurrences: ColumnType<number, number | undefined>;
  trigger: ColumnType<{ seq: number; metric: string; value: number; at: string }, string, string>;
  score: number;
  summary: string;
  evidence: ColumnType<Record<string, number | string>, string, string>;
  assignee_id: number | null;
  snoozed_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  escalation_level: ColumnType<number, number | undefined>;
  acknowledged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  resolution: string | null;
  updated_at: Timestamp;
  acknowledged_by: number | null;
  resolved_by: number | null;
  /** When the alert was last escalated; the next escalation counts from it. */
  escalated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** What the resolved alert turned out to be (src/domain/outcomes.ts); null until recorded. */
  outcome: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AlertEventsTable {
  cursor: Generated<number>;
  alert_id: number;
  at: Timestamp;
  type: string;
  actor_id: number | null;
  data: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export interface DeviceRiskTable {
  device_id: number;
  status: 'Low' | 'Medium' | 'High';
  score: number;
  at: Timestamp;
  seq: number;
  insufficient_data: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface RiskChangesTable {
  device_id: number;
  at: Timestamp;
  seq: number;
  status: 'Low' | 'Medium' | 'High';
  previous: 'Low' | 'Medium' | 'High';
  score: number;
  recorded_at: Timestamp;
}

export interface PatientsTable {
  id: Generated<number>;
  site_id: number;
  /** Plain identifiers: NULL once sealed (src/crypto/seal.ts); kept only until a migration drops them. */
  family_name: string | null;
  given_name: string | null;
  nhs_number: string | null;
  date_of_birth: ColumnType<string | null, string | null | undefined, string | null>;
  /** The patient's own data key, and the identifiers sealed under it (src/crypto/envelope.ts). */
  data_key_id: number | null;
  family_name_sealed: string | null;
  given_name_sealed: string | null;
  nhs_number_sealed: string | null;
  /** HMAC of the NHS number under the index key: unique, and what a lookup by NHS number finds. */
  nhs_number_index: string | null;
  date_of_birth_sealed: string | null;
  sex: ColumnType<Sex, Sex | undefined, Sex>;
  created_at: Timestamp;
  /** The version of the name-word rules its tokens were made by; null: no tokens yet (src/patients/name-tokens.ts). */
  name_index_version: ColumnType<number | null, number | null | undefined, number | null>;
}

/** One keyed blind-index token (HMAC, hex) of one normalised word of a patient's names: never a word. */
export interface PatientNameTokensTable {
  token: string;
  patient_id: number;
}

export interface DataKeysTable {
  id: Generated<number>;
  purpose: 'patient' | 'general' | 'index';
  master_key_id: string;
  /** The data key sealed under the master key `master_key_id`, base64. */
  wrapped: string;
  created_at: Timestamp;
  rewrapped_at: Date | null;
  retired_at: Date | null;
}

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export type DeviceType = 'pacemaker' | 'icd' | 'crt_d' | 'crt_p' | 'loop_recorder' | 'unknown';

export interface EnrolmentsTable {
  device_id: number;
  patient_id: number;
  device_type: ColumnType<DeviceType, DeviceType | undefined, DeviceType>;
  enrolled_at: Timestamp;
  enrolled_by: number | null;
  /** Whole years at enrolment, so the export never reads a date of birth. */
  age_at_enrolment: number | null;
}

export interface EnrolmentHistoryTable {
  id: Generated<string>;
  device_id: number;
  patient_id: number;
  started_at: Timestamp;
  started_by: number | null;
  ended_at: Date | null;
  ended_by: number | null;
  correction: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface IdentityMismatchesTable {
  device_id: number;
  patient_id: number;
  source: 'idco';
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  messages: ColumnType<number, number | undefined, number>;
}

export type ContactKind = 'phone_call' | 'clinic_visit' | 'message' | 'other';

/** A clinician's note of a contact with a patient (migration contact_notes); the text sealed. */
export interface ContactNotesTable {
  id: Generated<number>;
  patient_id: number;
  author_id: number;
  kind: ContactKind;
  contacted_at: Timestamp;
  text_sealed: string;
  created_at: Timestamp;
}

/** A gateway's reading budget shared by every instance (migration gateway_budgets). */
export interface GatewayBudgetsTable {
  gateway_id: number;
  tokens: number;
  updated_at: Timestamp;
}

export interface Database {
  sites: SitesTable;
  gateways: GatewaysTable;
  devices: DevicesTable;
  metrics: MetricsTable;
  readings: ReadingsTable;
  quarantine: QuarantineTable;
  users: UsersTable;
  user_sites: UserSitesTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  alerts: AlertsTable;
  patients: PatientsTable;
  data_keys: DataKeysTable;
  enrolments: EnrolmentsTable;
  enrolment_history: EnrolmentHistoryTable;
  identity_mismatches: IdentityMismatchesTable;
  alert_events: AlertEventsTable;
  device_risk: DeviceRiskTable;
  risk_changes: RiskChangesTable;
  pending_devices: PendingDevicesTable;
  device_site_history: DeviceSiteHistoryTable;
  patient_name_tokens: PatientNameTokensTable;
  contact_notes: ContactNotesTable;
  gateway_budgets: GatewayBudgetsTable;
}
