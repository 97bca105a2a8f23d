// The implant date an IDCO message gives (MDC_IDC_DEV_IMPLANT_DT) as the device's implant
// lifecycle event (src/engine/lifecycle.ts), so that the engine lets the leads mature before
// it learns their baselines. Recorded once per device, for an enrolled device with no implant
// yet; a later message's other date changes nothing and leaves a quarantine note.
import type { Db } from '../store/db.ts';
import { lifecycleOf, recordLifecycle } from '../store/lifecycle.ts';
import { enrolledBirthDate } from '../store/patients.ts';
import { isUniqueViolation } from '../store/readings.ts';
import type { IdcoImplant } from './idco/implant.ts';

export type ImplantOutcome =
  /** Recorded; these devices' engine states are to be rebuilt. */
  | { readonly kind: 'recorded'; readonly devices: readonly number[] }
  /** Not a device of the gateway's site, or not enrolled to a patient: nothing to do. */
  | { readonly kind: 'not_enrolled' }
  /** The device's implant is already recorded, on the same day. */
  | { readonly kind: 'same' }
  /** The device's implant is already recorded, on another day (epoch ms of the recorded one). */
  | { readonly kind: 'conflict'; readonly recorded: number }
  /** The device replaced another (a generator change is recorded): its start is known. */
  | { readonly kind: 'replaced' }
  /** The implant date is later than now. */
  | { readonly kind: 'future' }
  /** A lead was implanted before the device: a generator replacement or an upgrade. */
  | { readonly kind: 'older_leads' };

/** Clock skew allowed, as for an event a clinician records. */
const FUTURE_SLACK_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);
const showDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Record the implant of the enrolled device `serial` of the site from an IDCO message's
 * implant date, unless one is recorded already, the device replaced another, a lead is older
 * than the device, or the date is in the future. `now` is epoch ms.
 */
export async function recordIdcoImplant(db: Db, siteId: number, serial: string, implant: IdcoImplant, now: number): Promise<ImplantOutcome> {
  if (implant.at > now + FUTURE_SLACK_MS) return { kind: 'future' };
  const device = await deviceOf(db, siteId, serial);
  if (!device) return { kind: 'not_enrolled' };
  if (device.implantAt !== null) return compared(device.implantAt, implant);
  if (device.replaces) return { kind: 'replaced' };
  // The leads' own implant dates: one more than a day before the device's means this
  // generator went onto leads already in place, whose baselines are mature. An implant
  // would make every lead settle again; the clinic records what happened instead.
  if (implant.leadDates.some((t) => t < implant.at - DAY_MS)) return { kind: 'older_leads' };
  try {
    const r = await recordLifecycle(db, { deviceId: device.id, kind: 'implant', at: implant.at, source: 'idco', by: null });
    return { kind: 'recorded', devices: r.devices };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // Another message (or a clinician) recorded it meanwhile.
    const again = await deviceOf(db, siteId, serial);
    return again?.implantAt != null ? compared(again.implantAt, implant) : { kind: 'same' };
  }
}

function compared(recorded: number, implant: IdcoImplant): ImplantOutcome {
  return utcDay(recorded) === utcDay(implant.at) ? { kind: 'same' } : { kind: 'conflict', recorded };
}

/** The site's device of this serial when it is enrolled to a patient, with its implant and whether it replaced another. */
async function deviceOf(db: Db, siteId: number, serial: string): Promise<{ id: number; implantAt: number | null; replaces: boolean } | undefined> {
  const enrolled = await enrolledBirthDate(db, siteId, serial);
  if (!enrolled) return undefined;
  const events = (await lifecycleOf(db, [enrolled.device_id])).get(enrolled.device_id)?.events ?? [];
  return {
    id: enrolled.device_id,
    implantAt: events.find((e) => e.kind === 'implant')?.at ?? null,
    replaces: events.some((e) => e.kind === 'generator_change'),
  };
}

/** Why an implant date was not recorded, for the quarantine: null when there is nothing to say. */
export function implantNote(outcome: ImplantOutcome, implant: IdcoImplant): { readonly reason: string; readonly detail: string } | null {
  const date = showDay(implant.at);
  switch (outcome.kind) {
    case 'recorded': case 'not_enrolled': case 'same': return null;
    case 'conflict':
      return { reason: 'implant_conflict', detail: `implant date ${date} differs from the implant recorded for the device (${showDay(outcome.recorded)}); the recorded one is kept` };
    case 'replaced':
      return { reason: 'implant_not_recorded', detail: `implant date ${date}: the device replaced another (a generator change is recorded), so no implant event is recorded` };
    case 'future':
      return { reason: 'implant_not_recorded', detail: `implant date ${date} is in the future; no implant event is recorded` };
    case 'older_leads':
      return { reason: 'implant_not_recorded', detail: `implant date ${date}: a lead was implanted before the device (a generator replacement or an upgrade), so no implant event is recorded; record the generator change or lead revision on the patient page` };
  }
}
