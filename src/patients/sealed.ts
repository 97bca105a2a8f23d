// A patient's identifiers as stored: sealed under the patient's own data key, the NHS
// number also as a blind index. The one place that knows which column holds what.
import type { Vault } from '../crypto/vault.ts';
import type { SealedPatientColumns } from '../store/patients.ts';

/** The authenticated field name of each sealed column (a value moved to another column does not open). */
export const FIELD = {
  familyName: 'patients.family_name',
  givenName: 'patients.given_name',
  nhsNumber: 'patients.nhs_number',
  dateOfBirth: 'patients.date_of_birth',
} as const;

export interface PatientIdentity {
  readonly familyName: string;
  readonly givenName: string;
  readonly nhsNumber: string | null;
  /** YYYY-MM-DD */
  readonly dateOfBirth: string;
}

export interface SealedIdentity {
  readonly family_name_sealed: string | null;
  readonly given_name_sealed: string | null;
  readonly nhs_number_sealed: string | null;
  readonly date_of_birth_sealed: string | null;
}

/** The blind index a normalised NHS number is found by. */
export const nhsNumberIndex = (vault: Vault, nhs: string): string => vault.blindIndex(FIELD.nhsNumber, nhs);

export function sealIdentity(vault: Vault, key: { readonly id: number; readonly key: Buffer }, p: PatientIdentity): SealedPatientColumns {
  return {
    data_key_id: key.id,
    family_name_sealed: vault.seal(key, FIELD.familyName, p.familyName),
    given_name_sealed: vault.seal(key, FIELD.givenName, p.givenName),
    nhs_number_sealed: p.nhsNumber === null ? null : vault.seal(key, FIELD.nhsNumber, p.nhsNumber),
    nhs_number_index: p.nhsNumber === null ? null : nhsNumberIndex(vault, p.nhsNumber),
    date_of_birth_sealed: vault.seal(key, FIELD.dateOfBirth, p.dateOfBirth),
  };
}

const required = (vault: Vault, field: string, v: string | null): string => {
  if (v === null) throw new Error(`${field} is not sealed (the service seals plain identifiers at start)`);
  return vault.open(field, v);
};

/** The rows with their identifiers opened (one query for the data keys not in memory). */
export async function openIdentities<T extends SealedIdentity>(vault: Vault, rows: readonly T[]): Promise<Array<T & PatientIdentity>> {
  await vault.prepare(rows.flatMap((r) => [r.family_name_sealed, r.given_name_sealed, r.nhs_number_sealed, r.date_of_birth_sealed]));
  return rows.map((r) => ({
    ...r,
    familyName: required(vault, FIELD.familyName, r.family_name_sealed),
    givenName: required(vault, FIELD.givenName, r.given_name_sealed),
    nhsNumber: r.nhs_number_sealed === null ? null : vault.open(FIELD.nhsNumber, r.nhs_number_sealed),
    dateOfBirth: required(vault, FIELD.dateOfBirth, r.date_of_birth_sealed),
  }));
}

/** Whole years between a birth date and a day (both YYYY-MM-DD), as PostgreSQL's age() counts them. */
export function ageInYears(dateOfBirth: string, on: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
