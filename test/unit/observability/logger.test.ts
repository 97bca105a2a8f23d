import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, loggerOptions, prettyOptions, serializeError } from '../../../src/observability/logger.ts';

/** A logger built as the service builds it, writing its lines here. */
function capture(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const log = pino(loggerOptions('info'), { write: (l: string) => void out.push(l) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A pg DatabaseError as the driver builds it from a server's ErrorResponse. */
function uniqueViolation(): pg.DatabaseError {
  const e = new pg.DatabaseError('duplicate key value violates unique constraint "devices_serial_key"', 120, 'error');
  return Object.assign(e, {
    severity: 'ERROR',
    code: '23505',
    detail: 'Key (serial)=(MDT-PATIENT-SERIAL-77) already exists.',
    where: 'SQL statement "INSERT INTO devices (serial) VALUES (\'MDT-PATIENT-SERIAL-77\')"',
    schema: 'public',
    table: 'devices',
    constraint: 'devices_serial_key',
  });
}

describe('{ err } in a log line', () => {
  it('carries a pg error\'s message, code and stack, and what failed, but not the row\'s values', () => {
    const { log, lines } = capture();
    log.error({ err: uniqueViolation() }, 'insert failed');
    const [line] = lines();
    const err = line!.err as Record<string, unknown>;
    expect(err).toMatchObject({
      type: 'DatabaseError',
      message: 'duplicate key value violates unique constraint "devices_serial_key"',
      code: '23505',
      severity: 'ERROR',
      table: 'devices',
      constraint: 'devices_serial_key',
    });
    expect(err.stack).toMatch(/^error: duplicate key value violates unique constraint/);
    expect(err.stack).toContain('logger.test.ts');
    expect(err).not.toHaveProperty('detail');
    expect(err).not.toHaveProperty('where');
    expect(JSON.stringify(line)).not.toContain('MDT-PATIENT-SERIAL-77');
  });

  it('drops those fields from a cause and from each error of an AggregateError too', () => {
    const wrapped = new Error('saving the batch failed', { cause: uniqueViolation() });
    const both = new AggregateError([uniqueViolation(), new Error('connect ECONNREFUSED 127.0.0.1:5432')], 'every attempt failed');
    const a = serializeError(wrapped);
    expect(a.message).toBe('saving the batch failed: duplicate key value violates unique constraint "devices_serial_key"');
    expect(a.stack).toContain('caused by: error: duplicate key value');
    const b = serializeError(both);
    expect((b.aggregateErrors as Array<Record<string, unknown>>).map((e) => e.code)).toEqual(['23505', undefined]);
    expect(JSON.stringify([a, b])).not.toContain('MDT-PATIENT-SERIAL-77');
  });

  it('keeps a value that is not an Error to its message (and code), not dressed up as an empty Object', () => {
    expect(serializeError({ message: 'terminating connection', code: '57P01' })).toEqual({ message: 'terminating connection', code: '57P01' });
    expect(serializeError('socket hang up')).toEqual({ message: 'socket hang up' });
    const { log, lines } = capture();
    log.warn({ err: { message: 'x' } }, 'plain');
    expect(lines()[0]!.err).toEqual({ message: 'x' });
  });

  it('is what an error given alone to the logger is written as', () => {
    const { log, lines } = capture();
    log.error(uniqueViolation());
    expect(lines()[0]!.err).toMatchObject({ type: 'DatabaseError', code: '23505' });
  });
});

describe('redaction', () => {
  it('keeps a count under devices or patients, and censors identifiers under every identifying name', () => {
    const { log, lines } = capture();
    log.info({ devices: 12, patients: 3, nested: { devices: 0 } }, 'counts');
    log.info({ devices: ['MDT-1', 'MDT-2'], patients: 'Ada Brown', nested: { devices: 'MDT-3' } }, 'not counts');
    log.info({ device: 4412, patient: 17, patientId: 17, nhsNumber: 9990000018, name: 'Ada Brown', dateOfBirth: '1950-01-01', serial: 'MDT-1', email: 'a@b.example', key: 'gk_x', token: 't', password: 'p' }, 'identifiers');
    const [counts, notCounts, ids] = lines();
    expect(counts).toMatchObject({ devices: 12, patients: 3, nested: { devices: 0 } });
    expect(notCounts).toMatchObject({ devices: '[redacted]', patients: '[redacted]', nested: { devices: '[redacted]' } });
    // A number under a singular name is one device's or patient's id, not a count.
    for (const field of ['device', 'patient', 'patientId', 'nhsNumber', 'name', 'dateOfBirth', 'serial', 'email', 'key', 'token', 'password']) {
      expect(ids![field], field).toBe('[redacted]');
    }
  });

  it('censors a negative or fractional number under a count name (not a count)', () => {
    const { log, lines } = capture();
    log.info({ devices: -1, patients: 1.5 }, 'odd');
    expect(lines()[0]).toMatchObject({ devices: '[redacted]', patients: '[redacted]' });
  });
});

describe('the log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat(null, true)).toBe('pretty');
    expect(chooseLogFormat(null, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes pretty lines synchronously, so the last line before exit is not lost', () => {
    expect(prettyOptions(true)).toMatchObject({ sync: true, colorize: true, destination: 1 });
    expect(prettyOptions(false).colorize).toBe(false);
  });
});
