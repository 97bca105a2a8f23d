import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isValidBirthDate, isValidNhsNumber, parsePatientRef, patientRef } from '../../../src/patients/identity.ts';

describe('NHS numbers', () => {
  it('accepts numbers whose check digit is right, with or without spaces', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('943 476 5919')).toBe(true);
    expect(isValidNhsNumber('4010232137')).toBe(true);
  });

  it('refuses a wrong check digit, a check value of 10, and anything not 10 digits', () => {
    expect(isValidNhsNumber('9434765918')).toBe(false);
    // Weighted sum 10 → check digit 1: ...01 is valid, ...00 is not.
    expect(isValidNhsNumber('1000000001')).toBe(true);
    expect(isValidNhsNumber('1000000000')).toBe(false);
    // Weighted sum 1·7 + 8·2 = 23 ≡ 1 (mod 11) → check value 10: no valid number starts so.
    expect([...'0123456789'].some((d) => isValidNhsNumber(`000100008${d}`))).toBe(false);
    for (const bad of ['', '943476591', '94347659190', '94347659a9', '-943476591']) expect(isValidNhsNumber(bad)).toBe(false);
  });

  it('changing any one digit of a valid number makes it invalid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const digits = [...'9434765919'].map(Number);
        digits[pos] = (digits[pos]! + delta) % 10;
        return !isValidNhsNumber(digits.join(''));
      }),
    );
  });
});

describe('patient references and birth dates', () => {
  it('round-trips p-N and refuses other forms', () => {
    expect(parsePatientRef(patientRef(17))).toBe(17);
    for (const bad of ['17', 'p-0', 'p-', 'p-1x', 'P-1', "p-1' OR 1=1", 'p-12345678901']) expect(parsePatientRef(bad)).toBeNull();
  });

  it('accepts real past dates from 1900 only', () => {
    const today = new Date('2026-11-30T12:00:00Z');
    expect(isValidBirthDate('1950-03-04', today)).toBe(true);
    expect(isValidBirthDate('2026-11-30', today)).toBe(true);
    for (const bad of ['2026-12-01', '1899-12-31', '1950-02-30', '1950-3-4', '04/03/1950', '']) expect(isValidBirthDate(bad, today)).toBe(false);
  });
});
