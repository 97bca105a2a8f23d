// processReading: one reading of one device through baselines, score and detectors, in O(1).
import { lookupMetric } from '../domain/vocabulary.ts';
import { isLearned, updateBaseline } from './baseline.ts';
import type { EngineConfig } from './config.ts';
import { afBurden, afFastRate } from './detectors/af.ts';
import { battery } from './detectors/battery.ts';
import { captureThreshold } from './detectors/capture.ts';
import type { Detector, DetectorInput } from './detectors/context.ts';
import { crtPacingLoss } from './detectors/crt.ts';
import { leadIntegrity } from './detectors/lead.ts';
import { shockDelivered, ventricularArrhythmia } from './detectors/ventricular.ts';
import { hfDecompensation } from './hf/risk.ts';
import { decide } from './policy.ts';
import { scoreReading } from './score.ts';
import { dayOf } from './time.ts';
import type { AlertDecision, DeviceState, EngineReading, ProcessResult } from './types.ts';

/** Order is the order of decisions on one reading: the most urgent kinds first. */
const DETECTORS: readonly Detector[] = [
  ventricularArrhythmia, shockDelivered, leadIntegrity, battery, captureThreshold,
  afBurden, afFastRate, crtPacingLoss, hfDecompensation,
];

const NO_DECISIONS: readonly AlertDecision[] = Object.freeze([]);

/**
 * Readings of one device must arrive in event-time order. The state is updated IN PLACE and
 * returned (copying it per reading would cost more than the whole computation); snapshot it
 * with JSON.stringify when a copy is needed. A reading with a seq at or below the last one
 * seen is a duplicate or a late reading and is ignored (score 0, no decisions): the caller
 * replays late readings from an earlier snapshot (see docs/engine.md).
 */
export function processReading(state: DeviceState, reading: EngineReading, config: EngineConfig): ProcessResult {
  const def = lookupMetric(reading.metric);
  if (!def || !Number.isFinite(reading.value)) return { state, score: 0, decisions: NO_DECISIONS };
  if (state.lastSeq !== null && reading.seq <= state.lastSeq) return { state, score: 0, decisions: NO_DECISIONS };
  state.lastSeq = reading.seq;
  state.firstAt ??= reading.at;
  state.lastAt = reading.at;

  const baseline = state.baselines[def.name];
  const score = scoreReading(reading.value, reading.at, def, baseline, config);
  const input: DetectorInput = {
    reading, def, day: dayOf(reading.at), baseline, learned: isLearned(baseline, reading.at, config), state, config,
  };
  let decisions: AlertDecision[] | null = null;
  for (const detect of DETECTORS) {
    const finding = detect(input);
    if (finding) (decisions ??= []).push(decide(state, finding, reading, score));
  }
  // Counters and statuses have no useful mean; everything else learns after detection, so a
  // reading is always judged against the past only.
  if (def.kind !== 'count' && def.kind !== 'status') {
    state.baselines[def.name] = updateBaseline(baseline, reading.value, reading.at, def, config);
  }
  return { state, score, decisions: decisions ?? NO_DECISIONS };
}
