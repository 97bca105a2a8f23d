import { METRICS } from './metrics.ts';
import type { MetricDef } from './types.ts';

const byKey = new Map<string, MetricDef>();
const byId = new Map<number, MetricDef>();
for (const m of METRICS) {
  byKey.set(m.name, m);
  byId.set(m.id, m);
  if (m.mdcRef) byKey.set(m.mdcRef, m);
  if (m.mdcCode) byKey.set(m.mdcCode, m);
}

/** Resolve a metric by name, MDC reference id or numeric MDC code. */
export function lookupMetric(key: string): MetricDef | undefined {
  return byKey.get(key);
}

export function metricById(id: number): MetricDef | undefined {
  return byId.get(id);
}

export function metricByName(name: string): MetricDef {
  const m = byKey.get(name);
  if (!m || m.name !== name) throw new Error(`not a metric name: ${name}`);
  return m;
}
