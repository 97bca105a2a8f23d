import pino from 'pino';
import type { Db } from '../../src/store/db.ts';
import { AlertApplier } from '../../src/scoring/alert-applier.ts';
import type { AlertEventRow } from '../../src/store/engine-effects.ts';

/** Apply every alert decision in the outbox now, as the service's applier does; the events written. */
export async function applyOutbox(db: Db): Promise<AlertEventRow[]> {
  const events: AlertEventRow[] = [];
  const applier = new AlertApplier(db, { sweepMs: 60_000, log: pino({ level: 'silent' }), publish: (e) => events.push(...e) });
  await applier.stop();
  return events;
}
