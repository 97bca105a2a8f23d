// `npm run admin -- device event ...` and `device events ...`: a device's lifecycle recorded and
// listed from the command line, with the same checks as the API (src/patients/device-events.ts).
// The running service reloads the device's events on its next recovery pass (about a second).
import type { Db } from '../store/db.ts';
import type { Vault } from '../crypto/vault.ts';
import { recordAudit } from '../auth/audit.ts';
import { ServiceError } from '../errors.ts';
import { LIFECYCLE_KINDS } from '../engine/index.ts';
import { patientRef } from '../patients/identity.ts';
import { isDeviceSerial } from '../patients/service.ts';
import { recordDeviceEvent } from '../patients/device-events.ts';
import { presentDeviceEvent } from '../patients/device-events-routes.ts';
import { deviceBySerial, patientSite } from '../store/patients.ts';
import { patientLifecycle } from '../store/lifecycle.ts';
import { formatTable } from './table.ts';

export const DEVICE_EVENT_USAGE = `  device event <serial> <kind> --at <time> [--replaces <serial>] [--leads rv,lv] [--metrics m1,m2]
                                           record a lifecycle event of a patient's device: kind one
                                           of ${LIFECYCLE_KINDS.join(', ')};
                                           --at RFC 3339; a generator_change is recorded on the NEW
                                           serial with --replaces the old one (enrolled to the same
                                           patient); lead_revision needs --leads (ra, rv, lv, shock);
                                           reprogramming takes --leads and/or --metrics
  device events <serial> [--json]          the lifecycle events of the serial's patient's devices`;

export class DeviceEventUsageError extends Error {}

export interface DeviceEventOptions {
  readonly at?: string | undefined;
  readonly replaces?: string | undefined;
  readonly leads?: string | undefined;
  readonly metrics?: string | undefined;
  readonly json: boolean;
}

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== ''));

/** The patient the serial is enrolled to now, with her site. */
async function patientOf(db: Db, serial: string): Promise<{ id: number; siteId: number }> {
  if (!isDeviceSerial(serial)) throw new DeviceEventUsageError(`${JSON.stringify(serial.slice(0, 64))} is not a device serial`);
  const device = await deviceBySerial(db, serial);
  if (!device) throw new Error(`no device ${serial}`);
  if (device.patient_id === null) throw new Error(`device ${serial} is enrolled to nobody: enrol it first (patient enrol)`);
  const p = await patientSite(db, device.patient_id);
  if (!p) throw new Error(`device ${serial}'s patient is gone`);
  return { id: p.id, siteId: p.site_id };
}

export async function runDeviceEventCommand(db: Db, vault: () => Promise<Vault>, positionals: readonly string[], opts: DeviceEventOptions): Promise<number> {
  const [, verb, serial, kind, ...extra] = positionals;
  if (verb === 'events') {
    if (!serial || kind !== undefined) throw new DeviceEventUsageError(DEVICE_EVENT_USAGE);
    const patient = await patientOf(db, serial);
    const events = (await patientLifecycle(db, patient.id)).map(presentDeviceEvent);
    await recordAudit(db, { user: null, action: 'patient.device_events.read', patientId: patient.id, detail: { via: 'admin-cli' } });
    if (opts.json) console.log(JSON.stringify({ patient: patientRef(patient.id), events }, null, 2));
    else {
      const rows = events.map(({ id, at, kind, serial, replaces, leads, metrics, source }) => ({ id, at, kind, serial, replaces, leads, metrics, source }));
      console.log(formatTable(rows, `(no lifecycle events for ${patientRef(patient.id)}'s devices)`));
    }
    return 0;
  }
  if (!serial || !kind || extra.length > 0 || opts.at === undefined) throw new DeviceEventUsageError(DEVICE_EVENT_USAGE);
  const patient = await patientOf(db, kind === 'generator_change' && opts.replaces ? opts.replaces : serial);
  try {
    const recorded = await recordDeviceEvent(db, await vault(), patient, {
      kind, at: opts.at, serial, replaces: opts.replaces, leads: list(opts.leads), metrics: list(opts.metrics),
    }, { by: null, source: 'admin' }, Date.now());
    await recordAudit(db, { user: null, action: 'patient.device_event.create', patientId: patient.id, detail: { event: recorded.id, kind, via: 'admin-cli' } });
    console.log(`${kind} of ${serial} recorded for ${patientRef(patient.id)} (e-${recorded.id}); the service takes it in at its event time`);
    return 0;
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'bad_message') throw new DeviceEventUsageError(`${e.message}\n${DEVICE_EVENT_USAGE}`);
    throw e;
  }
}
