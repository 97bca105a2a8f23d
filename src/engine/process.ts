// processReading: one reading of one device through baselines, score and detectors, in O(1).
import { lookupMetric } from '../domain/vocabulary.ts';
import { isLearned, updateBaseline } from './baseline.ts';
import { endedSilence, noteTransmission } from './cadence.ts';
import type { EngineConfig } from './config.ts';
import { afBurden, afFastRate } from './detectors/af.ts';
import { battery } from './detectors/battery.ts';
import { CAPTURE_METRICS, captureThreshold } from './detectors/capture.ts';
import type { Detector, DetectorInput } from './detectors/context.ts';
import { crtPacingLoss } from './detectors/crt.ts';
import { IMPEDANCE_METRICS, leadIntegrity } from './detectors/lead.ts';
import { shockDelivered, ventricularArrhythmia } from './detectors/ventricular.ts';
import { HF_EVENT_METRICS, HF_INPUTS, hfDecompensation } from './hf/risk.ts';
import { applyDue, settling, type LifecycleEvent } from './lifecycle.ts';
import { comesAfter } from './order.ts';
import { decide } from './policy.ts';
import { scoreReading } from './score.ts';
import { dayOf } from './time.ts';
import type { AlertDecision, DeviceState, EngineReading, ProcessResult } from './types.ts';

/** Which metrics wake which detector. Order is the order of decisions: most urgent first. */
const ROUTES: readonly (readonly [Iterable<string>, Detector])[] = [
  [['vt_episodes', 'vf_episodes'], ventricularArrhythmia],
  [['shocks_delivered'], shockDelivered],
  [[...IMPEDANCE_METRICS, 'nsvt_episodes', 'short_vv_intervals'], leadIntegrity],
  [['battery_status', 'battery_longevity'], battery],
  [CAPTURE_METRICS, captureThreshold],
  [['af_burden'], afBurden],
  [['af_burden', 'af_ventricular_rate'], afFastRate],
  [['crt_pacing_pct'], crtPacingLoss],
  [[...HF_INPUTS, ...HF_EVENT_METRICS], hfDecompensation],
];

// Routing per metric keeps a reading's cost to the detectors that read it.
const DETECTORS_BY_METRIC = new Map<string, Detector[]>();
for (const [metrics, detector] of ROUTES) {
  for (const m of metrics) DETECTORS_BY_METRIC.set(m, [...(DETECTORS_BY_METRIC.get(m) ?? []), detector]);
}
const NONE: readonly Detector[] = [];

const NO_DECISIONS: readonly AlertDecision[] = Object.freeze([]);

/**
 * Readings of one device must arrive in event-time order, (at, seq). The state is updated IN
 * PLACE and returned (copying it per reading would cost more than the whole computation);
 * snapshot it with JSON.stringify when a copy is needed. A reading that does not come after
 * the last one taken in (see comesAfter) is a duplicate or a late reading and is ignored
 * (score 0, no decisions): the caller replays late readings from an earlier snapshot.
 * `lifecycle` is the device's lifecycle events in event order: those due are taken in first.
 */
export function processReading(
  state: DeviceState, input: EngineReading, config: EngineConfig, lifecycle?: readonly LifecycleEvent[],
): ProcessResult {
  const def = lookupMetric(input.metric);
  if (!def || !Number.isFinite(input.value)) return { state, score: 0, decisions: NO_DECISIONS, silence: null };
  // The vocabulary also resolves MDC codes; detectors and decisions speak metric names.
  const reading = def.name === input.metric ? input : { ...input, metric: def.name };
  if (!comesAfter(state, reading.at, reading.seq)) return { state, score: 0, decisions: NO_DECISIONS, silence: null };
  applyDue(state, lifecycle, reading.at, config);
  // After an explant the device's readings (a device on a shelf, a test) decide nothing.
  const ended = state.endedAt !== undefined && reading.at >= state.endedAt;
  const silence = ended ? null : endedSilence(state, reading.at, reading.seq, config);
  noteTransmission(state, reading.at, config);
  state.lastSeq = reading.seq;
  state.firstAt ??= reading.at;
  state.lastAt = reading.at;

  // A settling metric (after an implant or a lead revision) has no baseline yet.
  const settles = state.settle !== undefined && settling(state, def.name, reading.at);
  const baseline = settles ? undefined : state.baselines[def.name];
  const score = scoreReading(reading.value, reading.at, def, baseline, config);
  const detectorInput: DetectorInput = {
    reading, def, day: dayOf(reading.at), baseline, learned: isLearned(baseline, reading.at, config), settling: settles, state, config,
  };
  let decisions: AlertDecision[] | null = null;
  for (const detect of ended ? NONE : DETECTORS_BY_METRIC.get(def.name) ?? NONE) {
    const finding = detect(detectorInput);
    const decision = finding ? decide(state, finding, reading, score, config) : null;
    if (decision) (decisions ??= []).push(decision);
  }
  // Counters and statuses have no useful mean; everything else learns after detection, so a
  // reading is always judged against the past only.
  if (def.kind !== 'count' && def.kind !== 'status' && !settles) {
    state.baselines[def.name] = updateBaseline(baseline, reading.value, reading.at, def, config);
  }
  return { state, score, decisions: decisions ?? NO_DECISIONS, silence };
}
