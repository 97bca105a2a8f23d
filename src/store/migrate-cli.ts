import pino from 'pino';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from './open.ts';
import { migrateToLatest } from './migrate.ts';

const config = loadConfig();
const log = pino({ level: 'warn' }, pino.destination(2));
const database = await openDatabase(config, log);
try {
  const applied = await migrateToLatest(database.db);
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is current');
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await database.shutdown();
}
