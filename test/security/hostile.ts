import fc from 'fast-check';

// Generators of hostile input shared by the fuzzing tests. Most produce JSON *text*, so
// that tokens JSON.stringify can never write (1e400, -0, lone surrogate escapes, NUL
// escapes, duplicate and __proto__ keys, deep nesting) reach the service's parser.

const DEPTHS = [64, 1_000, 10_000, 40_000];

/** A JSON token that is hostile wherever a value is expected. */
export const hostileToken: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'null', 'true', 'false', '[]', '{}', '""', '0', '-0', '1e400', '-1e400', '1e-400', '9007199254740993', '18446744073709551616',
    '-9007199254740992', '1.7976931348623157e308', '5e-324', `1${'0'.repeat(400)}`, '0.1e1', '"1"', '"NaN"', '"Infinity"',
    '"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"\\udfff"', '"\\ud800\\ud800"', '"\\udc00\\ud800"', '"\\uffff"', '"\\ufeff"',
    '"\u202e"', '"𝕏🫀"', '"Ω\u0301"', '"__proto__"', '"constructor"', '"prototype"', '"toString"',
    '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"\\ud800":1,"\\u0000":2}',
    '{"a":1,"a":2}', '[1,2,3]', '"2026-02-30T00:00:00Z"', '"2026-03-04T02:00:00+99:99"', '"9999-12-31T23:59:59Z"',
    '"0000-01-01T00:00:00Z"', '"2026-03-04T02:00:60Z"', '"MDC_IDC_MSMT_BATTERY_VOLTAGE"', '"721344"', '"heart_rate"',
    `"${'x'.repeat(5000)}"`, '"../../etc/passwd"', "\"'; DROP TABLE readings; --\"", '"%s%n%x"', '"${jndi:ldap://x}"',
  ),
  fc.constantFrom(...DEPTHS).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.constantFrom(...DEPTHS).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.constantFrom(...DEPTHS).map((d) => `${'{"__proto__":'.repeat(d)}{}${'}'.repeat(d)}`),
  fc.double().map((x) => (Number.isFinite(x) ? JSON.stringify(x) : 'null')),
  fc.integer().map(String),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

const validReading = { device: 'FUZZ-1', seq: 1, at: '2026-03-04T02:00:00Z', metric: 'heart_rate', value: 60 };
const READING_FIELDS = Object.keys(validReading) as Array<keyof typeof validReading>;

/** A reading object as text with some fields replaced, removed or joined by hostile keys. */
export const nearValidReading: fc.Arbitrary<string> = fc
  .record({
    replace: fc.dictionary(fc.constantFrom(...READING_FIELDS, 'unit'), hostileToken, { maxKeys: 3 }),
    drop: fc.subarray(READING_FIELDS, { maxLength: 2 }),
    extra: fc.array(fc.tuple(fc.constantFrom('"__proto__"', '"constructor"', '"\\ud800"', '"\\u0000"', '"unit"', '"device"', '""'), hostileToken), { maxLength: 2 }),
    seq: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map(({ replace, drop, extra, seq }) => {
    const parts: string[] = [];
    for (const f of READING_FIELDS) {
      if (drop.includes(f)) continue;
      const value = f === 'seq' ? String(seq) : JSON.stringify(validReading[f]);
      parts.push(`"${f}":${replace[f] ?? value}`);
    }
    if (replace.unit) parts.push(`"unit":${replace.unit}`);
    for (const [k, v] of extra) parts.push(`${k}:${v}`);
    return `{${parts.join(',')}}`;
  });

/** A whole `readings` message (or HTTP body) as text, near valid. */
export const nearValidBatch = (withType: boolean): fc.Arbitrary<string> =>
  fc
    .record({
      id: fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => JSON.stringify(s)) }, hostileToken),
      readings: fc.oneof({ weight: 5, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: nearValidReading }, hostileToken), { minLength: 1, maxLength: 8 }).map((r) => `[${r.join(',')}]`) }, hostileToken),
      type: fc.oneof({ weight: 6, arbitrary: fc.constant('"readings"') }, fc.constant('"status"'), hostileToken),
      extra: fc.option(fc.tuple(fc.constantFrom('"__proto__"', '"constructor"', '"type"', '"readings"', '"id"'), hostileToken)),
    })
    .map(({ id, readings, type, extra }) => {
      const parts = [...(withType ? [`"type":${type}`] : []), `"id":${id}`, `"readings":${readings}`];
      if (extra) parts.push(`${extra[0]}:${extra[1]}`);
      return `{${parts.join(',')}}`;
    });

/** Any JSON value as text, including ones that are not objects. */
export const anyJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.object({ maxDepth: 4, withNullPrototype: false }).map((o) => JSON.stringify(o) ?? 'null'),
  hostileToken,
);

/** Bytes that are not JSON at all, or nearly. */
export const brokenText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '{', '{"type":', '{"type":"readings","id":"x","readings":[', '\u0000', '\ufeff{}', '{}garbage', 'NaN', "{'a':1}", '{"a":1,}'),
  nearValidBatch(true).map((s) => s.slice(0, Math.max(1, s.length - 2))),
);

// HL7 v2: pieces a real message is made of, so random messages reach the parser's and
// mapper's branches (as in test/unit/idco/properties.test.ts).
const hl7Piece = fc.constantFrom(
  '|', '^', '~', '\\', '&', '\\F\\', '\\X0D\\', '\\X\\', '\\Z\\', '\\X00\\', '\\XD800\\', '\r', '\n', '\r\n', '', ' ', '1', '2.95', '-0.5',
  '1e9', '1e400', 'NaN', 'OBX', 'OBR', 'PID', 'MSH', 'NM', 'ST', 'CWE', 'SN', 'DTM', 'ED', 'MDC', '721344', '720899', '721025',
  'MDC_IDC_DEV_SERIAL', 'model:M/serial:S', 'mV', 'kOhm', '20260304020000', '20260304020000+0100', '20261399', 'ORU', 'R01',
  '\u0000', '\ud800', '\u202e', 'é', '8859/1', 'UNICODE UTF-8', '__proto__', 'constructor',
);
const obx = fc
  .record({
    type: fc.constantFrom('NM', 'ST', 'CWE', 'SN', 'DTM', 'ED', ''),
    code: fc.constantFrom('721344', '721280', '722433', '737824', '721025', '720899', '999', '', '__proto__'),
    value: fc.oneof(fc.integer({ min: 0, max: 500_000 }).map((n) => String(n / 100)), fc.double().map(String), hl7Piece, fc.string({ maxLength: 12 })),
    unit: fc.constantFrom('', 'V', 'mV', 'Ohm', 'kOhm', 'ms', '{x}', '%'),
    time: fc.constantFrom('', '20260304020000', 'never', '99999999999999'),
  })
  .map((o) => `OBX|1|${o.type}|${o.code}^^MDC|1|${o.value}|${o.unit}|||||F|||${o.time}`);

export const hl7Message: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(
    fc.constantFrom('MSH|^~\\&|', 'MSH|^~\\&#|', 'MSH#*@!%#', 'MSH|^|', 'MSH|', 'MSH|^~\\&|A|B|C|D|20260304||ORU^R01|1|P|2.5\r'),
    fc.array(hl7Piece, { maxLength: 80 }),
  ).map(([head, parts]) => head + parts.join('')),
  fc.tuple(
    fc.constantFrom('\r', '\n', '\r\n'),
    fc.constantFrom('', '8859/1', 'UNICODE UTF-8', '\u0000'),
    fc.array(fc.oneof({ weight: 4, arbitrary: obx }, fc.string({ maxLength: 20 })), { maxLength: 12 }),
  ).map(([sep, charset, lines]) =>
    [`MSH|^~\\&|A|B|C|D|20260304020000||ORU^R01|FUZZ|P|2.5|||||${charset}`, 'PID|||model:M/serial:FUZZ-HL7^^^MDT', ...lines].join(sep)),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
