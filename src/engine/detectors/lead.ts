// Lead integrity: impedance out of its safe range (from the first reading), a jump against the
// device's own baseline (after learning), and Medtronic's Lead Integrity Alert rule: two of
// three criteria within 60 days (abnormal impedance change, >= 2 NSVT, >= 30 short V-V
// intervals over 3 days).
import { newRing, ringAdd, ringGet } from '../day-ring.ts';
import { round1 } from '../score.ts';
import type { Finding, LeadState } from '../types.ts';
import type { Detector, DetectorInput } from './context.ts';

export const IMPEDANCE_METRICS = new Set(['ra_lead_impedance', 'rv_lead_impedance', 'lv_lead_impedance', 'shock_impedance']);

/** Counters of the oversensing criteria belong to the RV lead, as in the published rule. */
const RULE_LEAD = 'rv';

export function newLeadState(shortVvDays: number): LeadState {
  return { impedanceDay: null, nsvtDay: null, shortVvDay: null, shortVv: newRing(shortVvDays) };
}

function leadState(input: DetectorInput, lead: string): LeadState {
  let s = input.state.leads[lead];
  if (!s) {
    s = newLeadState(input.config.lead.shortVvDays);
    input.state.leads[lead] = s;
  }
  return s;
}

export const leadIntegrity: Detector = (input) => {
  const { metric } = input.reading;
  if (IMPEDANCE_METRICS.has(metric)) return impedance(input);
  if (metric === 'nsvt_episodes' || metric === 'short_vv_intervals') return counters(input);
  return null;
};

function impedance(input: DetectorInput): Finding | null {
  const { reading, config, baseline, learned, day } = input;
  const cfg = config.lead;
  const isShock = reading.metric === 'shock_impedance';
  const lead = isShock ? 'shock' : reading.metric.slice(0, 2);
  const [min, max] = isShock ? [cfg.shockMin, cfg.shockMax] : [cfg.pacingMin, cfg.pacingMax];
  const label = isShock ? 'Shock lead' : `${lead.toUpperCase()} lead`;
  if (reading.value < min || reading.value > max) {
    return finding(input, `${label} impedance ${Math.round(reading.value)} Ohm outside ${min}-${max} Ohm`,
      { impedance: round1(reading.value), safeMin: min, safeMax: max });
  }
  if (!learned || !baseline) return null;
  const changePct = ((reading.value - baseline.mean) / baseline.mean) * 100;
  if (Math.abs(changePct) >= cfg.jumpPct) {
    return finding(input, `${label} impedance ${Math.round(reading.value)} Ohm, ${signed(changePct)} % from its 30-day baseline ${Math.round(baseline.mean)} Ohm`,
      { impedance: round1(reading.value), baseline: round1(baseline.mean), changePct: round1(changePct) });
  }
  if (lead !== RULE_LEAD || Math.abs(changePct) < cfg.abnormalChangePct) return null;
  const s = leadState(input, lead);
  s.impedanceDay = day;
  return twoOfThree(input, s);
}

function counters(input: DetectorInput): Finding | null {
  const { reading, config, day } = input;
  const s = leadState(input, RULE_LEAD);
  if (reading.metric === 'nsvt_episodes') {
    if (reading.value < config.lead.nsvtMin) return null;
    s.nsvtDay = day;
  } else {
    ringAdd(s.shortVv, day, reading.value);
    let total = 0;
    for (let d = day - config.lead.shortVvDays + 1; d <= day; d++) total += ringGet(s.shortVv, d) ?? 0;
    if (total < config.lead.shortVvMin) return null;
    s.shortVvDay = day;
  }
  return twoOfThree(input, s);
}

function twoOfThree(input: DetectorInput, s: LeadState): Finding | null {
  const { day, config } = input;
  const recent = (d: number | null): boolean => d !== null && day - d < config.lead.ruleWindowDays;
  const met = [
    recent(s.impedanceDay) ? 'abnormal RV impedance change' : null,
    recent(s.nsvtDay) ? `>= ${config.lead.nsvtMin} NSVT` : null,
    recent(s.shortVvDay) ? `>= ${config.lead.shortVvMin} short V-V intervals in ${config.lead.shortVvDays} days` : null,
  ].filter((m): m is string => m !== null);
  if (met.length < 2) return null;
  return finding(input, `Lead integrity: ${met.join(' and ')} within ${config.lead.ruleWindowDays} days`,
    { criteriaMet: met.length, criteria: met.join('; ') });
}

function finding(input: DetectorInput, summary: string, evidence: Finding['evidence']): Finding {
  return { kind: 'lead_integrity', priority: input.config.priorities.lead_integrity, summary, evidence };
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${Math.round(x)}`;
}
