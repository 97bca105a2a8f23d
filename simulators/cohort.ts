// The public generator: a cohort of patients, its ground truth, and a streaming iterator of
// their transmissions. Memory stays proportional to the number of patients, not of readings.
import { DeviceSim, DEFAULT_NOISE, type NoiseOptions } from './device-sim.ts';
import { DEVICE_MIX, NIGHTLY_METRICS } from './device-types.ts';
import { PatientLifecycle } from './lifecycle/device.ts';
import { planLifecycle } from './lifecycle/plan.ts';
import type { LifecycleTruth } from './lifecycle/types.ts';
import { drawPatients } from './patients.ts';
import { Rng } from './prng.ts';
import { PatientRealism } from './realism/background.ts';
import { realismParams } from './realism/params.ts';
import { drawTraits, widenPatient, type RealismTraits } from './realism/traits.ts';
import { planScenarios, profileShares } from './scenarios/plan.ts';
import type { ScenarioInstance } from './scenarios/types.ts';
import { DAY_MS, parseStart } from './time.ts';
import type { DeviceType, NoiseProfile, Patient, ScenarioName, SimReading, Transmission, TruthEvent } from './types.ts';

/** Used when no start is given, so the generator never reads the wall clock. */
export const DEFAULT_START = '2025-01-01';

export interface CohortOptions {
  readonly patients: number;
  readonly days: number;
  readonly seed: number | string;
  /** First simulated day (UTC midnight for a date); defaults to DEFAULT_START. */
  readonly start?: string | number | Date;
  /** Add a heart_rate reading every hour (24 more readings a patient-day). */
  readonly hourlyHr?: boolean;
  /** Site names; patients are spread over them round-robin. */
  readonly sites?: readonly string[];
  /**
   * Share of eligible patients per scenario. When given, scenarios it omits are off. Defaults
   * to the profile's shares (`profileShares`).
   */
  readonly scenarios?: Readonly<Partial<Record<ScenarioName, number>>>;
  readonly noise?: Partial<NoiseOptions>;
  /** Background behaviour of the devices (default 'clean'). */
  readonly profile?: NoiseProfile;
  readonly mix?: Readonly<Record<DeviceType, number>>;
  /**
   * Device lifecycle events (generator changes, lead revisions, reprogramming, implants) with
   * their ground truth (`Cohort.lifecycle`), drawn from a stream of their own: without them
   * (the default) a cohort is bit for bit what it was before they existed.
   */
  readonly lifecycle?: boolean;
}

export interface ResolvedCohortOptions {
  readonly patients: number;
  readonly days: number;
  readonly seed: string;
  readonly start: number;
  readonly hourlyHr: boolean;
  readonly sites: readonly string[];
  readonly scenarios: Readonly<Partial<Record<ScenarioName, number>>>;
  readonly noise: NoiseOptions;
  readonly profile: NoiseProfile;
  readonly lifecycle: boolean;
}

export interface Cohort {
  readonly options: ResolvedCohortOptions;
  readonly patients: readonly Patient[];
  readonly truth: readonly TruthEvent[];
  /**
   * Lifecycle events in event order (empty unless `lifecycle`). With them, `truth` reads as
   * the clinic would see it: a scenario starting after a generator change names the new
   * serial, a replaced lead's fault or battery ends at its replacement, and an ERI the
   * lifecycle drew before a generator change is a battery event of its own.
   */
  readonly lifecycle: readonly LifecycleTruth[];
  /** A fresh pass over the run, ordered by arrival at the gateway (`sentAt`). */
  transmissions(): Generator<Transmission>;
  /** The same pass flattened to readings. */
  readings(): Generator<SimReading>;
}

const bySentAt = (a: Transmission, b: Transmission): number => a.sentAt - b.sentAt;

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
}

export function createCohort(options: CohortOptions): Cohort {
  checkInt('patients', options.patients, 1, 1_000_000);
  checkInt('days', options.days, 1, 3650);
  const sites = options.sites && options.sites.length > 0 ? options.sites : ['sim'];
  const resolved: ResolvedCohortOptions = {
    patients: options.patients,
    days: options.days,
    seed: String(options.seed),
    start: parseStart(options.start ?? DEFAULT_START),
    hourlyHr: options.hourlyHr ?? false,
    sites,
    scenarios: options.scenarios ?? profileShares(options.profile ?? 'clean', options.days),
    noise: { ...DEFAULT_NOISE, ...options.noise },
    profile: options.profile ?? 'clean',
    lifecycle: options.lifecycle ?? false,
  };
  const root = new Rng(`cardiac-sim/${resolved.seed}`);
  const realism = realismParams(resolved.profile);
  const drawn = drawPatients(root, { patients: resolved.patients, sites, mix: options.mix ?? DEVICE_MIX });
  // The calibrated profile draws from streams of its own, so the clean one stays as it was.
  const patients = realism ? drawn.map((p) => widenPatient(root.fork('realism', 'baselines', p.index), p)) : drawn;
  const traits: RealismTraits[] = realism
    ? patients.map((p) => drawTraits(root.fork('realism', 'traits', p.index), p, realism, resolved.days))
    : [];
  const plan = planScenarios(patients, root, {
    days: resolved.days, start: resolved.start, shares: resolved.scenarios, realism,
    firstDay: (p) => traits[p.index]?.implantDay ?? 0,
  });
  const scenarioTruth = plan.flat().flatMap((s) => s.truths)
    .sort((a, b) => a.onset.localeCompare(b.onset) || a.patientId.localeCompare(b.patientId));
  // A stream of its own (seed + ':lifecycle'): nothing above draws differently with it.
  const life = resolved.lifecycle
    ? planLifecycle(patients, {
      seed: resolved.seed, days: resolved.days, start: resolved.start, scenarios: plan,
      firstDay: (p) => traits[p.index]?.implantDay ?? 0,
    })
    : null;
  const truth = life ? life.patchTruth(scenarioTruth) : scenarioTruth;

  function* transmissions(): Generator<Transmission> {
    const sims = patients.map((p) => {
      const t = traits[p.index];
      const bg = realism && t
        ? new PatientRealism(p, t, realism, root.fork('realism', 'days', p.index), NIGHTLY_METRICS[p.type])
        : null;
      const changes = life?.changes[p.index] ?? [];
      return new DeviceSim(
        p, plan[p.index] ?? ([] as ScenarioInstance[]), root.fork('days', p.index),
        resolved.start, resolved.hourlyHr, resolved.noise, bg, changes.length > 0 ? new PatientLifecycle(changes) : null,
      );
    });
    let carry: Transmission[] = [];
    for (let day = 0; day < resolved.days; day++) {
      const today = carry;
      for (const sim of sims) sim.day(day, today);
      // Stable sort: ties keep generation order, which is each device's seq order.
      today.sort(bySentAt);
      // Everything generated later is sent at or after the next midnight.
      const horizon = resolved.start + (day + 1) * DAY_MS;
      let i = 0;
      while (i < today.length && (today[i] as Transmission).sentAt < horizon) yield today[i++] as Transmission;
      carry = today.slice(i);
    }
    yield* carry;
  }

  function* readings(): Generator<SimReading> {
    for (const t of transmissions()) yield* t.readings;
  }

  return { options: resolved, patients, truth, lifecycle: life?.events ?? [], transmissions, readings };
}
