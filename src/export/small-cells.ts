// Small-cell protection of the `enrolled` row's quasi-identifiers (site, device type, sex,
// age band): before an export streams, every subject gets a generalisation level such that
// each combination of values in the file is shared by at least k subjects. Pure: the
// values come from the store (readEnrolments, src/store/export.ts).

/** Default k: every combination of quasi-identifiers in a file is shared by at least 5 subjects. */
export const DEFAULT_MIN_CELL = 5;
/** Largest k an export accepts (a guard against a typo, not a privacy limit). */
export const MAX_MIN_CELL = 1000;
/** What a withheld value reads in the file. Not a value of any vocabulary, nor a possible site code. */
export const SUPPRESSED = '*';

/** The quasi-identifiers of one `enrolled` row, as the file would carry them without protection. */
export interface QuasiIdentifiers {
  readonly device_type: string;
  readonly site: string | null;
  readonly sex: string;
  readonly age_band: string | null;
}

export type QuasiIdentifierName = keyof QuasiIdentifiers;

/**
 * The generalisation ladder, one step per level, the most useful values kept longest:
 * 0 as is; 1 age in 10-year bands; 2 in 20-year bands; 3 age withheld; 4 sex (or device
 * type) withheld too; 5 device type (or sex) withheld too; 6 site withheld too (every value
 * withheld). Which of sex and device type goes first is chosen per export (planSmallCells).
 */
export const MAX_LEVEL = 6;

/** Which of sex and device type a ladder withholds first. */
export type LadderOrder = 'sex_first' | 'device_first';

/** A 5-year band (or 90+) widened to `width` years: 10 (…, 80-89, 90+) or 20 (…, 60-79, 80+). */
export function widenAgeBand(band: string | null, width: 10 | 20): string | null {
  if (band === null || band === SUPPRESSED) return band;
  const low = parseInt(band, 10);
  if (!Number.isFinite(low)) return SUPPRESSED;
  const lo = Math.floor(low / width) * width;
  const top = width === 10 ? 90 : 80;
  return lo >= top ? `${top}+` : `${lo}-${lo + width - 1}`;
}

export function generalise(q: QuasiIdentifiers, level: number, order: LadderOrder = 'sex_first'): QuasiIdentifiers {
  if (level <= 0) return q;
  const [sexAt, deviceAt] = order === 'sex_first' ? [4, 5] : [5, 4];
  return {
    device_type: level >= deviceAt ? SUPPRESSED : q.device_type,
    site: level >= 6 ? SUPPRESSED : q.site,
    sex: level >= sexAt ? SUPPRESSED : q.sex,
    age_band: level >= 3 ? SUPPRESSED : widenAgeBand(q.age_band, level === 1 ? 10 : 20),
  };
}

const ALL_SUPPRESSED: QuasiIdentifiers = { device_type: SUPPRESSED, site: SUPPRESSED, sex: SUPPRESSED, age_band: SUPPRESSED };
const tupleKey = (q: QuasiIdentifiers) => `${q.site}\u0000${q.device_type}\u0000${q.sex}\u0000${q.age_band}`;

/** What the protection changed in the rows written, for the export's summary (audit row, command line). */
export interface CellSummary {
  /** The k in force; 1 means the protection was off. */
  readonly k: number;
  /** Subjects of the export whose `enrolled` values were generalised or withheld. */
  readonly subjects: number;
  /** Values replaced by a wider one (age bands of 10 or 20 years). */
  readonly generalised: { readonly age_band: number };
  /** Values replaced by `*`. */
  readonly suppressed: Readonly<Record<QuasiIdentifierName, number>>;
}

export interface CellPlan {
  readonly k: number;
  /**
   * The values to write for one `enrolled` row of a subject, counted in the summary. A
   * subject or combination the plan did not see (enrolled after it was made) is withheld whole.
   */
  apply(patientId: number, q: QuasiIdentifiers): QuasiIdentifiers;
  summary(): CellSummary;
}

export interface SubjectValues {
  readonly patientId: number;
  /** Orders subjects for the few choices the plan makes (the pseudonym's order: no link to registration). */
  readonly order: number;
  /** The values of each of the subject's `enrolled` rows (one per enrolled device). */
  readonly rows: readonly QuasiIdentifiers[];
}

/**
 * The small-cell plan of an export: every combination of values in the file shared by at
 * least k subjects (planLevels), under whichever order of the ladder changes fewer values
 * (a withheld value counts 1, a widened age band ½; a tie withholds sex first). k <= 1: off.
 */
export function planSmallCells(subjects: readonly SubjectValues[], k: number): CellPlan {
  if (k <= 1) return planFor(subjects, k, new Map(), 'sex_first');
  let best: { cost: number; level: Map<number, number>; order: LadderOrder } | null = null;
  for (const order of ['sex_first', 'device_first'] as const) {
    const level = planLevels(subjects, k, order);
    let cost = 0;
    for (const s of subjects) {
      for (const q of s.rows) {
        const g = generalise(q, level.get(s.patientId)!, order);
        for (const name of ['device_type', 'site', 'sex', 'age_band'] as const) {
          if (g[name] !== q[name]) cost += g[name] === SUPPRESSED ? 1 : 0.5;
        }
      }
    }
    if (best === null || cost < best.cost) best = { cost, level, order };
  }
  return planFor(subjects, k, best!.level, best!.order);
}

/**
 * Generalisation levels for every subject so that each subject's combination of values
 * (all its `enrolled` rows together, as someone who knows the patient's devices would
 * match them) is shared by at least k subjects of the export.
 *
 * Every subject of a combination held by fewer than k is raised one level, and again
 * until none is left; only the fully withheld combination can then stay small, and it is
 * filled up to k with the subjects that cost least (members beyond k of the largest
 * combinations, else whole combinations, smallest first). With fewer than k subjects in
 * the export, every value is withheld.
 */
function planLevels(subjects: readonly SubjectValues[], k: number, order: LadderOrder): Map<number, number> {
  const level = new Map<number, number>();
  for (const s of subjects) level.set(s.patientId, 0);
  const keyOf = (s: SubjectValues) => {
    const l = level.get(s.patientId)!;
    return [...new Set(s.rows.map((q) => tupleKey(generalise(q, l, order))))].sort().join('\u0001');
  };
  const group = () => {
    const groups = new Map<string, SubjectValues[]>();
    for (const s of subjects) {
      const key = keyOf(s);
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    return groups;
  };
  for (;;) {
    let raised = false;
    for (const members of group().values()) {
      if (members.length >= k) continue;
      for (const s of members) {
        const l = level.get(s.patientId)!;
        if (l < MAX_LEVEL) {
          level.set(s.patientId, l + 1);
          raised = true;
        }
      }
    }
    if (!raised) break;
  }
  // Only the subjects withheld whole can still be fewer than k: fill their combination up.
  const withheld = subjects.filter((s) => level.get(s.patientId) === MAX_LEVEL);
  let need = withheld.length > 0 ? k - withheld.length : 0;
  if (need > 0) {
    const others = [...group().values()]
      .filter((m) => level.get(m[0]!.patientId) !== MAX_LEVEL)
      .map((m) => [...m].sort((a, b) => a.order - b.order || a.patientId - b.patientId));
    // Members beyond k of a combination can go without leaving it below k.
    for (const m of [...others].sort((a, b) => b.length - a.length)) {
      while (need > 0 && m.length > k) {
        level.set(m.pop()!.patientId, MAX_LEVEL);
        need--;
      }
    }
    for (const m of [...others].sort((a, b) => a.length - b.length)) {
      if (need <= 0) break;
      for (const s of m) level.set(s.patientId, MAX_LEVEL);
      need -= m.length;
    }
  }
  return level;
}

/** The plan that applies `level` (by patient id) along the ladder of `order`. */
function planFor(subjects: readonly SubjectValues[], k: number, level: ReadonlyMap<number, number>, order: LadderOrder): CellPlan {
  const safe = new Set<string>();
  for (const s of subjects) {
    for (const q of s.rows) safe.add(tupleKey(generalise(q, level.get(s.patientId) ?? 0, order)));
  }
  const suppressed = { device_type: 0, site: 0, sex: 0, age_band: 0 };
  const generalised = { age_band: 0 };
  const touched = new Set<number>();
  return {
    k,
    apply(patientId, q) {
      if (k <= 1) return q;
      let out = generalise(q, level.get(patientId) ?? MAX_LEVEL, order);
      if (!safe.has(tupleKey(out))) out = ALL_SUPPRESSED;
      let changed = false;
      for (const name of ['device_type', 'site', 'sex', 'age_band'] as const) {
        if (out[name] === q[name]) continue;
        changed = true;
        if (out[name] === SUPPRESSED) suppressed[name]++;
        else generalised.age_band++;
      }
      if (changed) touched.add(patientId);
      return out;
    },
    summary: () => ({ k, subjects: touched.size, generalised: { ...generalised }, suppressed: { ...suppressed } }),
  };
}
