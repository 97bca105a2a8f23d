// Collecting a small cohort's readings per device and metric for trajectory checks.
import { createCohort, type Cohort, type CohortOptions } from '../../../simulators/cohort.ts';
import type { ScenarioName, SimReading } from '../../../simulators/types.ts';

export interface Series { readonly at: number; readonly value: number }

export interface Collected {
  readonly cohort: Cohort;
  /** device -> metric -> readings in event-time order. */
  readonly series: Map<string, Map<string, Series[]>>;
}

export function collect(options: CohortOptions): Collected {
  const cohort = createCohort(options);
  const series = new Map<string, Map<string, Series[]>>();
  for (const t of cohort.transmissions()) {
    if (t.duplicate) continue;
    for (const r of t.readings) add(series, r);
  }
  for (const byMetric of series.values()) for (const s of byMetric.values()) s.sort((a, b) => a.at - b.at);
  return { cohort, series };
}

function add(series: Map<string, Map<string, Series[]>>, r: SimReading): void {
  let byMetric = series.get(r.device);
  if (!byMetric) series.set(r.device, (byMetric = new Map()));
  let s = byMetric.get(r.metric);
  if (!s) byMetric.set(r.metric, (s = []));
  s.push({ at: Date.parse(r.at), value: r.value });
}

/** A cohort where only `scenario` is injected, into every eligible patient. */
export function only(scenario: ScenarioName, patients = 40, days = 200, seed: string | number = 11): Collected {
  return collect({ patients, days, seed, start: '2025-01-01', scenarios: { [scenario]: 1 } });
}

export function get(c: Collected, device: string, metric: string): Series[] {
  return c.series.get(device)?.get(metric) ?? [];
}

export const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
