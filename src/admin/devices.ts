// `npm run admin -- site policy ...` and `device ...`: how unknown serials are registered,
// the serials held for an admin, and moves of a device between sites.
import type { Db } from '../store/db.ts';
import type { RegistrationPolicy } from '../store/schema.ts';
import { recordAudit } from '../auth/audit.ts';
import { isDeviceSerial } from '../patients/service.ts';
import { patientRef } from '../patients/identity.ts';
import { deviceSiteBySerial } from '../store/devices.ts';
import { deviceBySerial } from '../store/patients.ts';
import { formatTable } from './table.ts';
import {
  decidePending, deviceSiteHistory, insertDevice, listPending, moveDeviceSite, pendingForSerial, setRegistrationPolicy, siteByCode, type PendingRow,
} from '../store/registration.ts';

export const DEVICE_USAGE = `  site policy <code> auto|pending         how the site's gateways register a serial unknown to the
                                           service: auto (on its first reading, the default) or
                                           pending (its readings are refused as forbidden_device and
                                           quarantined until an admin approves the serial)
  device pending [--site <code>] [--json]  serials held for approval, oldest first
  device approve <serial> [--site <code>]  register a held serial to the site that sent it (--site
                                           when several sites hold it); its gateways then resend
  device reject <serial> [--site <code>]   keep refusing a held serial (approve still possible)
  device move <serial> --site <code>       move a device, its readings, alerts and engine state to
                                           another site (refused while enrolled to a patient)
  device history <serial> [--json]         the device's site and its moves`;

/** Bad input: the CLI prints it with the usage and exits 2. */
export class DeviceUsageError extends Error {}

const VIA = 'admin-cli';
const SITE_CODE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A value as typed, quoted and cut short, so that hostile input stays one readable line. */
const shown = (s: string): string => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

function serialArg(s: string | undefined, usage: string): string {
  if (s === undefined) throw new DeviceUsageError(usage);
  if (!isDeviceSerial(s)) throw new DeviceUsageError(`${shown(s)} is not a device serial: 1-64 characters of A-Z a-z 0-9 . _ : -\n  ${usage}`);
  return s;
}

function siteArg(s: string | undefined, usage: string): string | undefined {
  if (s !== undefined && !SITE_CODE.test(s)) throw new DeviceUsageError(`${shown(s)} is not a site code: 1-32 characters of a-z 0-9 _ -\n  ${usage}`);
  return s;
}

async function siteOrRefuse(db: Db, code: string) {
  const site = await siteByCode(db, code);
  if (!site) throw new Error(`no site "${code}" (site list shows the sites)`);
  return site;
}

export interface DeviceOptions {
  readonly site: string | undefined;
  readonly json: boolean;
}

/** Runs a `site policy` or `device ...` command; null when `positionals` is none of them. */
export async function runDeviceCommand(db: Db, positionals: readonly string[], opts: DeviceOptions): Promise<number | null> {
  const [noun, verb, arg, ...extra] = positionals;
  const command = `${noun} ${verb ?? ''}`.trim();
  const usage = DEVICE_USAGE.split('\n').map((l) => l.trim().split(/\s{2,}/)[0]!).find((l) => l.startsWith(`${command} `)) ?? command;
  if (command !== 'site policy' && noun !== 'device') return null;
  if (extra.length > (command === 'site policy' ? 1 : 0)) throw new DeviceUsageError(`too many arguments\n  ${usage}`);
  const out = (rows: readonly Record<string, unknown>[], lines: () => string) => console.log(opts.json ? JSON.stringify(rows, null, 2) : lines());
  switch (command) {
    case 'site policy': {
      const code = siteArg(arg, usage);
      const policy = extra[0];
      if (!code || (policy !== 'auto' && policy !== 'pending')) throw new DeviceUsageError(usage);
      const previous = await setPolicy(db, code, policy);
      console.log(`site "${code}": registration policy ${policy} (was ${previous})`);
      return 0;
    }
    case 'device pending': {
      if (arg !== undefined) throw new DeviceUsageError(`too many arguments\n  ${usage}`);
      const code = siteArg(opts.site, usage);
      const siteId = code === undefined ? null : (await siteOrRefuse(db, code)).id;
      const rows = await listPending(db, siteId);
      // The gateway's internal id means nothing on a terminal; --json keeps it.
      out(rows, () => formatTable(rows.map((r) => ({ serial: r.serial, site: r.site, first_seen_at: r.first_seen_at, last_seen_at: r.last_seen_at, readings: r.readings })), '(no serials pending)'));
      return 0;
    }
    case 'device approve':
    case 'device reject': {
      const serial = serialArg(arg, usage);
      const code = siteArg(opts.site, usage);
      if (code !== undefined) await siteOrRefuse(db, code);
      const decided = await decide(db, serial, code, verb === 'approve' ? 'approved' : 'rejected');
      console.log(verb === 'approve'
        ? `device ${serial} registered to site "${decided}"; its gateways' resent readings are now stored`
        : `device ${serial} rejected at site "${decided}"; its readings stay refused (forbidden_device)`);
      return 0;
    }
    case 'device move': {
      const serial = serialArg(arg, usage);
      const code = siteArg(opts.site, usage);
      if (code === undefined) throw new DeviceUsageError(`--site <code> is required\n  ${usage}`);
      const from = await moveDevice(db, serial, code);
      console.log(`device ${serial} moved from site "${from}" to site "${code}"; only "${code}"'s gateways may send it now`);
      return 0;
    }
    case 'device history': {
      const serial = serialArg(arg, usage);
      const device = await deviceBySerial(db, serial);
      const site = await deviceSiteBySerial(db, serial);
      if (!device || !site) throw new Error(`no device ${serial} at any site`);
      const moves = await deviceSiteHistory(db, device.id);
      if (opts.json) console.log(JSON.stringify({ serial, site: site.code, moves }, null, 2));
      else if (moves.length === 0) console.log(`device ${serial}: site "${site.code}" (never moved)`);
      else console.log(`device ${serial}: site "${site.code}"\n\n${formatTable(moves, '')}`);
      return 0;
    }
    default:
      throw new DeviceUsageError(`unknown command "${positionals.join(' ')}"`);
  }
}


async function setPolicy(db: Db, code: string, policy: RegistrationPolicy): Promise<RegistrationPolicy> {
  return db.transaction().execute(async (trx) => {
    const site = await siteOrRefuse(trx, code);
    await setRegistrationPolicy(trx, site.id, policy);
    await recordAudit(trx, { user: null, action: 'site.policy', detail: { siteId: site.id, policy, previous: site.registration_policy, via: VIA } });
    return site.registration_policy;
  });
}

/** The one pending registration the decision is about; refuses when none or several fit. */
function choose(rows: readonly PendingRow[], serial: string, code: string | undefined): PendingRow {
  const fit = code === undefined ? rows : rows.filter((r) => r.code === code);
  const where = code === undefined ? '' : ` at site "${code}"`;
  if (fit.length === 0) throw new Error(`no serial ${serial} waiting for a decision${where} (device pending lists them)`);
  if (fit.length > 1) throw new Error(`serial ${serial} is held at sites ${fit.map((r) => `"${r.code}"`).join(', ')}: say which with --site <code>`);
  return fit[0]!;
}

/** Approve or reject a held serial; answers the site's code. */
async function decide(db: Db, serial: string, code: string | undefined, status: 'approved' | 'rejected'): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const all = await pendingForSerial(trx, serial);
    const row = choose(all.filter((r) => (status === 'approved' ? r.status !== 'approved' : r.status === 'pending')), serial, code);
    const existing = await deviceSiteBySerial(trx, serial);
    if (existing) throw new Error(`device ${serial} is registered already, to site "${existing.code}": nothing to decide (device move moves it)`);
    let deviceId: number | undefined;
    if (status === 'approved') {
      deviceId = await insertDevice(trx, serial, row.site_id, row.first_gateway_id);
      if (deviceId === undefined) throw new Error(`device ${serial} was registered meanwhile: try again`);
    }
    await decidePending(trx, row.id, status);
    await recordAudit(trx, {
      user: null, action: status === 'approved' ? 'device.approve' : 'device.reject', deviceId, detail: { siteId: row.site_id, pendingId: row.id, via: VIA },
    });
    return row.code;
  });
}

/** Move the device to the site `code`; answers the code of the site it left. */
async function moveDevice(db: Db, serial: string, code: string): Promise<string> {
  const target = await siteOrRefuse(db, code);
  return db.transaction().execute(async (trx) => {
    const device = await deviceBySerial(trx, serial, { lock: true });
    const from = await deviceSiteBySerial(trx, serial);
    if (!device || !from) throw new Error(`no device ${serial} at any site (a device exists once a gateway has sent a reading of it, or once approved)`);
    if (device.site_id === target.id) throw new Error(`device ${serial} is at site "${code}" already`);
    if (device.patient_id !== null) {
      const ref = patientRef(device.patient_id);
      throw new Error(
        `device ${serial} is enrolled to patient ${ref} of site "${from.code}": a device moves only while enrolled to nobody. ` +
          `Unenrol it first (an admin: DELETE /v1/patients/${ref}/devices/${serial}; its enrolment history is kept), then move it`,
      );
    }
    await moveDeviceSite(trx, { deviceId: device.id, serial, fromSiteId: device.site_id, toSiteId: target.id, byUserId: null, via: VIA });
    await recordAudit(trx, { user: null, action: 'device.move', deviceId: device.id, detail: { fromSiteId: device.site_id, toSiteId: target.id, via: VIA } });
    return from.code;
  });
}
