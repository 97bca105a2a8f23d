// Day-to-day wander: a stationary AR(1) process, so a value that is high today tends to stay
// high for about tauDays (real daily diagnostics drift in runs, not as independent draws).
import type { Rng } from '../prng.ts';

export class Ar1 {
  private readonly phi: number;
  private readonly innovation: number;
  private x: number;

  constructor(private readonly rng: Rng, readonly sd: number, tauDays: number) {
    this.phi = Math.exp(-1 / tauDays);
    this.innovation = sd * Math.sqrt(1 - this.phi * this.phi);
    this.x = rng.normal(0, sd);
  }

  /** Advances one day and returns the new value. */
  step(): number {
    this.x = this.phi * this.x + this.rng.normal(0, this.innovation);
    return this.x;
  }
}

/** Poisson draw (Knuth); small means only. */
export function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Normal draw redrawn until it lies in [lo, hi]: truncation, not a clamp that piles up at the edge. */
export function truncatedNormal(rng: Rng, mean: number, sd: number, lo: number, hi: number): number {
  for (let i = 0; i < 1000; i++) {
    const x = rng.normal(mean, sd);
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, mean));
}
