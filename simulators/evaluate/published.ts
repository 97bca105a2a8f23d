// Published figures of comparable device algorithms and the heart-failure targets, shown beside
// the measured ones. Sources: MultiSENSE (HeartLogic, Boston Scientific) and MID-HeFT (OptiVol,
// Medtronic); the targets are the project's own for heart failure.
export interface Reference {
  readonly name: string;
  readonly sensitivity?: number;
  readonly unexplainedPerPatientYear?: number;
  readonly medianWarningDays?: number;
  /** How the figure is to be read: 'published', or 'target' (≥ / ≤). */
  readonly note: string;
}

export const HF_REFERENCES: readonly Reference[] = [
  { name: 'HeartLogic (MultiSENSE)', sensitivity: 0.7, unexplainedPerPatientYear: 1.47, medianWarningDays: 34, note: 'published' },
  { name: 'OptiVol (MID-HeFT)', sensitivity: 0.769, unexplainedPerPatientYear: 1.5, note: 'published' },
  { name: 'Target', sensitivity: 0.85, unexplainedPerPatientYear: 0.5, medianWarningDays: 14, note: 'sensitivity ≥, unexplained ≤, warning ≥' },
];
