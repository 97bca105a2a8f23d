// Event-time helpers: days are UTC days of the reading's own timestamp.
export const DAY_MS = 86_400_000;

export function dayOf(at: number): number {
  return Math.floor(at / DAY_MS);
}
