// The implant date an IDCO message gives for its device (MDC_IDC_DEV_IMPLANT_DT, older
// MDC_IDC_PG_IMPLANT_DT) and for its leads (MDC_IDC_LEAD_IMPLANT_DT), checked for
// plausibility. The service records the device's implant as a lifecycle event from it
// (src/ingest/idco-lifecycle.ts). Pure.
import { value, type Encoding, type Segment } from './hl7.ts';
import { EARLIEST_PLAUSIBLE, PAST_REPORT_SLACK_MS } from './statistics.ts';
import { parseHl7Time } from './timestamp.ts';

/** The OBX an implant date came from, as a quarantine note names it. */
export interface ObxNote {
  readonly setId: string;
  readonly code: string;
  readonly subId: string;
  readonly valueType: string;
  readonly raw: string;
}

export interface IdcoImplant {
  /** Epoch ms: the date at 00:00 UTC, or the date-time as written when it carries a time. */
  readonly at: number;
  /** Whether OBX-5 gave a date alone (no time of day). */
  readonly dateOnly: boolean;
  readonly obx: ObxNote;
  /** The leads' implant dates (MDC_IDC_LEAD_IMPLANT_DT), epoch ms, the plausible ones. */
  readonly leadDates: readonly number[];
}

export interface ImplantReading {
  readonly found: { readonly at: number; readonly dateOnly: boolean; readonly seg: Segment } | null;
  readonly leadDates: readonly number[];
  readonly problems: readonly string[];
  /** Implant dates that cannot be: listed as unmapped (`bad_value`) with the reason. */
  readonly rejected: ReadonlyArray<{ readonly seg: Segment; readonly detail: string }>;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * An implant date as written: `YYYYMMDD` (with or without an offset) is that day at 00:00
 * UTC; with a time of day it is read like any HL7 time (in `offsetMinutes` when it carries no
 * offset). Less than a day's precision is not an implant date.
 */
export function implantTime(text: string, offsetMinutes: number): { at: number; dateOnly: boolean } | undefined {
  const t = text.trim();
  const dateOnly = /^(\d{8})(?:[+-]\d{4})?$/.exec(t);
  if (dateOnly) {
    const ms = parseHl7Time(dateOnly[1]!, 0)?.ms;
    return ms === undefined ? undefined : { at: ms, dateOnly: true };
  }
  if (!/^\d{10}/.test(t)) return undefined;
  const ms = parseHl7Time(t, offsetMinutes)?.ms;
  return ms === undefined ? undefined : { at: ms, dateOnly: false };
}

/** Why an implant date cannot be, or undefined when it can: before 1990, or after the report. */
function implausible(at: number, reportAt: number | undefined): string | undefined {
  if (at < EARLIEST_PLAUSIBLE) return `is before 1990`;
  if (reportAt !== undefined && at > reportAt + PAST_REPORT_SLACK_MS) return 'is after the interrogation that reports it';
  return undefined;
}

/**
 * Read the device's implant date (the first OBX of it; a second, different one is reported)
 * and the leads' implant dates. `reportAt` is when the device reported (session time, else
 * MSH-7), when known.
 */
export function readImplant(device: readonly Segment[], leads: readonly Segment[], enc: Encoding, offsetMinutes: number, reportAt: number | undefined): ImplantReading {
  const problems: string[] = [];
  const rejected: Array<{ seg: Segment; detail: string }> = [];
  let found: ImplantReading['found'] = null;
  const first = device[0];
  if (first) {
    const text = value(first, enc, 5).trim();
    const t = implantTime(text, offsetMinutes);
    const why = t === undefined ? undefined : implausible(t.at, reportAt);
    if (t === undefined) rejected.push({ seg: first, detail: `implant date ${JSON.stringify(text.slice(0, 40))} is not a date (YYYYMMDD); no implant event is recorded` });
    else if (why !== undefined) rejected.push({ seg: first, detail: `implant date ${day(t.at)} ${why}; no implant event is recorded` });
    else found = { ...t, seg: first };
    const others = device.slice(1).map((s) => value(s, enc, 5).trim()).filter((v) => v !== text);
    if (others.length > 0) problems.push(`the message gives ${others.length + 1} different implant dates; the first (${JSON.stringify(text.slice(0, 40))}) was used`);
  }
  const leadDates: number[] = [];
  for (const seg of leads) {
    const text = value(seg, enc, 5).trim();
    const t = implantTime(text, offsetMinutes);
    const why = t === undefined ? 'is not a date' : implausible(t.at, reportAt);
    if (t === undefined || why !== undefined) problems.push(`OBX ${value(seg, enc, 1).trim()}: lead implant date ${JSON.stringify(text.slice(0, 40))} ${why}; not used`);
    else leadDates.push(t.at);
  }
  return { found, leadDates, problems, rejected };
}
