// An IHE PCD-09 ORU^R01 message to readings of the vocabulary, plus what could not be read.
import { deviceId, manufacturerCode, parsePid3Identifier } from './device.ts';
import { readHeader, type MessageHeader } from './header.ts';
import {
  parseHl7, rawField, readable, repetitions, segmentText, value,
  type Encoding, type Hl7Message, type Hl7ParseErrorCode, type Segment,
} from './hl7.ts';
import { isEncapsulated, readObservationValue, resolveCode, type ObxMeaning, type ValueFailure } from './observation.ts';
import { parseHl7Time, toRfc3339 } from './timestamp.ts';
import { clinicalTerm, collectClinical, type ClinicalRecords } from './clinical.ts';
import { periodEnd, type Period, type StatPeriod } from './statistics.ts';
import { readImplant, type IdcoImplant, type ObxNote } from './implant.ts';

export interface IdcoReading {
  readonly device: string;
  /** Event time, RFC 3339 in UTC. */
  readonly at: string;
  /** Metric name from the vocabulary. */
  readonly metric: string;
  /** In the vocabulary unit of the metric. */
  readonly value: number;
  readonly unit: string;
  /** Stable identity of the observation: the same message posted twice gives the same keys. */
  readonly key: string;
}

export type UnmappedReason = 'unknown_code' | ValueFailure | 'not_final' | 'no_time' | 'superseded';

/** An OBX that became no reading; the service quarantines these. */
export interface UnmappedObservation {
  /** OBX-1 set id. */
  readonly setId: string;
  /** OBX-3 as written (escapes decoded). */
  readonly code: string;
  /** OBX-4 sub-id. */
  readonly subId: string;
  /** OBX-2 value type. */
  readonly valueType: string;
  readonly reason: UnmappedReason;
  readonly detail: string;
  /** The OBX segment as received; encapsulated data is elided and long text cut. */
  readonly raw: string;
}

export interface DeviceInfo {
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  /** MDC_IDC_DEV_TYPE as written, e.g. `753666^MDC_IDC_ENUM_DEVICE_TYPE_ICD^MDC`. */
  readonly type: string;
}

export interface IdcoMessage {
  readonly header: MessageHeader;
  readonly device: string;
  readonly deviceInfo: DeviceInfo;
  /** MDC_IDC_SESS_DTM of the interrogation (RFC 3339), when the message has one. */
  readonly sessionTime: string | null;
  /**
   * The patient's birth date the sender gives (PID-7, YYYY-MM-DD), to check against the
   * patient the device is enrolled to; null when absent or not a date.
   */
  readonly patientBirthDate: string | null;
  readonly readings: readonly IdcoReading[];
  /** Episodes, "recent" counters, settings and lead status (src/ingest/idco/clinical.ts). */
  readonly clinical: ClinicalRecords;
  /** When the device reported (session time, else MSH-7), epoch ms; null when neither is known. */
  readonly reportTime: number | null;
  /**
   * The device's implant date (MDC_IDC_DEV_IMPLANT_DT) when it is a plausible one, with the
   * leads' implant dates (implant.ts); null when the message has none or an implausible one.
   */
  readonly implant: IdcoImplant | null;
  readonly unmapped: readonly UnmappedObservation[];
  /** Tolerated oddities, one readable sentence each. */
  readonly problems: readonly string[];
}

export type IdcoErrorCode = Hl7ParseErrorCode | 'unsupported_message' | 'no_device';

export interface IdcoError {
  readonly code: IdcoErrorCode;
  readonly message: string;
}

export type IdcoResult =
  | { readonly ok: true; readonly message: IdcoMessage }
  | { readonly ok: false; readonly error: IdcoError; readonly header: MessageHeader | null; readonly problems: readonly string[] };

export interface IdcoOptions {
  /**
   * Offset from UTC, in minutes, of times that carry none, when MSH-7 does not carry one
   * either. Default 0 (UTC).
   */
  readonly defaultOffsetMinutes?: number;
}

const MAX_RAW_CHARS = 16_384;
const NOT_FINAL = new Set(['X', 'D', 'W', 'N']);

interface Obx {
  readonly seg: Segment;
  readonly group: number;
  readonly meaning: ObxMeaning;
}

function rawForQuarantine(seg: Segment, enc: Encoding): string {
  const type = value(seg, enc, 2).trim().toUpperCase();
  const fields = [...seg.fields];
  if (isEncapsulated(type) && fields[5] !== undefined) {
    fields[5] = `<${type} data of ${fields[5].length} characters not kept>`;
  }
  const text = segmentText({ ...seg, fields }, enc);
  return text.length <= MAX_RAW_CHARS ? text : `${text.slice(0, MAX_RAW_CHARS)}<${text.length - MAX_RAW_CHARS} more characters not kept>`;
}

/** An OBX as unmapped entries and quarantine notes name it. */
function obxNote(seg: Segment, enc: Encoding): ObxNote {
  return { setId: value(seg, enc, 1).trim(), code: readable(seg, enc, 3), subId: value(seg, enc, 4).trim(), valueType: value(seg, enc, 2).trim().toUpperCase(), raw: rawForQuarantine(seg, enc) };
}

function errorResult(code: IdcoErrorCode, message: string, header: MessageHeader | null, problems: readonly string[]): IdcoResult {
  return { ok: false, error: { code, message }, header, problems };
}

/** Map a parsed ORU^R01 message. Never throws. */
export function mapIdco(msg: Hl7Message, options: IdcoOptions = {}): IdcoResult {
  const problems = [...msg.problems];
  const header = readHeader(msg);
  if (!header) return errorResult('not_hl7', 'not an HL7 v2 message: it must start with an MSH segment', null, problems);
  if (header.messageCode.toUpperCase() !== 'ORU' || header.triggerEvent.toUpperCase() !== 'R01') {
    return errorResult('unsupported_message',
      `message type ${JSON.stringify(header.messageType)} is not supported: send IDCO results as ORU^R01 (IHE PCD-09)`,
      header, problems);
  }
  const enc = msg.encoding;

  // Times without an offset are the sender's local time (HL7 v2.5 2.A.22); MSH-7 may say which zone that is.
  const fallbackOffset = options.defaultOffsetMinutes ?? 0;
  const msh7 = parseHl7Time(header.time, fallbackOffset);
  if (!msh7) problems.push(`MSH-7 ${JSON.stringify(header.time.slice(0, 40))} is not an HL7 date-time`);
  const offset = msh7?.explicitOffset ? msh7.offsetMinutes : fallbackOffset;
  const timeOf = (text: string): number | undefined => parseHl7Time(text, offset)?.ms;

  // First pass: the message's identity and session times, which OBX anywhere in the message may carry.
  const obxs: Obx[] = [];
  const clinicalObxs: Array<Parameters<typeof collectClinical>[0][number]> = [];
  const groupTimes: (number | undefined)[] = [undefined];
  const sessionTimes: (number | undefined)[] = [undefined];
  // Statistics periods (MDC_IDC_STAT_*_DTM_START/_END) per OBR group; group 0 is before any OBR.
  const periods: Array<Partial<Record<StatPeriod, Period>>> = [{}];
  const implantSegs: Segment[] = [];
  const leadImplantSegs: Segment[] = [];
  const found = { serial: '', mfg: [] as string[], model: '', type: '' };
  let pid = { serial: '', model: '', authority: '' };
  let patientBirthDate: string | null = null;
  let group = 0;
  for (const seg of msg.segments) {
    if (seg.id === 'OBR') {
      group++;
      groupTimes[group] = timeOf(value(seg, enc, 7));
      sessionTimes[group] = undefined;
      periods[group] = {};
    } else if (seg.id === 'PID') {
      if (pid.serial === '') pid = readPid(seg, enc) ?? pid;
      patientBirthDate ??= birthDate(value(seg, enc, 7));
    } else if (seg.id === 'OBX') {
      // Episodes, counters, settings and lead status are records of their own, not readings.
      const term = clinicalTerm(seg, enc);
      if (term) {
        clinicalObxs.push({ seg, term });
        if (term.ref === 'MDC_IDC_DEV_IMPLANT_DT') implantSegs.push(seg);
        else if (term.ref === 'MDC_IDC_LEAD_IMPLANT_DT') leadImplantSegs.push(seg);
        continue;
      }
      const code = resolveCode(seg, enc);
      if (code.note) problems.push(`OBX ${value(seg, enc, 1)}: ${code.note}`);
      obxs.push({ seg, group, meaning: code.meaning });
      if (code.meaning.kind === 'period') {
        const v = value(seg, enc, 5).trim();
        const t = timeOf(v);
        const p = (periods[group]![code.meaning.period] ??= {});
        if (t === undefined) problems.push(`OBX ${value(seg, enc, 1)}: statistics period ${code.meaning.edge} ${JSON.stringify(v.slice(0, 40))} is not an HL7 date-time`);
        else p[code.meaning.edge] ??= t;
        continue;
      }
      if (code.meaning.kind !== 'role') continue;
      const v = value(seg, enc, 5).trim();
      switch (code.meaning.role) {
        case 'device_serial': noteConflict(found.serial, v, 'serial', problems); found.serial ||= v; break;
        case 'device_model': found.model ||= v; break;
        case 'device_type': found.type ||= readable(seg, enc, 5); break;
        case 'device_mfg':
          if (found.mfg.length === 0) found.mfg = [1, 2, 4, 5].map((c) => value(seg, enc, 5, c));
          break;
        case 'session_time': {
          const t = timeOf(v);
          if (t === undefined) problems.push(`OBX ${value(seg, enc, 1)}: session time ${JSON.stringify(v)} is not an HL7 date-time`);
          else sessionTimes[group] ??= t;
          break;
        }
        case 'session_type': break;
      }
    }
  }

  noteConflict(found.serial, pid.serial, 'serial (OBX and PID-3)', problems);
  const manufacturer = manufacturerCode(found.mfg) || manufacturerCode([pid.authority]);
  const serial = found.serial || pid.serial;
  const id = deviceId(manufacturer, serial);
  if (!id.ok) return errorResult('no_device', `the message cannot be used: ${id.reason}`, header, problems);
  const device = id.id;
  if (manufacturer === '') problems.push(`no manufacturer found; the device id is the serial alone (${device})`);

  const messageSession = sessionTimes.find((t) => t !== undefined);
  const reportAt = messageSession ?? msh7?.ms;
  // A statistic's period: its group's, else the first of the message; its own kind's, else the
  // message-wide MDC_IDC_STAT_DTM_* one.
  const periodOf = (g: number, kind: StatPeriod): Period | undefined => {
    const find = (k: StatPeriod): Period | undefined => periods[g]?.[k] ?? periods.find((p) => p[k] !== undefined)?.[k];
    const own = find(kind);
    return own?.end !== undefined ? own : (find('stat') ?? own);
  };
  const periodProblems = new Set<string>();
  const present = new Set(obxs.flatMap(({ meaning: m }) => (m.kind === 'metric' && m.stat ? [m.stat.ref] : [])));
  const readings: IdcoReading[] = [];
  const unmapped: UnmappedObservation[] = [];
  const keyCounts = new Map<string, number>();
  for (const { seg, group: g, meaning } of obxs) {
    if (meaning.kind === 'role' || meaning.kind === 'period') continue;
    const setId = value(seg, enc, 1).trim();
    const subId = value(seg, enc, 4).trim();
    const type = value(seg, enc, 2).trim().toUpperCase();
    const skip = (reason: UnmappedReason, detail: string): void => {
      unmapped.push({ setId, code: readable(seg, enc, 3), subId, valueType: type, reason, detail, raw: rawForQuarantine(seg, enc) });
    };
    if (isEncapsulated(type)) {
      problems.push(`OBX ${setId}: ${type} data (${rawField(seg, 5).length} characters) is not stored`);
      skip('encapsulated_data', `${type} value (document or reference) is not a reading`);
      continue;
    }
    if (meaning.kind === 'unknown') {
      skip('unknown_code', 'the vocabulary has no metric for this code');
      continue;
    }
    const status = value(seg, enc, 11).trim().toUpperCase();
    if (NOT_FINAL.has(status)) {
      skip('not_final', `result status ${status} carries no usable value`);
      continue;
    }
    const stat = meaning.stat;
    if (stat?.fallbackFor !== undefined && present.has(stat.fallbackFor)) {
      skip('superseded', `${stat.fallbackFor} in the same message is the ${meaning.metric.name} reading`);
      continue;
    }
    const outcome = readObservationValue(seg, enc, meaning.metric, stat);
    if (!outcome.ok) {
      skip(outcome.reason, outcome.detail);
      continue;
    }
    if (outcome.note) problems.push(`OBX ${setId}: ${outcome.note}`);
    // A statistic happened over its period, so it takes the period's end; a measurement, the session's time.
    let statEnd: number | undefined;
    if (stat) {
      const { end, problem } = periodEnd(periodOf(g, stat.period), reportAt);
      if (problem !== undefined && !periodProblems.has(problem)) {
        periodProblems.add(problem);
        problems.push(problem);
      }
      statEnd = end;
    }
    const ms = statEnd ?? sessionTimes[g] ?? messageSession ?? timeOf(value(seg, enc, 14)) ?? groupTimes[g] ?? msh7?.ms;
    const at = ms === undefined ? undefined : toRfc3339(ms);
    if (at === undefined) {
      skip('no_time', 'no session time, OBX-14, OBR-7 or MSH-7 gives this observation a time');
      continue;
    }
    const base = `${device}|${at}|${meaning.metric.name}|${subId}`;
    const n = (keyCounts.get(base) ?? 0) + 1;
    keyCounts.set(base, n);
    readings.push({
      device, at, metric: meaning.metric.name, value: outcome.value, unit: meaning.metric.unit,
      key: n === 1 ? base : `${base}#${n}`,
    });
  }

  const sessionAt = messageSession === undefined ? undefined : toRfc3339(messageSession);
  const implantRead = readImplant(implantSegs, leadImplantSegs, enc, offset, reportAt);
  problems.push(...implantRead.problems);
  for (const r of implantRead.rejected) unmapped.push({ ...obxNote(r.seg, enc), reason: 'bad_value', detail: r.detail });
  const given = implantRead.found;
  const implant: IdcoImplant | null = given && { at: given.at, dateOnly: given.dateOnly, obx: obxNote(given.seg, enc), leadDates: implantRead.leadDates };
  const clinical = collectClinical(clinicalObxs, enc, timeOf);
  problems.push(...clinical.problems);
  for (const r of clinical.rejected) unmapped.push({ ...obxNote(r.seg, enc), reason: r.reason, detail: r.detail });
  return {
    ok: true,
    message: {
      header, device,
      deviceInfo: { manufacturer, model: found.model || pid.model, serial, type: found.type },
      sessionTime: sessionAt ?? null,
      patientBirthDate,
      readings, clinical, reportTime: reportAt ?? null, implant, unmapped, problems,
    },
  };
}

function readPid(seg: Segment, enc: Encoding): { serial: string; model: string; authority: string } | undefined {
  const reps = repetitions(rawField(seg, 3), enc).length;
  for (let r = 1; r <= reps; r++) {
    const parsed = parsePid3Identifier(value(seg, enc, 3, 1, 1, r));
    if (parsed && parsed.serial !== '') return { ...parsed, authority: value(seg, enc, 3, 4, 1, r) };
  }
  return undefined;
}

/** PID-7's date (YYYYMMDD, then any time) as YYYY-MM-DD, or null when it is not a real date. */
export function birthDate(text: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1850 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function noteConflict(first: string, other: string, what: string, problems: string[]): void {
  if (first !== '' && other !== '' && first !== other) {
    const show = (s: string): string => JSON.stringify(s.slice(0, 64));
    problems.push(`device ${what} differs: ${show(first)} and ${show(other)}; the first was used`);
  }
}

/** Parse and map in one call: what a transport hands a received message body to. */
export function readIdco(input: string | Uint8Array, options: IdcoOptions = {}): IdcoResult {
  const parsed = parseHl7(input);
  if (!parsed.ok) return errorResult(parsed.error.code, parsed.error.message, null, []);
  return mapIdco(parsed.message, options);
}
