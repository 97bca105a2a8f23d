import { createHash } from 'node:crypto';

/**
 * The seq of a reading derived from an HL7 IDCO observation: a 52-bit hash of the
 * observation's stable key, negated. Gateways' seqs are >= 0, so the two can never
 * collide, and a gateway resuming from `status` never sees these. The same
 * message posted twice yields the same seqs, so it stores nothing new.
 */
export function idcoSeq(key: string): number {
  const h = createHash('sha256').update(key, 'utf8').digest();
  const n = h.readUIntBE(0, 6) * 16 + (h[6]! >> 4); // 52 bits
  return -(n + 1);
}
