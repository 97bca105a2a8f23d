import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.ts';

// The Grafana dashboard of the repository against the service's registry: every metric a
// panel or variable queries exists (a renamed metric breaks this test, not a panel nobody
// looks at), and the metrics an operator meets first each have a panel.

const root = new URL('../../../observability/', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('grafana/dashboards/telemetry.json', root), 'utf8')) as Dashboard;

interface Target { expr: string; datasource?: { uid?: string } }
interface Panel { type: string; title: string; targets?: Target[]; panels?: Panel[]; datasource?: { uid?: string } }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: Array<{ query: string | { query: string } }> } }

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);

/** PromQL words that are not metric names. */
const WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'label_values', 'label_replace',
  'abs', 'clamp_min', 'clamp_max', 'absent', 'vector', 'scalar', 'time', 'avg_over_time', 'max_over_time', 'min_over_time',
  'sum_over_time', 'inf', 'nan',
]);

/** The metric names of a PromQL expression (or a Grafana label_values() query). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/\$\w+/g, ' '); // Grafana variables
  const names = new Set<string>();
  // label_values(metric, label): the second argument is a label.
  const lv = /label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/.exec(stripped);
  if (lv) return [lv[1]!];
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)/g)) if (!WORDS.has(m[1]!)) names.add(m[1]!);
  return [...names];
}

async function registryNames(): Promise<Set<string>> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(m.name + s);
    if (String(m.type) === 'summary') for (const s of ['_count', '_sum']) names.add(m.name + s);
  }
  return names;
}

const exprs = [
  ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
  ...dashboard.templating.list.map((v) => ({ where: 'variable', expr: typeof v.query === 'string' ? v.query : v.query.query })),
];

describe('the Grafana dashboard', () => {
  it('reads the metric names of an expression, not its functions, labels or values', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(telemetry_http_request_duration_seconds_bucket{route=~"$route"}[$__rate_interval])))'))
      .toEqual(['telemetry_http_request_duration_seconds_bucket']);
    expect(metricNames('max by (priority) (telemetry_alerts_unresolved{status="open"}) / on (priority) group_left sum(x_total)')).toEqual(['telemetry_alerts_unresolved', 'x_total']);
    expect(metricNames('label_values(telemetry_http_request_duration_seconds_count, route)')).toEqual(['telemetry_http_request_duration_seconds_count']);
  });

  it('queries only metrics the service has', async () => {
    const known = await registryNames();
    expect(exprs.length).toBeGreaterThan(10);
    const unknown: string[] = [];
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) if (!known.has(n)) unknown.push(`${where}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('has a panel for each thing an operator looks at first', () => {
    const used = new Set(exprs.flatMap(({ expr }) => metricNames(expr)));
    for (const m of [
      'telemetry_readings_total', 'telemetry_commit_seconds_bucket', 'telemetry_http_request_duration_seconds_bucket',
      'telemetry_http_requests_in_flight', 'telemetry_alerts_opened_total', 'telemetry_alerts_unresolved',
      'telemetry_alerts_escalated_total', 'telemetry_alerts_acknowledged_total', 'telemetry_alerts_resolved_total',
      'telemetry_alert_stream_clients', 'telemetry_engine_decisions_total', 'telemetry_engine_readings_total',
      'telemetry_alert_outbox_seconds_bucket',
    ]) expect(used, m).toContain(m);
    for (const q of [0.5, 0.95, 0.99]) {
      expect(exprs.some(({ expr }) => expr.startsWith(`histogram_quantile(${q}, sum by (le, route) (rate(telemetry_http_request_duration_seconds_bucket`)), `HTTP p${q * 100}`).toBe(true);
    }
  });

  it('every panel reads the provisioned Prometheus data source', () => {
    const provisioned = readFileSync(new URL('grafana/provisioning/datasources/prometheus.yml', root), 'utf8');
    const uid = /^\s*uid:\s*(\S+)\s*$/m.exec(provisioned)?.[1];
    expect(uid).toBe('prometheus');
    const queried = panels(dashboard.panels).filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThan(10);
    for (const p of queried) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(uid);
    }
  });

  it('the provider loads the dashboards from where compose mounts them', () => {
    const provider = readFileSync(new URL('grafana/provisioning/dashboards/telemetry.yml', root), 'utf8');
    const compose = readFileSync(new URL('../docker-compose.observability.yml', root), 'utf8');
    const path = /^\s*path:\s*(\S+)\s*$/m.exec(provider)?.[1];
    expect(path).toBeDefined();
    expect(compose).toContain(`./observability/grafana/dashboards:${path}:ro`);
    expect(compose).toContain('./observability/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose).toContain('./observability/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });
});
