// Draws the patient list: device type, vendor, id, site and each patient's own baselines.
import { MODEL_CODES, VENDOR_MIX, isCrtDevice } from './device-types.ts';
import type { Rng } from './prng.ts';
import type { Baselines, DeviceType, Patient, Vendor } from './types.ts';

function deviceId(rng: Rng, vendor: Vendor, type: DeviceType): string {
  const model = MODEL_CODES[vendor][type];
  const digits = String(rng.int(100000, 999999));
  switch (vendor) {
    case 'MDT':
      return `MDT-${model}${digits}${String.fromCharCode(65 + rng.int(0, 25))}`;
    case 'BSX':
      return `BSX-${model}.${digits}`;
    case 'ABT':
      return `ABT-${model}:${digits}`;
    case 'BIO':
      return `BIO-${model}_${digits}${rng.int(10, 99)}`;
  }
}

function drawBaselines(rng: Rng, type: DeviceType): Baselines {
  const crt = isCrtDevice(type);
  // Pacemaker patients split into AV block (mostly paced) and sinus-node disease (rarely).
  const rvPacing = type === 'pacemaker'
    ? (rng.chance(0.45) ? rng.uniform(70, 99) : rng.uniform(1, 30))
    : rng.uniform(0.5, 8);
  const crtPct = rng.clampedNormal(97.5, 1.2, 94.5, 99.8);
  return {
    nightHeartRate: rng.clampedNormal(62, 6, 50, 76),
    dayHeartRateRise: rng.uniform(6, 16),
    activity: rng.clampedNormal(230, 70, 130, 420),
    weekendActivityFactor: rng.uniform(0.8, 1.15),
    hrv: rng.clampedNormal(105, 20, 72, 148),
    thoracicImpedance: rng.clampedNormal(70, 7, 56, 86),
    respiratoryRate: rng.clampedNormal(16, 1.6, 12.5, 19),
    rvPacingPct: crt ? crtPct : rvPacing,
    crtPacingPct: crtPct,
    raLeadImpedance: rng.clampedNormal(520, 90, 320, 1000),
    rvLeadImpedance: rng.clampedNormal(600, 120, 350, 1100),
    lvLeadImpedance: rng.clampedNormal(750, 180, 400, 1400),
    shockImpedance: rng.clampedNormal(62, 10, 38, 95),
    raThreshold: rng.clampedNormal(0.8, 0.2, 0.5, 1.375),
    rvThreshold: rng.clampedNormal(0.8, 0.2, 0.5, 1.375),
    lvThreshold: rng.clampedNormal(1.2, 0.3, 0.625, 1.875),
    pWave: rng.clampedNormal(3, 0.8, 1.6, 5),
    rWave: rng.clampedNormal(11, 3, 5.5, 20),
    longevityMonths: rng.uniform(30, 150),
    chargeTime: rng.clampedNormal(8, 1.3, 5.5, 11),
    backgroundAfRate: rng.chance(0.12) ? rng.uniform(0.02, 0.1) : 0,
  };
}

export interface PatientOptions {
  readonly patients: number;
  readonly sites: readonly string[];
  readonly mix: Readonly<Record<DeviceType, number>>;
}

export function drawPatients(rng: Rng, options: PatientOptions): Patient[] {
  const used = new Set<string>();
  const out: Patient[] = [];
  for (let i = 0; i < options.patients; i++) {
    const r = rng.fork('patient', i);
    const type = r.weighted(options.mix);
    const vendor = r.weighted(VENDOR_MIX);
    let device = deviceId(r, vendor, type);
    while (used.has(device)) device = deviceId(r, vendor, type);
    used.add(device);
    out.push({
      index: i,
      id: `p-${String(i + 1).padStart(5, '0')}`,
      device,
      type,
      vendor,
      site: options.sites[i % options.sites.length] ?? 'sim',
      // Bedside monitors are scheduled in the small hours, when the patient is asleep nearby.
      transmitMinute: r.int(30, 300),
      baselines: drawBaselines(r, type),
      drift: {
        leadImpedance: r.normal(-0.03, 0.03),
        thoracicImpedance: r.normal(0, 0.02),
        activity: r.normal(-0.05, 0.08),
        threshold: r.normal(0.02, 0.04),
      },
    });
  }
  return out;
}
