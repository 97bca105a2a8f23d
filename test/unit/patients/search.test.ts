import { describe, expect, it } from 'vitest';
import { nameWords, parsePatientQuery, QueryError, serialPrefixPattern } from '../../../src/patients/search.ts';

describe('nameWords', () => {
  it('folds case and accents, splits at spaces and dashes, drops other punctuation, each word once', () => {
    expect(nameWords('Zoë Anne', 'Smith-Jones')).toEqual(['zoe', 'anne', 'smith', 'jones']);
    expect(nameWords("O'Brien")).toEqual(['obrien']);
    expect(nameWords('Łukasz', 'Nørgaard')).toEqual(['lukasz', 'norgaard']);
    expect(nameWords('Strauß', 'ÆLFRED')).toEqual(['strauss', 'aelfred']);
    expect(nameWords('José María', 'García–Márquez')).toEqual(['jose', 'maria', 'garcia', 'marquez']);
    expect(nameWords('Anne', 'anne')).toEqual(['anne']);
    expect(nameWords('  ', '--', "'")).toEqual([]);
  });

  it('gives a name typed differently the same words', () => {
    expect(nameWords('JOSE', 'garcia marquez')).toEqual(nameWords('José', 'García-Márquez'));
  });
});

describe('parsePatientQuery', () => {
  it('reads 10 digits (spaces allowed) as an NHS number', () => {
    expect(parsePatientQuery('943 476 5919')).toEqual({ kind: 'nhsNumber', nhsNumber: '9434765919' });
    expect(parsePatientQuery(' 9434765919 ')).toEqual({ kind: 'nhsNumber', nhsNumber: '9434765919' });
  });

  it('refuses 10 digits with a wrong check digit and part of a spaced NHS number', () => {
    expect(() => parsePatientQuery('9434765918')).toThrow(/check digit/);
    expect(() => parsePatientQuery('943 476')).toThrow(QueryError);
  });

  it('reads one word with a digit as a serial', () => {
    expect(parsePatientQuery('MDT-PZC6')).toEqual({ kind: 'serial', serial: 'MDT-PZC6' });
    expect(parsePatientQuery('12345')).toEqual({ kind: 'serial', serial: '12345' });
    expect(parsePatientQuery('A_1')).toEqual({ kind: 'serial', serial: 'A_1' });
  });

  it('reads letters as name words, and one word that could be a serial as both', () => {
    expect(parsePatientQuery('grace okafor')).toEqual({ kind: 'name', words: ['grace', 'okafor'] });
    expect(parsePatientQuery("O'Brien")).toEqual({ kind: 'name', words: ['obrien'] });
    expect(parsePatientQuery('Okafor')).toEqual({ kind: 'nameOrSerial', words: ['okafor'], serial: 'Okafor' });
    expect(parsePatientQuery('LC-SILENT')).toEqual({ kind: 'nameOrSerial', words: ['lc', 'silent'], serial: 'LC-SILENT' });
  });

  it('is no search when blank', () => {
    expect(parsePatientQuery('')).toBeNull();
    expect(parsePatientQuery('   ')).toBeNull();
  });

  it('refuses what cannot be a search, with a message saying why', () => {
    expect(() => parsePatientQuery('x'.repeat(101))).toThrow(/at most 100/);
    expect(() => parsePatientQuery('smith\u0000')).toThrow(/control/);
    expect(() => parsePatientQuery('!!!')).toThrow(/no letters/);
    // Hostile text with letters is only words: it reaches the database as keyed tokens.
    expect(parsePatientQuery("'; DROP TABLE patients; --")).toEqual({ kind: 'name', words: ['drop', 'table', 'patients'] });
    expect(() => parsePatientQuery('smith 12')).toThrow(/device serial/);
    expect(() => parsePatientQuery('a b c d e f g')).toThrow(/at most 6 words/);
    expect(() => parsePatientQuery('%')).toThrow(QueryError);
  });
});

describe('serialPrefixPattern', () => {
  it('matches the start, case folded, with LIKE wildcards escaped', () => {
    expect(serialPrefixPattern('MDT-1')).toBe('mdt-1%');
    expect(serialPrefixPattern('A_1')).toBe('a\\_1%');
  });
});
