import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SitesTable {
  id: Generated<number>;
  code: string;
  name: string;
  created_at: Timestamp;
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

export interface Database {
  sites: SitesTable;
  gateways: GatewaysTable;
  devices: DevicesTable;
  metrics: MetricsTable;
  readings: ReadingsTable;
  quarantine: QuarantineTable;
}
