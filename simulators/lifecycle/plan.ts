// Draws each patient's device lifecycle events from a random stream of their own (the cohort
// seed + ':lifecycle'), so a cohort built without them is bit for bit what it was, and one built
// with them has the same patients, scenarios and noise up to each patient's first event.
//
// - generator change: after every battery scenario's ERI, and electively (at an ERI the
//   lifecycle draws itself) at the published replacement rate of the device type;
// - lead revision: after a lead fracture or insulation breach, or a capture threshold rise;
// - reprogramming: a new LV vector (phrenic stimulation, or an LV threshold rise), an RA/RV
//   polarity change, or a higher output after an RV threshold rise;
// - implant: the calibrated profile's patients implanted during the run.
import { hasHfDiagnostics, isCrtDevice, isTachyDevice } from '../device-types.ts';
import { Rng } from '../prng.ts';
import { truncatedNormal } from '../realism/wander.ts';
import type { ScenarioInstance } from '../scenarios/types.ts';
import { DAY_MS, MINUTE_MS, rfc3339 } from '../time.ts';
import type { DeviceType, JsonValue, Patient, TruthEvent } from '../types.ts';
import {
  ERI_TO_CHANGE_DAYS, ERI_TO_EOS_DAYS, FAULT_ACTION, FIRST_EVENT_DAY, MATURATION, NEW_LEAD, NEW_LONGEVITY_MONTHS,
  OUTPUT_CHANGE, POCKET_DIP, POLARITY, CAN_OFFSET_OHM, SURGERY_SILENT_DAYS, VECTOR_CHANGES_PER_YEAR, WINDOW_DAYS,
  generatorChangesPerYear,
} from './params.ts';
import type { DeviceChange, GeneratorChange, Lead, LeadChange, LifecycleKind, LifecycleTruth, PacingLead } from './types.ts';

export interface LifecyclePlanOptions {
  readonly seed: string;
  readonly days: number;
  readonly start: number;
  /** Each patient's scenarios (planScenarios), indexed like the patients. */
  readonly scenarios: readonly (readonly ScenarioInstance[])[];
  /** First day a patient's device reports (0 unless implanted during the run). */
  readonly firstDay: (p: Patient) => number;
}

export interface LifecyclePlan {
  /** Per patient (indexed like the patients): what the device simulator applies, by day. */
  readonly changes: readonly (readonly DeviceChange[])[];
  /** Every event, in event order (at, id). */
  readonly events: readonly LifecycleTruth[];
  /** The scenarios' ground truth as it reads with the events (see patchTruth). */
  patchTruth(truth: readonly TruthEvent[]): TruthEvent[];
}

/** Leads a device of this type carries (all dual-chamber; an ICD's RV lead carries the shock coil). */
export function leadsOf(type: DeviceType): Lead[] {
  const leads: Lead[] = ['ra', 'rv'];
  if (isCrtDevice(type)) leads.push('lv');
  if (isTachyDevice(type)) leads.push('shock');
  return leads;
}

/** The serial of a patient's n-th replacement generator. */
export const replacementSerial = (serial: string, n: number): string => `${serial}-R${n}`;

/** A lifecycle event as planned for one patient, before ids are given. */
interface Candidate {
  readonly day: number;
  readonly kind: LifecycleKind;
  readonly reason: string;
  /** The scenario record it ends (a replaced lead's fault, a replaced battery's ERI). */
  readonly ends?: TruthEvent;
  /** What the device shows; null for an implant (its settling is the calibrated profile's). */
  readonly change: (at: number, serial: string, replaced: number) => DeviceChange | null;
  readonly leads?: readonly Lead[];
  readonly metrics?: readonly string[];
  readonly params: (change: DeviceChange | null) => Record<string, JsonValue>;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

function probabilityIn(ratePerYear: number, days: number): number {
  return 1 - Math.exp(-ratePerYear * (days / 365));
}

export function planLifecycle(patients: readonly Patient[], options: LifecyclePlanOptions): LifecyclePlan {
  const root = new Rng(`cardiac-sim/${options.seed}:lifecycle`);
  const lastDay = options.days - 1 - WINDOW_DAYS;
  const dayOf = (iso: string): number => Math.floor((Date.parse(iso) - options.start) / DAY_MS);
  const changes: DeviceChange[][] = patients.map(() => []);
  const drafts: Omit<LifecycleTruth, 'id'>[] = [];
  const ended = new Map<TruthEvent, { at: number; kind: LifecycleKind }>();
  /** Per patient: generator changes (at, new serial), for renaming the scenarios' truth. */
  const renames = new Map<string, { at: number; serial: string }[]>();

  for (const p of patients) {
    const rng = root.fork(p.index);
    const first = options.firstDay(p);
    const from = first + FIRST_EVENT_DAY;
    const scenarioTruths = (options.scenarios[p.index] ?? []).flatMap((s) => s.truths);
    const candidates: Candidate[] = [];

    if (first > 0) candidates.push(implant(p, first - 1));
    for (const t of scenarioTruths) {
      const c = faultAction(rng, p, t, dayOf);
      if (c) candidates.push(c);
    }
    const battery = scenarioTruths.find((t) => t.scenario === 'battery_eri' || t.scenario === 'battery_rapid_depletion');
    const eriOf = battery && typeof battery.params.eri === 'string' ? dayOf(battery.params.eri) : null;
    if (battery && eriOf !== null) {
      candidates.push(generatorChange(rng, p, eriOf + rng.int(ERI_TO_CHANGE_DAYS.min, ERI_TO_CHANGE_DAYS.max), battery.scenario, null, battery));
    } else if (first === 0 && rng.chance(probabilityIn(generatorChangesPerYear(p.type), options.days)) && lastDay >= from) {
      const day = rng.int(from, lastDay);
      const eriDay = day - rng.int(ERI_TO_CHANGE_DAYS.min, ERI_TO_CHANGE_DAYS.max);
      const eri = { day: eriDay, eosDay: eriDay + rng.int(ERI_TO_EOS_DAYS.min, ERI_TO_EOS_DAYS.max) };
      candidates.push(generatorChange(rng, p, day, 'eri', eri, undefined));
    }
    if (isCrtDevice(p.type) && rng.chance(probabilityIn(VECTOR_CHANGES_PER_YEAR.crtLv, options.days)) && lastDay >= from) {
      candidates.push(vectorChange(rng, p, rng.int(from, lastDay), 'lv', 'phrenic_nerve_stimulation'));
    }
    if (rng.chance(probabilityIn(VECTOR_CHANGES_PER_YEAR.raRv, options.days)) && lastDay >= from) {
      candidates.push(vectorChange(rng, p, rng.int(from, lastDay), rng.chance(0.5) ? 'ra' : 'rv', 'polarity'));
    }

    // In the order above (implant, fault actions, battery, elective, vectors): a candidate
    // outside [from, lastDay] or within WINDOW_DAYS of an accepted one is dropped.
    const accepted: Candidate[] = [];
    for (const c of candidates) {
      const inRun = c.kind === 'implant' || (c.day >= from && c.day <= lastDay);
      if (inRun && accepted.every((a) => Math.abs(a.day - c.day) > WINDOW_DAYS)) accepted.push(c);
    }
    accepted.sort((a, b) => a.day - b.day);

    let serial = p.device;
    let replaced = 0;
    for (const c of accepted) {
      const at = options.start + c.day * DAY_MS + rng.int(9 * 60, 16 * 60) * MINUTE_MS;
      if (c.kind === 'generator_change') replaced++;
      const change = c.change(at, serial, replaced);
      if (change) changes[p.index]!.push(change);
      if (c.ends) ended.set(c.ends, { at, kind: c.kind });
      const base = { patientId: p.id, site: p.site, at: rfc3339(at), day: c.day, reason: c.reason, params: c.params(change) };
      const extra = { ...(c.leads ? { leads: c.leads } : {}), ...(c.metrics ? { metrics: c.metrics } : {}) };
      if (change?.kind === 'generator_change') {
        drafts.push({ ...base, device: serial, kind: 'explant', reason: 'generator_change', params: { replacedBy: change.newSerial } });
        drafts.push({ ...base, device: change.newSerial, kind: 'generator_change', replaces: serial, ...extra });
        const list = renames.get(p.id) ?? [];
        list.push({ at, serial: change.newSerial });
        renames.set(p.id, list);
        serial = change.newSerial;
      } else {
        drafts.push({ ...base, device: serial, kind: c.kind, ...extra });
      }
    }
  }

  // Event order: time, then the explant of a replaced generator before its successor's change.
  const order: Record<LifecycleKind, number> = { implant: 0, explant: 1, generator_change: 2, lead_revision: 3, reprogramming: 4 };
  drafts.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.patientId.localeCompare(b.patientId) || order[a.kind] - order[b.kind]);
  const events: LifecycleTruth[] = drafts.map((d, i) => ({ id: i + 1, ...d }));

  const lifecycleEri = patients.flatMap((p) => changes[p.index]!.flatMap((c) => {
    if (c.kind !== 'generator_change' || !c.eri) return [];
    const onset = options.start + Math.max(0, c.eri.day) * DAY_MS;
    const t: TruthEvent = {
      patientId: p.id, device: c.oldSerial, site: p.site, kind: 'battery', scenario: 'battery_eri', benign: false,
      onset: rfc3339(onset), end: rfc3339(c.at),
      params: {
        mode: 'eri_then_generator_change', source: 'lifecycle', eri: rfc3339(options.start + c.eri.day * DAY_MS),
        endedBy: 'generator_change',
      },
    };
    return [t];
  }));

  function patchTruth(truth: readonly TruthEvent[]): TruthEvent[] {
    const out = truth.map((t) => {
      let x = t;
      const end = ended.get(t);
      if (end) x = { ...x, end: rfc3339(end.at), params: { ...x.params, endedBy: end.kind } };
      const onset = Date.parse(x.onset);
      for (const r of renames.get(x.patientId) ?? []) if (onset >= r.at) x = { ...x, device: r.serial };
      return x;
    });
    out.push(...lifecycleEri);
    return out.sort((a, b) => a.onset.localeCompare(b.onset) || a.patientId.localeCompare(b.patientId));
  }

  return { changes, events, patchTruth };
}

function implant(p: Patient, day: number): Candidate {
  return {
    day, kind: 'implant', reason: 'implant', leads: leadsOf(p.type),
    change: () => null,
    params: () => ({ firstReportDay: day + 1 }),
  };
}

/** What the clinic does about a simulated lead fault, if anything. */
function faultAction(rng: Rng, p: Patient, t: TruthEvent, dayOf: (iso: string) => number): Candidate | null {
  const delay = (): number => rng.int(FAULT_ACTION.delayDays.min, FAULT_ACTION.delayDays.max);
  if (t.scenario === 'lead_fracture' || t.scenario === 'insulation_breach') {
    const plain = t.scenario === 'lead_fracture'
      ? dayOf(String(t.params.jump))
      : dayOf(t.onset) + Number(t.params.fallDays);
    if (!rng.chance(FAULT_ACTION.revisionChance)) return null;
    return revision(rng, p, plain + delay(), 'rv', t.scenario, t);
  }
  if (t.scenario === 'capture_threshold_rise') {
    const lead = t.params.lead === 'lv' ? 'lv' : 'rv';
    const day = dayOf(String(t.params.reached)) + delay();
    if (lead === 'lv') {
      return rng.chance(FAULT_ACTION.lvThreshold.vector)
        ? vectorChange(rng, p, day, 'lv', t.scenario, t)
        : revision(rng, p, day, 'lv', t.scenario, t);
    }
    return rng.chance(FAULT_ACTION.rvThreshold.revision) ? revision(rng, p, day, 'rv', t.scenario, t) : outputChange(rng, p, day, t.scenario);
  }
  return null;
}

function baselineOf(p: Patient, lead: PacingLead): { impedance: number; threshold: number } {
  const b = p.baselines;
  switch (lead) {
    case 'ra': return { impedance: b.raLeadImpedance, threshold: b.raThreshold };
    case 'rv': return { impedance: b.rvLeadImpedance, threshold: b.rvThreshold };
    case 'lv': return { impedance: b.lvLeadImpedance, threshold: b.lvThreshold };
  }
}

function newLevels(rng: Rng, lead: PacingLead): { impedance: number; threshold: number } {
  const i = NEW_LEAD.impedance[lead];
  const th = NEW_LEAD.threshold[lead];
  return {
    impedance: truncatedNormal(rng, i.mean, i.sd, NEW_LEAD.impedance.lo, NEW_LEAD.impedance.hi),
    threshold: truncatedNormal(rng, th.mean, th.sd, NEW_LEAD.threshold.lo, NEW_LEAD.threshold.hi),
  };
}

function revision(rng: Rng, p: Patient, day: number, lead: PacingLead, reason: string, ends?: TruthEvent): Candidate {
  const own = baselineOf(p, lead);
  const level = newLevels(rng, lead);
  const b = p.baselines;
  const sensing = lead === 'rv'
    ? truncatedNormal(rng, NEW_LEAD.rWave.mean, NEW_LEAD.rWave.sd, NEW_LEAD.rWave.lo, NEW_LEAD.rWave.hi) / b.rWave
    : lead === 'ra' ? truncatedNormal(rng, NEW_LEAD.pWave.mean, NEW_LEAD.pWave.sd, NEW_LEAD.pWave.lo, NEW_LEAD.pWave.hi) / b.pWave : null;
  const withCoil = lead === 'rv' && isTachyDevice(p.type);
  const shock = withCoil ? truncatedNormal(rng, NEW_LEAD.shock.mean, NEW_LEAD.shock.sd, NEW_LEAD.shock.lo, NEW_LEAD.shock.hi) / b.shockImpedance : null;
  const m = MATURATION;
  const acute = rng.uniform(m.impedanceAcute.min, m.impedanceAcute.max);
  const tau = rng.uniform(m.impedanceTauDays.min, m.impedanceTauDays.max);
  const peak = rng.uniform(m.thresholdPeak.min, m.thresholdPeak.max);
  const peakDay = rng.uniform(m.thresholdPeakDay.min, m.thresholdPeakDay.max);
  return {
    day, kind: 'lead_revision', reason, leads: withCoil ? ['rv', 'shock'] : [lead],
    ...(ends ? { ends } : {}),
    change: (at): LeadChange => ({
      kind: 'lead_revision', day, at, lead,
      impedanceRatio: level.impedance / own.impedance, thresholdRatio: level.threshold / own.threshold,
      sensingRatio: sensing, shockRatio: shock,
      impedanceAcute: acute, impedanceTauDays: tau, thresholdPeak: peak, thresholdPeakDay: peakDay,
      clearsOversensing: lead === 'rv' && reason === 'lead_fracture',
    }),
    params: () => ({
      lead, impedanceOhm: Math.round(level.impedance), thresholdV: r2(level.threshold),
      acuteImpedancePct: Math.round(acute * 100), impedanceTauDays: r2(tau),
      thresholdPeakPct: Math.round(peak * 100), thresholdPeakDay: r2(peakDay),
      ...(shock === null ? {} : { shockImpedanceOhm: Math.round(shock * b.shockImpedance) }),
    }),
  };
}

/** A new pacing vector: LV (a new vector of a multipolar lead) or an RA/RV polarity change. */
function vectorChange(rng: Rng, p: Patient, day: number, lead: PacingLead, reason: string, ends?: TruthEvent): Candidate {
  const own = baselineOf(p, lead);
  let impedanceRatio: number;
  let thresholdRatio: number;
  if (lead === 'lv') {
    const level = newLevels(rng, 'lv');
    impedanceRatio = level.impedance / own.impedance;
    thresholdRatio = level.threshold / own.threshold;
  } else {
    const step = rng.uniform(POLARITY.impedanceFactor.min, POLARITY.impedanceFactor.max);
    impedanceRatio = rng.chance(0.5) ? 1 - step : 1 + step;
    thresholdRatio = rng.uniform(POLARITY.thresholdFactor.min, POLARITY.thresholdFactor.max);
  }
  return {
    day, kind: 'reprogramming', reason, leads: [lead],
    ...(ends ? { ends } : {}),
    change: (at): LeadChange => ({
      kind: 'reprogramming', day, at, lead, impedanceRatio, thresholdRatio, sensingRatio: null, shockRatio: null,
      impedanceAcute: 0, impedanceTauDays: 1, thresholdPeak: 0, thresholdPeakDay: 1, clearsOversensing: false,
    }),
    params: () => ({
      change: 'pacing_vector', lead,
      impedanceOhm: Math.round(impedanceRatio * own.impedance), thresholdV: r2(thresholdRatio * own.threshold),
    }),
  };
}

/** A higher RV output after a threshold rise: the projected longevity steps down. */
function outputChange(rng: Rng, p: Patient, day: number, reason: string): Candidate {
  const k = rng.uniform(OUTPUT_CHANGE.amplitudeRatio.min, OUTPUT_CHANGE.amplitudeRatio.max);
  const paced = Math.min(1, Math.max(0, p.baselines.rvPacingPct / 100));
  const factor = 1 - OUTPUT_CHANGE.pacingShareOfDrain * paced * (1 - 1 / (k * k));
  return {
    day, kind: 'reprogramming', reason, metrics: ['battery_longevity'],
    change: (at) => ({ kind: 'output', day, at, longevityFactor: factor }),
    params: () => ({ change: 'output', amplitudeRatio: r2(k), longevityFactor: r2(factor) }),
  };
}

function generatorChange(
  rng: Rng, p: Patient, day: number, reason: string, eri: GeneratorChange['eri'], ends: TruthEvent | undefined,
): Candidate {
  const silentDays = rng.int(SURGERY_SILENT_DAYS.min, SURGERY_SILENT_DAYS.max);
  const seqStart = rng.int(1, 5000);
  const l = NEW_LONGEVITY_MONTHS[p.type];
  const longevity = truncatedNormal(rng, l.mean, l.sd, l.lo, l.hi);
  const offset = truncatedNormal(rng, 0, CAN_OFFSET_OHM.sd, -CAN_OFFSET_OHM.max, CAN_OFFSET_OHM.max);
  const dip = rng.chance(POCKET_DIP.chance) ? rng.uniform(POCKET_DIP.min, POCKET_DIP.max) : 0;
  const tau = rng.uniform(POCKET_DIP.tauMin, POCKET_DIP.tauMax);
  return {
    day, kind: 'generator_change', reason,
    ...(ends ? { ends } : {}),
    change: (at, serial, n): GeneratorChange => ({
      kind: 'generator_change', day, at, oldSerial: serial, newSerial: replacementSerial(p.device, n), silentDays, seqStart,
      longevityMonths: longevity, impedanceOffset: offset, pocketDip: dip, pocketTauDays: tau, eri,
    }),
    params: () => ({
      silentDays, longevityMonths: Math.round(longevity), batteryStatus: 1,
      ...(hasHfDiagnostics(p.type) ? { impedanceOffsetOhm: r2(offset), pocketDipPct: r2(dip * 100), pocketTauDays: r2(tau) } : {}),
      ...(eri ? { eriDay: eri.day } : {}),
    }),
  };
}
