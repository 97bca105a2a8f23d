// What an IDCO message says beyond the vocabulary's readings: arrhythmia episodes (one per
// OBX-4 sub-id of the MDC_IDC_EPISODE_* terms), the device's "recent" counters (counted
// since the last reset of its statistics, usually an in-clinic session, not since the last
// report), and programmed settings and lead status. Pure: segments in, records out.
//
// Terms and numeric codes are IEEE 11073-10103 (MDC IDC), as the IHE IDCO profile and the
// iCARDEA project's vendor mappings use them; docs/idco.md lists each with its use.
import { readable, value, type Encoding, type Segment } from './hl7.ts';

/** The episode classes the engine counts, and the others it only keeps. */
export type EpisodeClass = 'vt' | 'vf' | 'nsvt' | 'svt' | 'af' | 'other';

type EpisodeField = 'id' | 'type' | 'vendor_type' | 'time' | 'duration' | 'therapy' | 'result';
type StatField = 'stat_type' | 'stat_vendor_type' | 'stat_count' | 'stat_start' | 'stat_end';

const TERMS: ReadonlyArray<readonly [string, string, EpisodeField | StatField | 'counter' | 'setting' | 'status']> = [
  ['739536', 'MDC_IDC_EPISODE_ID', 'id'],
  ['739568', 'MDC_IDC_EPISODE_TYPE', 'type'],
  ['739600', 'MDC_IDC_EPISODE_VENDOR_TYPE', 'vendor_type'],
  ['739552', 'MDC_IDC_EPISODE_DTM', 'time'],
  ['739712', 'MDC_IDC_EPISODE_DURATION', 'duration'],
  ['739680', 'MDC_IDC_EPISODE_DETECTION_THERAPY_DETAILS', 'therapy'],
  ['739696', 'MDC_IDC_EPISODE_THERAPY_RESULT', 'result'],
  ['737952', 'MDC_IDC_STAT_EPISODE_TYPE', 'stat_type'],
  ['737984', 'MDC_IDC_STAT_EPISODE_VENDOR_TYPE', 'stat_vendor_type'],
  ['738000', 'MDC_IDC_STAT_EPISODE_RECENT_COUNT', 'stat_count'],
  ['738017', 'MDC_IDC_STAT_EPISODE_RECENT_COUNT_DTM_START', 'stat_start'],
  ['738018', 'MDC_IDC_STAT_EPISODE_RECENT_COUNT_DTM_END', 'stat_end'],
  ['737824', 'MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT', 'counter'],
  ['737856', 'MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_ABORTED_RECENT', 'counter'],
  ['737888', 'MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT', 'counter'],
  ['729984', 'MDC_IDC_SET_LEADCHNL_RA_PACING_AMPLITUDE', 'setting'],
  ['729985', 'MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE', 'setting'],
  ['729987', 'MDC_IDC_SET_LEADCHNL_LV_PACING_AMPLITUDE', 'setting'],
  ['730752', 'MDC_IDC_SET_BRADY_MODE', 'setting'],
  ['730880', 'MDC_IDC_SET_BRADY_LOWRATE', 'setting'],
  ['731136', 'MDC_IDC_SET_BRADY_MAX_TRACKING_RATE', 'setting'],
  ['731200', 'MDC_IDC_SET_BRADY_MAX_SENSOR_RATE', 'setting'],
  ['720901', 'MDC_IDC_DEV_IMPLANT_DT', 'setting'],
  ['720964', 'MDC_IDC_LEAD_IMPLANT_DT', 'setting'],
  ['720966', 'MDC_IDC_LEAD_LOCATION', 'setting'],
  ['722752', 'MDC_IDC_MSMT_LEADHVCHNL_STATUS', 'status'],
  ['720970', 'MDC_IDC_LEAD_CONNECTION_STATUS', 'status'],
];

type Use = (typeof TERMS)[number][2];
const BY_KEY = new Map<string, { readonly ref: string; readonly use: Use }>();
for (const [code, ref, use] of TERMS) {
  BY_KEY.set(code, { ref, use });
  BY_KEY.set(ref, { ref, use });
}
// Older messages name the implant date MDC_IDC_PG_IMPLANT_DT (same code).
BY_KEY.set('MDC_IDC_PG_IMPLANT_DT', { ref: 'MDC_IDC_DEV_IMPLANT_DT', use: 'setting' });

/** The clinical term an OBX-3 names (identifier or text of an MDC triplet), or undefined. */
export function clinicalTerm(seg: Segment, enc: Encoding): { readonly ref: string; readonly use: Use } | undefined {
  for (const n of [1, 2, 4, 5]) {
    const c = value(seg, enc, 3, n).trim();
    const key = /^MDC_/i.test(c) ? c.toUpperCase() : c;
    const hit = BY_KEY.get(key);
    if (hit) return hit;
  }
  return undefined;
}

/** The class of an episode type as written (`Epis_VT^VT`, `MDT-Epis_Fast_VT`, `AT/AF`...). */
export function episodeClass(text: string): EpisodeClass {
  const t = text.toUpperCase();
  if (/NS[_\- ]?VT|VT[_\- ]NS|NON[_\- ]?SUSTAINED/.test(t)) return 'nsvt';
  if (/SVT/.test(t)) return 'svt';
  if (/(^|[^A-Z])V[_\- ]?F([^A-Z]|$)|EPIS_VF|FIBRILLATION_V/.test(t)) return 'vf';
  if (/VT|FVT|TACHYCARDIA_V/.test(t)) return 'vt';
  if (/AT[_/\- ]?AF|(^|[^A-Z])A[TF]([^A-Z]|$)|EPIS_A[TF]/.test(t)) return 'af';
  return 'other';
}

export interface IdcoEpisode {
  /** OBX-4: which episode of the message. */
  readonly subId: string;
  readonly episodeClass: EpisodeClass;
  /** MDC_IDC_EPISODE_TYPE and _VENDOR_TYPE as written (readable text). */
  readonly type: string;
  readonly vendorType: string;
  /** The device's own episode id, when sent. */
  readonly id: string;
  /** Epoch ms: MDC_IDC_EPISODE_DTM, else the OBX's time; undefined when neither is known. */
  readonly at: number | undefined;
  readonly durationS: number | null;
  readonly therapy: string;
  readonly result: string;
}

export interface IdcoCounter {
  /** e.g. MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT, or `MDC_IDC_STAT_EPISODE_RECENT_COUNT:vt`. */
  readonly name: string;
  readonly value: number;
  /** Start of the counting period (MDC_IDC_STAT_EPISODE_RECENT_COUNT_DTM_START), epoch ms, when sent. */
  readonly periodStart: number | undefined;
  /** For an episode counter, the class it counts. */
  readonly episodeClass: EpisodeClass | null;
}

export interface IdcoObservation {
  readonly ref: string;
  readonly subId: string;
  readonly value: string;
  readonly unit: string;
  readonly kind: 'setting' | 'status';
}

export interface ClinicalRecords {
  readonly episodes: readonly IdcoEpisode[];
  readonly counters: readonly IdcoCounter[];
  readonly observations: readonly IdcoObservation[];
  /** Sentences for the ACK's problems list. */
  readonly problems: readonly string[];
  /** Counters that could not be read: quarantined like any unusable observation. */
  readonly rejected: ReadonlyArray<{ readonly seg: Segment; readonly reason: 'bad_value' | 'unit_mismatch'; readonly detail: string }>;
}

/** A count's unit: none, `1`, or an annotation such as `{shocks}`; anything else is a measure, not a count. */
const isCountUnit = (unit: string): boolean => unit === '' || unit === '1' || /^\{[^{}]{0,40}\}$/.test(unit);

/** Collect the clinical records of the OBX segments `clinicalTerm` recognised. `timeOf` reads an HL7 time. */
export function collectClinical(obxs: ReadonlyArray<{ seg: Segment; term: { ref: string; use: Use } }>, enc: Encoding, timeOf: (text: string) => number | undefined): ClinicalRecords {
  const episodes = new Map<string, Partial<Record<EpisodeField, string>> & { obxTime?: number }>();
  const stats = new Map<string, Partial<Record<StatField, string>>>();
  const counters: IdcoCounter[] = [];
  const observations: IdcoObservation[] = [];
  const problems: string[] = [];
  const rejected: Array<ClinicalRecords['rejected'][number]> = [];
  for (const { seg, term } of obxs) {
    const subId = value(seg, enc, 4).trim() || '1';
    const text = readable(seg, enc, 5).trim();
    const v5 = value(seg, enc, 5).trim();
    const use = term.use;
    if (use === 'counter') {
      const n = Number(v5);
      const unit = value(seg, enc, 6).trim();
      if (v5 === '' || !Number.isInteger(n) || n < 0 || n > 1_000_000) rejected.push({ seg, reason: 'bad_value', detail: `${JSON.stringify(v5.slice(0, 40))} is not a count` });
      else if (!isCountUnit(unit)) rejected.push({ seg, reason: 'unit_mismatch', detail: `a count cannot be in ${JSON.stringify(unit.slice(0, 40))}` });
      else counters.push({ name: term.ref, value: n, periodStart: undefined, episodeClass: null });
    } else if (use === 'setting' || use === 'status') {
      observations.push({ ref: term.ref, subId, value: text.slice(0, 200), unit: value(seg, enc, 6).trim().slice(0, 40), kind: use });
    } else if (use.startsWith('stat_')) {
      const s = stats.get(subId) ?? {};
      s[use as StatField] ??= use === 'stat_count' ? v5 : text;
      stats.set(subId, s);
    } else {
      const e = episodes.get(subId) ?? {};
      // The code (first component) of a CWE type is read too: vendor texts vary more.
      e[use as EpisodeField] ??= use === 'type' || use === 'vendor_type' || use === 'result' ? `${v5} ${text}`.trim() : text;
      e.obxTime ??= timeOf(value(seg, enc, 14));
      episodes.set(subId, e);
    }
  }
  for (const [subId, s] of stats) {
    const n = Number(s.stat_count);
    if (s.stat_count === undefined) continue;
    if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
      problems.push(`episode counter ${subId}: ${JSON.stringify(s.stat_count.slice(0, 40))} is not a count`);
      continue;
    }
    const typeText = `${s.stat_type ?? ''} ${s.stat_vendor_type ?? ''}`.trim();
    const cls = typeText === '' ? null : episodeClass(typeText);
    counters.push({
      name: `MDC_IDC_STAT_EPISODE_RECENT_COUNT:${cls ?? `sub-${subId}`}`,
      value: n,
      periodStart: s.stat_start === undefined ? undefined : timeOf(s.stat_start),
      episodeClass: cls,
    });
  }
  const list: IdcoEpisode[] = [];
  for (const [subId, e] of episodes) {
    const typeText = `${e.type ?? ''} ${e.vendor_type ?? ''}`.trim();
    const duration = e.duration === undefined ? NaN : Number(e.duration);
    list.push({
      subId,
      episodeClass: episodeClass(typeText),
      type: e.type ?? '',
      vendorType: e.vendor_type ?? '',
      id: e.id ?? '',
      at: (e.time === undefined ? undefined : timeOf(e.time)) ?? e.obxTime,
      durationS: Number.isFinite(duration) && duration >= 0 ? duration : null,
      therapy: (e.therapy ?? '').slice(0, 500),
      result: e.result ?? '',
    });
  }
  return { episodes: list, counters, observations, problems, rejected };
}
