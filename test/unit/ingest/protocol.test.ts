import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseMessage, parseRfc3339, validateReading, isRejection } from '../../../src/ingest/protocol.ts';
import { METRICS } from '../../../src/domain/metrics.ts';

const limits = { maxBatchReadings: 5000 };
const ctx = { now: Date.parse('2026-03-05T00:00:00Z'), futureToleranceMs: 24 * 3600_000 };
const ok = { device: 'MDT-PZC600368S', seq: 1842, at: '2026-03-04T02:00:00Z', metric: 'thoracic_impedance', value: 67.4 };

describe('validateReading', () => {
  it('accepts the contract example and resolves the metric', () => {
    expect(validateReading(ok, 0, ctx)).toEqual({
      index: 0, device: ok.device, seq: 1842, at: Date.parse(ok.at), metricId: 5, metric: 'thoracic_impedance', value: 67.4,
    });
  });

  it('resolves MDC reference ids and numeric codes to the metric name', () => {
    for (const key of ['battery_voltage', 'MDC_IDC_MSMT_BATTERY_VOLTAGE', '721344']) {
      const r = validateReading({ ...ok, metric: key, value: 2.9 }, 0, ctx);
      expect(isRejection(r) ? r : r.metric).toBe('battery_voltage');
    }
  });

  it.each([
    [{ ...ok, device: undefined }, 'bad_reading'],
    [{ ...ok, device: '' }, 'bad_reading'],
    [{ ...ok, device: 'x'.repeat(65) }, 'bad_reading'],
    [{ ...ok, device: 'MDT/1' }, 'bad_reading'],
    [{ ...ok, seq: 1.5 }, 'bad_reading'],
    [{ ...ok, seq: -1 }, 'bad_reading'],
    [{ ...ok, seq: 2 ** 53 }, 'bad_reading'],
    [{ ...ok, seq: '7' }, 'bad_reading'],
    [{ ...ok, at: '2026-03-04T02:00:00' }, 'bad_reading'],
    [{ ...ok, at: '2026-02-30T02:00:00Z' }, 'bad_reading'],
    [{ ...ok, at: 1772589600000 }, 'bad_reading'],
    [{ ...ok, value: '67.4' }, 'bad_reading'],
    [{ ...ok, value: null }, 'bad_reading'],
    [{ ...ok, metric: 7 }, 'bad_reading'],
    [{ ...ok, unit: 5 }, 'bad_reading'],
    [{ ...ok, metric: 'weight' }, 'unknown_metric'],
    [{ ...ok, unit: 'kOhm' }, 'unit_mismatch'],
    [{ ...ok, value: 9.99 }, 'out_of_range'],
    [{ ...ok, value: 200.01 }, 'out_of_range'],
    [{ ...ok, at: '2026-03-06T00:00:01Z' }, 'future_timestamp'],
    ['a string', 'bad_reading'],
    [null, 'bad_reading'],
    [[ok], 'bad_reading'],
  ])('rejects %j as %s', (raw, code) => {
    const r = validateReading(raw, 3, ctx);
    expect(isRejection(r) && r.code).toBe(code);
    expect(isRejection(r) && r.index).toBe(3);
  });

  it('accepts the range boundaries, seq 0 and 2^53-1, and exactly 24 h ahead', () => {
    for (const m of METRICS) {
      for (const value of [m.validMin, m.validMax]) {
        expect(isRejection(validateReading({ ...ok, metric: m.name, value }, 0, ctx))).toBe(false);
      }
    }
    expect(isRejection(validateReading({ ...ok, seq: 0 }, 0, ctx))).toBe(false);
    expect(isRejection(validateReading({ ...ok, seq: 2 ** 53 - 1 }, 0, ctx))).toBe(false);
    expect(isRejection(validateReading({ ...ok, at: '2026-03-06T00:00:00Z' }, 0, ctx))).toBe(false);
    expect(isRejection(validateReading({ ...ok, unit: 'Ohm' }, 0, ctx))).toBe(false);
  });

  it('explains out_of_range with the value, metric and range', () => {
    const r = validateReading({ ...ok, metric: 'rv_lead_impedance', value: 90000 }, 17, ctx);
    expect(r).toEqual({ index: 17, code: 'out_of_range', message: 'value 90000 for rv_lead_impedance is outside 0..10000 Ohm' });
  });
});

describe('parseRfc3339', () => {
  it('honours offsets and fractions', () => {
    expect(parseRfc3339('2026-03-04T03:00:00+01:00')).toBe(Date.parse('2026-03-04T02:00:00Z'));
    expect(parseRfc3339('2026-03-04t02:00:00.123456z')).toBe(Date.parse('2026-03-04T02:00:00.123Z'));
    expect(parseRfc3339('2024-02-29T00:00:00Z')).not.toBeNull();
  });
  it.each(['2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-04T24:00:00Z', '2026-03-04T02:00:00+25:00', '2026-03-04', ''])('rejects %s', (s) => {
    expect(parseRfc3339(s)).toBeNull();
  });
});

describe('parseMessage', () => {
  it('parses readings and status messages', () => {
    expect(parseMessage(JSON.stringify({ type: 'readings', id: 'a', readings: [ok] }), limits)).toEqual({ type: 'readings', id: 'a', readings: [ok] });
    expect(parseMessage(JSON.stringify({ type: 'status', id: 'q', devices: ['A', 'B'] }), limits)).toEqual({ type: 'status', id: 'q', devices: ['A', 'B'] });
  });

  it.each([
    ['{', 'bad_json', null],
    ['"text"', 'bad_message', null],
    ['{"type":"readings","readings":[{}]}', 'bad_message', null],
    ['{"type":"readings","id":"' + 'x'.repeat(129) + '","readings":[{}]}', 'bad_message', null],
    ['{"type":"readings","id":"a","readings":"x"}', 'bad_message', 'a'],
    ['{"type":"readings","id":"a"}', 'bad_message', 'a'],
    ['{"type":"status","id":"a","devices":[]}', 'bad_message', 'a'],
    ['{"type":"ping","id":"a"}', 'unknown_type', 'a'],
    ['{"id":"a"}', 'bad_message', 'a'],
  ])('answers %s with %s', (text, code, id) => {
    expect(parseMessage(text, limits)).toMatchObject({ type: 'error', code, id });
  });

  it('enforces the batch limit exactly', () => {
    const batch = (n: number) => JSON.stringify({ type: 'readings', id: 'a', readings: Array.from({ length: n }, () => ok) });
    expect(parseMessage(batch(5000), limits).type).toBe('readings');
    expect(parseMessage(batch(5001), limits)).toMatchObject({ code: 'bad_message' });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ type: 'readings', id: 'f', readings: [v] }))), (text) => {
        const m = parseMessage(text, limits);
        if (m.type === 'readings') for (const [i, r] of m.readings.entries()) validateReading(r, i, ctx);
      }),
      { numRuns: 2000 },
    );
  });
});
