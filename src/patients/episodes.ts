// One list of a patient's arrhythmia episodes and therapies: the counts devices report in
// readings (VT, VF, NSVT episodes, ATP and shocks since the previous report) and the
// episodes HL7 IDCO messages described one by one. Newest first. Pure.
import { metricByName } from '../domain/vocabulary.ts';

/** Counter metrics listed, and what each is. */
export const EPISODE_METRICS = {
  vt_episodes: 'vt', vf_episodes: 'vf', nsvt_episodes: 'nsvt', atp_delivered: 'atp', shocks_delivered: 'shock',
} as const;
export const EPISODE_METRIC_IDS = Object.keys(EPISODE_METRICS).map((m) => metricByName(m).id);

export interface Episode {
  readonly source: 'reading' | 'idco';
  readonly device: string;
  /** vt, vf, nsvt, atp, shock (readings); vt, vf, nsvt, svt, af, other (IDCO). */
  readonly class: string;
  /** Episodes or therapies a reading counted since the device's previous report; null for an IDCO episode (one). */
  readonly count: number | null;
  readonly at: string;
  /** device: the device's time of the episode (or of the report that counted it); report: an IDCO episode without a time, at its report's. */
  readonly timeOf: 'device' | 'report';
  /** When the service received the reading (null for IDCO episodes). */
  readonly receivedAt: string | null;
  readonly durationS: number | null;
  readonly therapy: string;
  readonly result: string;
  readonly vendorType: string;
}

export interface CounterIn { readonly serial: string; readonly metric: string; readonly at: Date; readonly value: number; readonly receivedAt: Date }
export interface IdcoIn {
  readonly serial: string; readonly class: string; readonly vendor_type: string; readonly at: Date | null; readonly duration_s: number | null;
  readonly therapy: string; readonly result: string; readonly reported_at: Date;
}

export function mergeEpisodes(counters: readonly CounterIn[], idco: readonly IdcoIn[], limit: number): { episodes: Episode[]; truncated: boolean } {
  const all: Episode[] = [
    ...counters.flatMap((c): Episode[] => {
      const cls = EPISODE_METRICS[c.metric as keyof typeof EPISODE_METRICS];
      if (!cls) return [];
      return [{
        source: 'reading', device: c.serial, class: cls, count: c.value, at: c.at.toISOString(), timeOf: 'device', receivedAt: c.receivedAt.toISOString(),
        durationS: null, therapy: '', result: '', vendorType: '',
      }];
    }),
    ...idco.map((e): Episode => ({
      source: 'idco', device: e.serial, class: e.class, count: null, at: (e.at ?? e.reported_at).toISOString(), timeOf: e.at ? 'device' : 'report',
      receivedAt: null, durationS: e.duration_s, therapy: e.therapy, result: e.result, vendorType: e.vendor_type,
    })),
  ];
  all.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { episodes: all.slice(0, limit), truncated: all.length > limit };
}
