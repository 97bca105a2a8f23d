// Event-time helpers. Times inside the simulator are epoch milliseconds; only readings carry
// the contract's RFC 3339 strings.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** RFC 3339 in UTC without milliseconds, the shape the contract's examples use. */
export function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Parses `2025-01-01` or a full RFC 3339 time; date-only means UTC midnight. */
export function parseStart(value: string | number | Date): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new Error(`not a date: ${value} (use YYYY-MM-DD or an RFC 3339 time)`);
  }
  return ms;
}

/** 0 = Sunday … 6 = Saturday, in UTC. */
export function weekday(ms: number): number {
  return new Date(ms).getUTCDay();
}
