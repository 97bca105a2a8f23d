// The PARTNERS-HF combined device-diagnostic criteria (Whellan et al., JACC 2010;55:1803) as a
// daily classifier, and the monthly evaluation of TriageHF-style reviews (Cowie et al., Eur
// Heart J 2013;34:2472: ~10 % of monthly evaluations High).

/** One device-day as reported; NaN where the metric was not reported. */
export interface PartnersDay {
  readonly reported: boolean;
  readonly fluidIndex: number;
  readonly afBurden: number;
  readonly afRate: number;
  readonly activity: number;
  readonly nightHr: number;
  readonly hrv: number;
  readonly crtPct: number;
  readonly shocks: number;
}

export type Criterion = 'fluid' | 'afBurden' | 'afRate' | 'activity' | 'autonomic' | 'therapy';

/** Consecutive reported days that must all meet a sustained criterion. */
const SUSTAIN = 7;

/**
 * Criteria met on each day. Sustained criteria count reported days: a missed night neither
 * breaks a run nor extends it.
 */
export function dailyCriteria(days: readonly PartnersDay[]): Set<Criterion>[] {
  let lowActivity = 0;
  let highNightHr = 0;
  let lowHrv = 0;
  const crtWindow: boolean[] = [];
  return days.map((d) => {
    const met = new Set<Criterion>();
    if (!d.reported) return met;
    lowActivity = d.activity < 60 ? lowActivity + 1 : 0;
    highNightHr = d.nightHr > 85 ? highNightHr + 1 : 0;
    lowHrv = d.hrv < 60 ? lowHrv + 1 : 0;
    if (!Number.isNaN(d.crtPct)) {
      crtWindow.push(d.crtPct < 90);
      if (crtWindow.length > 7) crtWindow.shift();
    }
    if (d.fluidIndex >= 60) met.add('fluid');
    if (d.afBurden >= 6) met.add('afBurden');
    if (d.afBurden >= 24 && d.afRate >= 90) met.add('afRate');
    if (lowActivity >= SUSTAIN) met.add('activity');
    if (highNightHr >= SUSTAIN || lowHrv >= SUSTAIN) met.add('autonomic');
    if (crtWindow.filter(Boolean).length >= 5 || d.shocks > 0) met.add('therapy');
    return met;
  });
}

/** High on a day: two or more criteria, or a fluid index of 100 or more. */
export function highDays(days: readonly PartnersDay[]): boolean[] {
  const criteria = dailyCriteria(days);
  return days.map((d, i) => (criteria[i]?.size ?? 0) >= 2 || d.fluidIndex >= 100);
}

/**
 * Monthly evaluations: consecutive 30-day periods from `firstDay`; a period with at least 15
 * reported days counts, and is High if any day in it was.
 */
export function monthlyEvaluations(days: readonly PartnersDay[], firstDay: number): { months: number; high: number } {
  const high = highDays(days);
  let months = 0;
  let highMonths = 0;
  for (let s = firstDay; s + 30 <= days.length; s += 30) {
    let reported = 0;
    let any = false;
    for (let d = s; d < s + 30; d++) {
      if (days[d]?.reported) reported++;
      if (high[d]) any = true;
    }
    if (reported < 15) continue;
    months++;
    if (any) highMonths++;
  }
  return { months, high: highMonths };
}
