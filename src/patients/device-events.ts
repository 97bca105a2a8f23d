// Recording a device lifecycle event for a patient (the API and the admin CLI): the checks a
// careful clinic would make, then the store (src/store/lifecycle.ts). The engine takes the
// event in at its event time (src/engine/lifecycle.ts).
import { ServiceError } from '../errors.ts';
import { lookupMetric } from '../domain/vocabulary.ts';
import { LEADS, LIFECYCLE_KINDS, type Lead, type LifecycleKind } from '../engine/index.ts';
import type { Vault } from '../crypto/vault.ts';
import type { Db } from '../store/db.ts';
import { patientDevice, recordLifecycle } from '../store/lifecycle.ts';
import { isUniqueViolation } from '../store/readings.ts';
import { enrolDevice, isDeviceSerial } from './service.ts';

const DAY = 86_400_000;
/** How far back an event may be recorded: a device's whole service life. */
export const MAX_PAST_YEARS = 20;
/** Clock skew allowed for an event recorded "now". */
const FUTURE_SLACK_MS = 5 * 60_000;

export interface DeviceEventInput {
  readonly kind: string;
  /** RFC 3339. */
  readonly at: string;
  /** The device it happened to; for a generator change, the new generator. */
  readonly serial: string;
  /** generator_change only: the generator replaced. */
  readonly replaces?: string | undefined;
  readonly leads?: readonly string[] | undefined;
  readonly metrics?: readonly string[] | undefined;
}

export interface DeviceEventActor {
  readonly by: number | null;
  readonly source: 'clinician' | 'admin';
}

/**
 * Check and record the event for the patient; answers its id and the devices whose engine
 * state it changes. A generator change registers the new serial at the patient's site if no
 * gateway has sent it yet and enrols it to the patient with the old generator's type.
 */
export async function recordDeviceEvent(
  db: Db, vault: Vault, patient: { id: number; siteId: number }, b: DeviceEventInput, actor: DeviceEventActor, now: number,
): Promise<{ id: number; devices: number[] }> {
  if (!(LIFECYCLE_KINDS as readonly string[]).includes(b.kind)) throw new ServiceError('bad_message', `kind must be one of ${LIFECYCLE_KINDS.join(', ')}`);
  const kind = b.kind as LifecycleKind;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(b.at) ? Date.parse(b.at) : NaN;
  if (!Number.isFinite(at) || at > now + FUTURE_SLACK_MS) throw new ServiceError('bad_message', 'at must be an RFC 3339 time, now or in the past');
  if (at < now - MAX_PAST_YEARS * 366 * DAY) throw new ServiceError('bad_message', `at must be within the last ${MAX_PAST_YEARS} years`);
  if (!isDeviceSerial(b.serial)) throw new ServiceError('bad_message', 'serial must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  if ((b.replaces !== undefined) !== (kind === 'generator_change')) throw new ServiceError('bad_message', 'replaces is required for a generator_change, and only for it');
  const leads = b.leads ?? [];
  if (leads.some((l) => !(LEADS as readonly string[]).includes(l)) || new Set(leads).size !== leads.length) {
    throw new ServiceError('bad_message', `leads must be distinct, of ${LEADS.join(', ')}`);
  }
  if (kind === 'lead_revision' && leads.length === 0) throw new ServiceError('bad_message', 'a lead_revision names the leads revised');
  if ((kind === 'generator_change' || kind === 'explant') && b.leads) throw new ServiceError('bad_message', `leads are not for a ${kind}`);
  if (b.metrics && kind !== 'reprogramming') throw new ServiceError('bad_message', 'metrics are for a reprogramming only');
  const metrics = [...new Set((b.metrics ?? []).map((m) => {
    const def = lookupMetric(m);
    if (!def) throw new ServiceError('bad_message', 'metrics must be names from the metric vocabulary');
    return def.name;
  }))];

  let deviceId: number;
  let previousDeviceId: number | undefined;
  if (kind === 'generator_change') {
    const replaces = b.replaces!;
    if (!isDeviceSerial(replaces) || replaces === b.serial) throw new ServiceError('bad_message', 'replaces must be another device serial than serial');
    const old = await patientDevice(db, patient.id, replaces);
    if (!old) throw new ServiceError('not_found', 'replaces is not one of the patient’s devices');
    previousDeviceId = old.id;
    const existing = await patientDevice(db, patient.id, b.serial);
    deviceId = existing?.id ?? (await enrolDevice(db, vault, patient, b.serial, { by: actor.by, deviceType: old.deviceType, createDevice: true })).deviceId;
  } else {
    const device = await patientDevice(db, patient.id, b.serial);
    if (!device) throw new ServiceError('not_found', 'serial is not one of the patient’s devices');
    deviceId = device.id;
  }
  try {
    return await recordLifecycle(db, {
      deviceId, kind, at, ...(leads.length > 0 ? { leads: leads as Lead[] } : {}), ...(metrics.length > 0 ? { metrics } : {}),
      ...(previousDeviceId !== undefined ? { previousDeviceId } : {}), source: actor.source, by: actor.by,
    });
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new ServiceError('conflict', kind === 'generator_change'
        ? 'one of these generators has been replaced already, or replaces another already'
        : `the device has an ${kind} recorded already`);
    }
    throw e;
  }
}
