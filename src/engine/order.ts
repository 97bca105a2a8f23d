// A device's readings are taken in event-time order: (at, seq), at first. Gateway seqs
// already follow event time; readings derived from HL7 messages carry hashed negative seqs,
// so seq alone cannot order them.
import type { DeviceState } from './types.ts';

/** True when (at, seq) comes after every reading the state has taken in. */
export function comesAfter(state: Pick<DeviceState, 'lastAt' | 'lastSeq'>, at: number, seq: number): boolean {
  if (state.lastAt === null || state.lastSeq === null) return true;
  return at > state.lastAt || (at === state.lastAt && seq > state.lastSeq);
}
