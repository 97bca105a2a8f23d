// `npm run admin -- alerts outbox ...`: the engine's alert decisions committed with their
// readings and not applied yet (docs/engine.md), and those the applier left aside after
// repeated failures given another try once their cause is fixed.
import type { Db } from '../store/db.ts';
import { listOutbox, OUTBOX_MAX_ATTEMPTS, retryOutbox } from '../store/alert-outbox.ts';
import { formatTable } from './table.ts';

export const OUTBOX_USAGE = `  alerts outbox [--json]                   alert decisions waiting to be applied, oldest first, with
                                           those left aside after ${OUTBOX_MAX_ATTEMPTS} failures and their error
  alerts outbox retry <id>|all             give groups left aside another try (the service applies
                                           them within a second)`;

/** Bad input: the CLI prints it with the usage and exits 2. */
export class OutboxUsageError extends Error {}

const LIST_LIMIT = 1000;

/** Runs an `alerts outbox ...` command; null when `positionals` is not one. */
export async function runOutboxCommand(db: Db, positionals: readonly string[], opts: { readonly json: boolean }): Promise<number | null> {
  const [noun, what, verb, arg, ...extra] = positionals;
  if (noun !== 'alerts' || what !== 'outbox') return null;
  if (verb === undefined) {
    const rows = await listOutbox(db, LIST_LIMIT);
    if (opts.json) {
      console.log(JSON.stringify(rows.map((r) => ({ ...r, leftAside: r.attempts >= OUTBOX_MAX_ATTEMPTS }))));
      return 0;
    }
    console.log(formatTable(rows.map((r) => ({
      id: r.id, committed: r.createdAt.toISOString(), decisions: r.decisions, attempts: r.attempts,
      state: r.attempts >= OUTBOX_MAX_ATTEMPTS ? 'LEFT ASIDE' : 'waiting', 'last error': r.lastError ?? '',
    })), 'the alert outbox is empty: every decision is applied'));
    if (rows.length === LIST_LIMIT) console.log(`(the oldest ${LIST_LIMIT} only)`);
    return 0;
  }
  if (verb !== 'retry' || arg === undefined || extra.length > 0) throw new OutboxUsageError(`alerts outbox [--json] | alerts outbox retry <id>|all, not "${positionals.join(' ')}"`);
  if (arg !== 'all' && !/^[1-9]\d{0,15}$/.test(arg)) throw new OutboxUsageError(`alerts outbox retry takes a row id (as listed) or "all", not ${JSON.stringify(arg)}`);
  const n = await retryOutbox(db, arg === 'all' ? null : Number(arg));
  console.log(n === 0 ? 'nothing left aside to retry' : `${n} group${n === 1 ? '' : 's'} of decisions given another try`);
  return 0;
}
