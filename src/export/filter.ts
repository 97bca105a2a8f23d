// The filter of an export, checked once for the route and the command line alike.
import { ALERT_KINDS } from '../domain/alert-kinds.ts';
import { ServiceError } from '../errors.ts';
import { FORMATS, type ExportFormat } from './format.ts';

export interface ExportRequest {
  /** On the shifted clock of the file, ms; `to` exclusive. */
  readonly from: number | null;
  readonly to: number | null;
  /** Site codes; null = every site the caller may export. */
  readonly sites: readonly string[] | null;
  /** Alert kinds of the alert_* and connectivity_* events; null = all. */
  readonly kinds: readonly string[] | null;
  readonly format: ExportFormat;
  readonly includeReadings: boolean;
  /** alert_outcome rows (an outcome recorded after the resolution): outside the contract's events, so asked for. */
  readonly includeOutcomes: boolean;
}

export interface RawExportQuery {
  readonly from?: unknown;
  readonly to?: unknown;
  readonly site?: unknown;
  readonly kind?: unknown;
  readonly format?: unknown;
  readonly include?: unknown;
}

// RFC 3339 date-time, or a full-date meaning its midnight UTC.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?$/;
const SITE_CODE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function parseTime(name: string, raw: unknown): number | null {
  if (raw === undefined || raw === '') return null;
  const text = typeof raw === 'string' ? raw : '';
  const m = RFC3339.exec(text);
  // Date.parse accepts 2026-02-30; the calendar check below does not.
  const t = m ? Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : text) : NaN;
  const [, y, mo, d, h, mi, s] = m ?? [];
  const valid = m !== null && !Number.isNaN(t)
    && new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDate() === Number(d)
    && Number(mo) >= 1 && Number(mo) <= 12
    && (h === undefined || (Number(h) < 24 && Number(mi) < 60 && Number(s) < 60));
  if (!valid) throw new ServiceError('bad_message', `${name} must be an RFC 3339 date-time (2026-03-01T00:00:00Z) or date (2026-03-01)`);
  return t;
}

function list(name: string, raw: unknown, check: (v: string) => boolean): string[] | null {
  if (raw === undefined || raw === '') return null;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
  const values = parts.map((v) => (typeof v === 'string' ? v.trim() : v));
  const bad = values.find((v) => typeof v !== 'string' || !check(v));
  if (bad !== undefined) throw new ServiceError('bad_message', `${name}: unknown value ${JSON.stringify(String(bad)).slice(0, 60)}`);
  return [...new Set(values as string[])];
}

export function parseExportRequest(q: RawExportQuery): ExportRequest {
  const from = parseTime('from', q.from);
  const to = parseTime('to', q.to);
  if (from !== null && to !== null && from >= to) throw new ServiceError('bad_message', 'from must be before to');
  const format = q.format === undefined || q.format === '' ? 'ndjson' : q.format;
  if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
    throw new ServiceError('bad_message', `format must be one of ${FORMATS.join(', ')}`);
  }
  const include = list('include', q.include, (v) => v === 'readings' || v === 'outcomes');
  return {
    from,
    to,
    sites: list('site', q.site, (v) => SITE_CODE.test(v)),
    kinds: list('kind', q.kind, (v) => (ALERT_KINDS as readonly string[]).includes(v)),
    format: format as ExportFormat,
    includeReadings: include?.includes('readings') ?? false,
    includeOutcomes: include?.includes('outcomes') ?? false,
  };
}

/** The filter as the audit log records it. */
export function describeRequest(r: ExportRequest): Record<string, unknown> {
  return {
    from: r.from === null ? null : new Date(r.from).toISOString(),
    to: r.to === null ? null : new Date(r.to).toISOString(),
    sites: r.sites,
    kinds: r.kinds,
    format: r.format,
    include: [...(r.includeReadings ? ['readings'] : []), ...(r.includeOutcomes ? ['outcomes'] : [])],
  };
}
