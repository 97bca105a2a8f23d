import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from '../store/open.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { isRole } from '../auth/users.ts';
import { createPatient, enrolDevice } from '../patients/service.ts';
import { parsePatientRef, patientRef } from '../patients/identity.ts';
import { listPatients, patientSite } from '../store/patients.ts';
import { siteIdByCode } from '../store/sites.ts';
import { createGateway, createSite, createUser, disableUser, listGateways, listQuarantine, listSites, listUsers, revoke } from './commands.ts';
import { verifyAuditChain } from './audit-verify.ts';
import { explainEnrolment } from './enrolment.ts';
import { IdentityUsageError, readPatientIdentity, type PatientIdentity } from './identity-input.ts';
import { formatTable } from './table.ts';
import { KEYS_USAGE, keysNew, keysRotate, keysStatus } from './keys.ts';
import { DEVICE_USAGE, DeviceUsageError, runDeviceCommand } from './devices.ts';
import { DEVICE_EVENT_USAGE, DeviceEventUsageError, runDeviceEventCommand } from './device-events.ts';
import { PARTITIONS_USAGE, PartitionsUsageError, runPartitionsCommand } from './partitions.ts';
import { OUTBOX_USAGE, OutboxUsageError, runOutboxCommand } from './outbox.ts';
import { openVault } from '../crypto/open.ts';
import { openIdentities } from '../patients/sealed.ts';
import { indexUnindexedNames, NAME_INDEX_VERSION } from '../patients/name-tokens.ts';
import { unindexedCount } from '../store/patient-names.ts';
import type { Vault } from '../crypto/vault.ts';
import { errorMessage } from '../util/error-message.ts';
import { printExportKey, readPassword, UsageError } from './cli-io.ts';

const USAGE = `Usage: npm run admin -- <command>

  site create <code> --name <name>        create a site (clinic or trial site)
  site list [--json]
  gateway create --site <code> --name <n>  issue a gateway key (printed once)
  gateway list [--json]
  gateway revoke <id>                      revoke a key; its open sockets close (1008)
  quarantine list [--limit N] [--site <code>] [--code <reason>] [--json]
                                           rejected readings, newest first (--json: each
                                           reading in full, as received)
  user create <email> --name <name> --role clinician|analyst|admin
      [--site <code>]... --password-stdin  create a user; the password (12+ characters)
                                           is read from stdin, never from the command line
  user disable <email>                     disable a user and end their sessions
  user list [--json]
  patient create --site <code> [--identity-file FILE | --identity-file -] [--sex female|male|other|unknown]
                                           register a patient; prints its id (p-N). The identity
                                           is never taken from the command line (ps and shell
                                           history show it): FILE or stdin (-) holds JSON
                                           {"familyName", "givenName", "dateOfBirth": "YYYY-MM-DD",
                                           "nhsNumber"?, "sex"?}; without --identity-file, on a
                                           terminal, each field is asked for. --family --given
                                           --dob [--nhs] are refused unless
                                           --allow-argv-identifiers (then with a warning)
  patient enrol <p-N> <device serial> [--type pacemaker|icd|crt_d|crt_p|loop_recorder] [--create-device] [--correction]
                                           link a device to a patient of its site (p-N as printed
                                           by patient create); with --create-device, register a
                                           device no gateway has sent a reading of yet;
                                           --correction: its enrolment to another patient was a
                                           mistake, and all its history moves to this one
  patient list [--site <code>] [--json]
  patients reindex [--batch N]             make the name-search tokens of patients that have none
                                           (registered before the name index); the service does
                                           the same at start, so this only shortens that start
${DEVICE_USAGE}
${DEVICE_EVENT_USAGE}
${KEYS_USAGE}
${PARTITIONS_USAGE}
${OUTBOX_USAGE}
  audit verify [--json]                    check the audit log's hash chain: OK with the row
                                           count and head hash, or the first broken row (exit 1)
  export-key generate                      print a new random export key (EXPORT_KEY) on stdout;
                                           needs no database

Connects to DATABASE_URL, or to the embedded PostgreSQL under DATA_DIR
(started for the command if the service is not running).`;

const PATIENT_CREATE_USAGE = 'patient create --site <code> [--identity-file FILE | --identity-file -] [--sex <sex>]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      // Repeatable for `user create`; the other commands take one.
      site: { type: 'string', multiple: true },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      code: { type: 'string' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      family: { type: 'string' },
      given: { type: 'string' },
      dob: { type: 'string' },
      nhs: { type: 'string' },
      'identity-file': { type: 'string' },
      'allow-argv-identifiers': { type: 'boolean', default: false },
      sex: { type: 'string' },
      type: { type: 'string' },
      'create-device': { type: 'boolean', default: false },
      correction: { type: 'boolean', default: false },
      file: { type: 'string' },
      batch: { type: 'string', default: '500' },
      at: { type: 'string' },
      replaces: { type: 'string' },
      leads: { type: 'string' },
      metrics: { type: 'string' },
      ahead: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      months: { type: 'string' },
      'quarantine-days': { type: 'string' },
      into: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [noun, verb, arg] = positionals;
  const site = values.site?.at(-1);
  if (values.help || !noun) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  // Before loadConfig: the key is most needed when the one configured is refused.
  if (noun === 'export-key') {
    if (verb !== 'generate' || arg) throw new UsageError('export-key generate');
    printExportKey();
    return 0;
  }
  // Read before the database is opened: a refusal or a prompt need not wait for it.
  let identity: PatientIdentity | null = null;
  if (noun === 'patient' && verb === 'create') {
    if (!site) throw new UsageError(PATIENT_CREATE_USAGE);
    identity = await readPatientIdentity({
      identityFile: values['identity-file'],
      argv: { family: values.family, given: values.given, dob: values.dob, nhs: values.nhs },
      allowArgv: values['allow-argv-identifiers'],
      sex: values.sex,
      stdin: process.stdin,
      stderr: process.stderr,
    }).catch((e: unknown) => {
      throw e instanceof IdentityUsageError ? new UsageError(`${e.message}\n  ${PATIENT_CREATE_USAGE}`) : e;
    });
  }
  const config = loadConfig();
  const log = pino({ level: 'warn' }, pino.destination(2));
  if (noun === 'keys' && verb === 'new') {
    const id = keysNew(config, values.file);
    console.log(`master key "${id}" added to ${values.file ?? config.keys.masterKeyFile} as the current one; now run: npm run admin -- keys rotate`);
    return 0;
  }
  const database = await openDatabase(config, log);
  try {
    await migrateToLatest(database.db);
    const db = database.db;
    let opened: Vault | null = null;
    const vault = async () => (opened ??= await openVault(db, config.keys, log));
    // JSON with its own types (arrays, null) or an aligned table; `empty` says there is nothing.
    const out = (rows: readonly Record<string, unknown>[], empty: string) =>
      console.log(values.json ? JSON.stringify(rows, null, 2) : formatTable(rows, empty));
    switch (`${noun} ${verb ?? ''}`.trim()) {
      case 'site create': {
        if (!arg || !values.name) throw new UsageError('site create <code> --name <name>');
        const site = await createSite(db, arg, values.name);
        console.log(`site "${site.code}" created (id ${site.id})`);
        return 0;
      }
      case 'site list':
        out(await listSites(db), '(no sites)');
        return 0;
      case 'gateway create': {
        if (!site || !values.name) throw new UsageError('gateway create --site <code> --name <name>');
        const gw = await createGateway(db, site, values.name);
        if (values.json) console.log(JSON.stringify(gw));
        else {
          console.log(`gateway ${gw.id} "${gw.name}" created for site "${gw.site}".`);
          console.log(`key (shown once, store it now): ${gw.key}`);
        }
        return 0;
      }
      case 'gateway list':
        out(await listGateways(db), '(no gateways)');
        return 0;
      case 'gateway revoke': {
        const id = Number(arg);
        if (!arg || !Number.isInteger(id)) throw new UsageError('gateway revoke <id>');
        await revoke(db, id);
        console.log(`gateway ${id} revoked`);
        return 0;
      }
      case 'quarantine list': {
        const limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit takes 1 to 10000');
        const rows = await listQuarantine(db, { limit, site, code: values.code });
        out(values.json ? rows : rows.map((r) => ({ ...r, raw: JSON.stringify(r.raw).slice(0, 80) })), '(no quarantined entries)');
        return 0;
      }
      case 'user create': {
        const usage = 'user create <email> --name <name> --role clinician|analyst|admin [--site <code>]... --password-stdin';
        if (!arg || !values.name || !values.role) throw new UsageError(usage);
        if (!isRole(values.role)) throw new UsageError(`--role takes clinician, analyst or admin\n  ${usage}`);
        if (!values['password-stdin']) throw new UsageError(`the password is read from stdin: pass --password-stdin\n  ${usage}`);
        const password = await readPassword();
        const user = await createUser(db, { email: arg, name: values.name, role: values.role, sites: values.site ?? [], password });
        if (values.json) console.log(JSON.stringify(user));
        else console.log(`user ${user.id} "${user.email}" (${user.role}) created; sites: ${user.sites.join(', ') || 'none'}`);
        return 0;
      }
      case 'user disable': {
        if (!arg) throw new UsageError('user disable <email>');
        const changed = await disableUser(db, arg);
        console.log(changed ? `user "${arg}" disabled; their sessions are ended` : `user "${arg}" was disabled already`);
        return 0;
      }
      case 'user list':
        out(await listUsers(db), '(no users)');
        return 0;
      case 'patient create': {
        if (!site || !identity) throw new UsageError(PATIENT_CREATE_USAGE);
        const id = await createPatient(db, await vault(), { site, ...identity }, Date.now());
        console.log(values.json ? JSON.stringify({ id: patientRef(id) }) : `patient ${patientRef(id)} created`);
        return 0;
      }
      case 'patient enrol': {
        const serial = positionals[3];
        const usage = 'patient enrol <p-N> <device serial> [--type <type>] [--create-device] [--correction]';
        const id = arg ? parsePatientRef(arg) : null;
        if (id === null || !serial) throw new UsageError(usage);
        await explainEnrolment(db, id, serial, values['create-device']);
        const p = await patientSite(db, id);
        if (!p) throw new Error('no result');
        const { correctionOf } = await enrolDevice(db, await vault(), { id: p.id, siteId: p.site_id }, serial, {
          createDevice: values['create-device'],
          deviceType: values.type,
          correction: values.correction,
        });
        const moved = correctionOf.length > 0 ? ` (a correction: its history moved from ${correctionOf.map(patientRef).join(', ')})` : '';
        console.log(`device ${serial} enrolled to ${patientRef(p.id)}${moved}`);
        return 0;
      }
      case 'patient list': {
        const siteId = site ? await siteIdByCode(db, site) : undefined;
        if (site && siteId === undefined) throw new Error(`no site "${site}"`);
        const rows = await openIdentities(await vault(), await listPatients(db, { siteIds: siteId !== undefined ? [siteId] : null, limit: 100_000 }));
        out(rows.map((r) => ({ id: patientRef(r.id), site: r.site, name: `${r.givenName} ${r.familyName}`, dob: r.dateOfBirth, nhs: r.nhsNumber, devices: r.devices, risk: r.risk_status })), '(no patients)');
        return 0;
      }
      case 'patients reindex':
      case 'patient reindex': {
        const batch = Number(values.batch);
        if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError('patients reindex [--batch N], N from 1 to 10000');
        const done = await indexUnindexedNames(db, await vault(), batch, (n) => { if (!values.json) process.stderr.write(`indexed ${n}\n`); });
        const left = await unindexedCount(db, NAME_INDEX_VERSION);
        console.log(values.json ? JSON.stringify({ indexed: done, left }) : `${done} patient${done === 1 ? '' : 's'} indexed for name search; ${left} left`);
        return 0;
      }
      case 'audit verify': {
        const report = await verifyAuditChain(db);
        if (values.json) console.log(JSON.stringify(report));
        else if (report.ok) console.log(`audit log OK: ${report.rows} rows, last id ${report.lastId ?? '-'}, head ${report.head}`);
        else console.log(`audit log BROKEN at row ${report.id} (after ${report.rows} good rows): ${report.reason}`);
        return report.ok ? 0 : 1;
      }
      case 'keys rotate': {
        const batch = Number(values.batch);
        if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError('keys rotate [--batch N], N from 1 to 10000');
        return await keysRotate(db, config, batch, values.json);
      }
      case 'keys status':
        await keysStatus(db, config, values.json);
        return 0;
      case 'device event':
      case 'device events':
        return await runDeviceEventCommand(db, vault, positionals, {
          at: values.at, replaces: values.replaces, leads: values.leads, metrics: values.metrics, json: values.json,
        });
      default: {
        const partitions = await runPartitionsCommand(db, config, positionals, {
          json: values.json, ahead: values.ahead, dryRun: values['dry-run'], months: values.months, quarantineDays: values['quarantine-days'], into: values.into,
        });
        if (partitions !== null) return partitions;
        const outbox = await runOutboxCommand(db, positionals, { json: values.json });
        if (outbox !== null) return outbox;
        const code = await runDeviceCommand(db, positionals, { site, json: values.json });
        if (code !== null) return code;
        throw new UsageError(`unknown command "${positionals.join(' ')}"`);
      }
    }
  } finally {
    await database.shutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof DeviceUsageError || err instanceof DeviceEventUsageError || err instanceof PartitionsUsageError || err instanceof OutboxUsageError;
    if (usage) console.error(`usage: npm run admin -- ${err.message}\n\n${USAGE}`);
    else console.error(`error: ${errorMessage(err)}`);
    process.exit(usage ? 2 : 1);
  },
);
