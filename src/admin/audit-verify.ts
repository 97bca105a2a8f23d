import { createHash } from 'node:crypto';
import { auditChainPage } from '../store/audit.ts';
import type { Db } from '../store/db.ts';

// Walks the audit log's hash chain (migration 2026-11-30T0007) in id order, a page at a
// time, recomputing each row's hash here rather than with the database's own function:
// someone able to rewrite rows could also have rewritten that function.

export const GENESIS = Buffer.alloc(32);

export type ChainReport =
  | { readonly ok: true; readonly rows: number; readonly lastId: number | null; readonly head: string }
  | { readonly ok: false; readonly rows: number; readonly id: number; readonly reason: string };

/** The row's content as the trigger encodes it: per field '-' for NULL, else `<utf-8 length>:<text>`. */
export function encodeContent(fields: ReadonlyArray<string | null>): Buffer {
  return Buffer.from(fields.map((f) => (f === null ? '-' : `${Buffer.byteLength(f, 'utf8')}:${f}`)).join(','), 'utf8');
}

export function chainHash(prev: Buffer, fields: ReadonlyArray<string | null>): Buffer {
  return createHash('sha256').update(prev).update(encodeContent(fields)).digest();
}

/** Verify the whole chain; stops at the first row that does not fit. Memory: one page. */
export async function verifyAuditChain(db: Db, pageSize = 1000): Promise<ChainReport> {
  let prev: Buffer = GENESIS;
  let prevId: number | null = null;
  let rows = 0;
  for (let after = -1; ; ) {
    const batch = await auditChainPage(db, after, pageSize);
    if (batch.length === 0) break;
    for (const r of batch) {
      if (!r.prev_hash || !r.hash) {
        return { ok: false, rows, id: r.id, reason: 'no hash: the row was written without the chain trigger (inserted with triggers disabled)' };
      }
      if (!r.prev_hash.equals(prev)) {
        const before = prevId === null ? 'the chain start' : `row ${prevId}`;
        return {
          ok: false, rows, id: r.id,
          reason: `prev_hash does not match the hash of ${before}: a row between them was deleted, or this row was inserted or re-chained`,
        };
      }
      if (!r.hash.equals(chainHash(prev, r.fields))) {
        return { ok: false, rows, id: r.id, reason: 'hash does not match the row content: the row was edited' };
      }
      prev = r.hash;
      prevId = r.id;
      rows++;
    }
    after = batch.at(-1)!.id;
  }
  return { ok: true, rows, lastId: prevId, head: prev.toString('hex') };
}
