// What a resolved alert turned out to be: the clinical ground truth the engine is judged
// (and later tuned) against. Besides the contract's `resolution` (what the clinic did), never
// instead of it. A "true" outcome is one where the alert found the problem it names.

export const OUTCOMES = [
  'confirmed_treated',
  'confirmed_no_change',
  'other_cause',
  'non_adherence',
  'known_condition',
  'artefact',
  'no_action_needed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that count as a true alert in the positive predictive value. */
export const TRUE_OUTCOMES: ReadonlySet<Outcome> = new Set(['confirmed_treated', 'confirmed_no_change']);

export const OUTCOME_LABELS: Readonly<Record<Outcome, string>> = {
  confirmed_treated: 'Confirmed, treated (e.g. diuretics changed, therapy given)',
  confirmed_no_change: 'Confirmed, no change to treatment',
  other_cause: 'Another cause (e.g. infection, pneumonia)',
  non_adherence: 'Non-adherence (medication, diet, fluids)',
  known_condition: 'Known condition, already managed',
  artefact: 'Artefact or false alert (device, lead, sensing)',
  no_action_needed: 'Not clinically significant, no action needed',
};

export const isOutcome = (v: unknown): v is Outcome => typeof v === 'string' && (OUTCOMES as readonly string[]).includes(v);
