// Settings of the heart-failure risk (src/engine/hf). Structure from the published device
// algorithms: OptiVol's fluid index (Medtronic; MID-HeFT 2005), TriageHF / PARTNERS-HF criteria
// (Whellan 2010) and HeartLogic's multi-sensor index with hysteresis (Boehmer 2017). Levels were
// tuned on the simulator's tuning seeds only (docs/engine.md, "Heart-failure risk").

export interface HfConfig {
  /** OptiVol starts collecting 34 days after implant: days of impedance before the index counts. */
  readonly learningDays: number;
  /** Per-day weight of the fluid reference's move towards the daily value, when it falls and when it rises. */
  readonly referenceAlphaDown: number;
  readonly referenceAlphaUp: number;
  readonly fluidThreshold: number;
  /**
   * A fluid index this high stands alone as High (PARTNERS-HF), provided the impedance fall is
   * abnormal for this patient too (zImpedance); below it High needs a second sensor.
   */
  readonly fluidAloneLevel: number;
  /** Priority high when the fluid index reaches this multiple of its threshold. */
  readonly highPriorityFactor: number;
  /**
   * A daily reading this long after the first one of the current monitoring day starts the next
   * day. Devices upload once a night at a local time that moves with summer time and drifts;
   * counting days by upload keeps one night one day where UTC midnight would split it.
   */
  readonly dayGapHours: number;
  /** Weight of a new day in each input's short average, so one odd night moves it little. */
  readonly inputAlpha: number;
  /** An input not reported for this many days drops out (and the others are re-weighted). */
  readonly inputStaleDays: number;
  /** Daily values kept for the patient's own baseline (median and MAD), and the newest left out of it. */
  readonly baselineDays: number;
  readonly guardDays: number;
  /** While the alert is latched the baselines hold still, for at most this many days. */
  readonly baselineFreezeDays: number;
  /** Days of baseline an input needs before it counts. */
  readonly minBaselineDays: number;
  /**
   * An input's share of its sensor's budget in the daily score is 0 up to zLow robust
   * deviations of the patient's own spread and 1 from zHigh. Spread floors keep a very steady
   * patient's tiny spread from turning noise into deviations (percent of the median, or units).
   */
  readonly zLow: number;
  readonly zHigh: number;
  readonly spreadFloor: {
    readonly impedancePct: number; readonly respiratoryRate: number; readonly nightHeartRate: number;
    readonly activityPct: number; readonly hrvPct: number; readonly afBurdenHours: number;
  };
  /** Thoracic impedance is abnormal from this fall (or the fluid index at fluidThreshold)... */
  readonly zImpedance: number;
  /** With the fluid index at fluidThreshold, a fall this far outside the patient's spread stands alone. */
  readonly zImpedanceAlone: number;
  /** ...and another sensor from this deviation; High needs minSensors abnormal, impedance one of them. */
  readonly zSecond: number;
  readonly minSensors: number;
  /** One weight per physiological sensor (re-weighted over those available), then modifiers added. */
  readonly weights: {
    readonly impedance: number; readonly respiration: number; readonly heartRate: number; readonly activity: number;
    readonly rhythm: number; readonly therapy: number;
  };
  /** TriageHF's absolute criteria: each sets its sensor's component to at least `floor`. */
  readonly absolute: {
    readonly activityMinutes: number; readonly nightHeartRate: number; readonly hrvMs: number;
    readonly afVentricularRate: number; readonly floor: number;
  };
  /** CRT pacing this many points under crt.minPct makes the therapy modifier 1. */
  readonly crtShortfall: number;
  /** Ventricular events count for this many days. */
  readonly ventricularDays: number;
  readonly mediumLevel: number;
  readonly highLevel: number;
  /** The alert opens when `persistDays` of the last `persistOf` monitoring days were High. */
  readonly persistDays: number;
  readonly persistOf: number;
  /** Hysteresis: re-armed after recoveryDays days with the daily score below recoveryLevel. */
  readonly recoveryLevel: number;
  readonly recoveryDays: number;
  /** Risk status = highest daily level of this many days. */
  readonly riskWindowDays: number;
}

export const DEFAULT_HF: HfConfig = {
  learningDays: 34, referenceAlphaDown: 1 / 30, referenceAlphaUp: 1 / 10,
  fluidThreshold: 60, fluidAloneLevel: 100, highPriorityFactor: 2,
  dayGapHours: 12, inputAlpha: 0.5, inputStaleDays: 3,
  baselineDays: 60, guardDays: 7, minBaselineDays: 28, baselineFreezeDays: 30,
  zLow: 2, zHigh: 5,
  spreadFloor: { impedancePct: 1, respiratoryRate: 0.3, nightHeartRate: 1.5, activityPct: 6, hrvPct: 4, afBurdenHours: 1 },
  zImpedance: 3.5, zImpedanceAlone: 4.5, zSecond: 4, minSensors: 2,
  weights: { impedance: 0.35, respiration: 0.2, heartRate: 0.25, activity: 0.2, rhythm: 0.1, therapy: 0.1 },
  absolute: { activityMinutes: 60, nightHeartRate: 85, hrvMs: 60, afVentricularRate: 90, floor: 0.5 },
  crtShortfall: 10, ventricularDays: 7,
  mediumLevel: 0.2, highLevel: 0.3, persistDays: 2, persistOf: 3,
  recoveryLevel: 0.15, recoveryDays: 7, riskWindowDays: 30,
};
