import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from '../store/open.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { createGateway, createSite, listGateways, listQuarantine, listSites, revoke } from './commands.ts';

const USAGE = `Usage: npm run admin -- <command>

  site create <code> --name <name>        create a site (clinic or trial site)
  site list
  gateway create --site <code> --name <n>  issue a gateway key (printed once)
  gateway list
  gateway revoke <id>                      revoke a key; its open sockets close (1008)
  quarantine list [--limit N] [--site <code>] [--code <reason>]
                                           rejected readings, newest first

Connects to DATABASE_URL, or to the embedded PostgreSQL under DATA_DIR
(started for the command if the service is not running).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      site: { type: 'string' },
      code: { type: 'string' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [noun, verb, arg] = positionals;
  if (values.help || !noun) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const database = await openDatabase(config, log);
  try {
    await migrateToLatest(database.db);
    const db = database.db;
    const out = (rows: unknown) => (values.json ? console.log(JSON.stringify(rows, null, 2)) : console.table(rows));
    switch (`${noun} ${verb ?? ''}`.trim()) {
      case 'site create': {
        if (!arg || !values.name) throw new UsageError('site create <code> --name <name>');
        const site = await createSite(db, arg, values.name);
        console.log(`site "${site.code}" created (id ${site.id})`);
        return 0;
      }
      case 'site list':
        out(await listSites(db));
        return 0;
      case 'gateway create': {
        if (!values.site || !values.name) throw new UsageError('gateway create --site <code> --name <name>');
        const gw = await createGateway(db, values.site, values.name);
        if (values.json) console.log(JSON.stringify(gw));
        else {
          console.log(`gateway ${gw.id} "${gw.name}" created for site "${gw.site}".`);
          console.log(`key (shown once, store it now): ${gw.key}`);
        }
        return 0;
      }
      case 'gateway list':
        out(await listGateways(db));
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
        const rows = await listQuarantine(db, { limit, site: values.site, code: values.code });
        out(values.json ? rows : rows.map((r) => ({ ...r, raw: JSON.stringify(r.raw).slice(0, 80) })));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${positionals.join(' ')}"`);
    }
  } finally {
    await database.shutdown();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`usage: npm run admin -- ${err.message}\n\n${USAGE}`);
    else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
