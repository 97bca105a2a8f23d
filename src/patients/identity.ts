// Pure checks and forms of patient identity. Nothing here touches the database.

/** An NHS number: 10 digits whose last is the modulus-11 check digit of the first nine. */
export function isValidNhsNumber(s: string): boolean {
  const digits = s.replace(/\s+/g, '');
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

/** Spaces removed: `943 476 5919` → `9434765919`. */
export function normaliseNhsNumber(s: string): string {
  return s.replace(/\s+/g, '');
}

/** `p-17`: the public form of a patient's internal id. */
export function patientRef(id: number): string {
  return `p-${id}`;
}

export function parsePatientRef(s: string): number | null {
  const m = /^p-(\d{1,9})$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? n : null;
}

/** A calendar date YYYY-MM-DD that exists, not in the future, not before 1900. */
export function isValidBirthDate(s: string, today: Date): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) return false;
  return d.getUTCFullYear() >= 1900 && d.getTime() <= today.getTime();
}
