import { isIP } from 'node:net';

/**
 * TRUST_PROXY: a hop count (1-10) or a list of proxy addresses/CIDRs. Never "true": trusting
 * every peer's X-Forwarded-For would let any client choose its address and walk around the
 * sign-in limit. Returns the value, and what is wrong with it when something is.
 */
export function parseTrustProxy(raw: string | null): { value: string | number | null; problem?: string } {
  if (raw === null) return { value: null };
  if (/^\d+$/.test(raw.trim())) {
    const hops = Number(raw);
    return hops < 1 || hops > 10 ? { value: hops, problem: `a hop count must be 1..10, got ${hops}` } : { value: hops };
  }
  const entries = raw.split(',').map((e) => e.trim());
  const bad = badAddresses(entries);
  const value = entries.join(',');
  if (bad.length === 0) return { value };
  return { value, problem: `expected proxy addresses or CIDRs (e.g. 10.0.0.5,10.1.0.0/16) or a hop count, not ${bad.map((b) => `"${b}"`).join(', ')}` };
}

/** Entries that are neither an IP address nor a CIDR (address/bits). */
export function badAddresses(entries: readonly string[]): string[] {
  return entries.filter((e) => {
    const [address, bits, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return true;
    if (bits === undefined) return false;
    return !/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128);
  });
}
