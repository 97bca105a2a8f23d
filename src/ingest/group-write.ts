import type { Db } from '../store/db.ts';
import { insertQuarantine, storedContent, writeReadings, type QuarantineRow, type ReadingRow, type StoredContent } from '../store/readings.ts';
import { outboxItem } from '../store/alert-outbox.ts';
import { effectItems, NO_EFFECTS, type EngineEffects, type ReadingKey } from '../store/engine-effects.ts';
import { fenceCondition, type Fences } from '../store/leases.ts';

// One group commit's write (writer.ts queues the batches and calls it): which rows are new,
// resent or conflicting, and which of the engine's effects go with the rows stored.

export interface WriteBatch {
  readonly rows: readonly ReadingRow[];
  /** Per row: its index in the gateway's batch, for seq_conflict reports. */
  readonly indexes: readonly number[];
  /** Per row: the reading as sent, kept in quarantine if it conflicts. */
  readonly raws: readonly unknown[];
  readonly quarantine: readonly QuarantineRow[];
  readonly context: Omit<QuarantineRow, 'idx' | 'code' | 'message' | 'raw'>;
  /** The engine's decisions and risk changes for these rows, written in the same statement. */
  readonly effects?: EngineEffects;
  /** The device leases the rows were scored under: refused whole if one has moved (scoring/leases.ts). */
  readonly fences?: Fences | null;
}

export interface WriteResult {
  readonly inserted: number;
  readonly duplicates: number;
  readonly conflicts: ReadonlyArray<{ index: number; message: string }>;
  /** Rows stored out of their device's event-time order (see src/scoring). */
  readonly lateInserted: readonly ReadingKey[];
}

const key = (r: { deviceId: number; seq: number }) => `${r.deviceId}:${r.seq}`;

export interface GroupResult {
  /** One per batch, in order. */
  readonly results: WriteResult[];
  /** Alert decisions went to the outbox with the readings: the applier has work. */
  readonly decisions: boolean;
}

/**
 * Write one group: its readings, quarantine rows, and the engine's effects (risk changes, past
 * silences, late readings, alert decisions into the outbox) as ONE autocommit statement
 * (store/readings.ts writeReadings). Effects are written only for readings this group stored.
 */
export async function writeGroup(db: Db, batches: readonly WriteBatch[]): Promise<GroupResult> {
  // A key may appear twice within a group; the database sees each key once, the first copy.
  const unique = new Map<string, ReadingRow>();
  for (const b of batches) {
    for (const r of b.rows) {
      const k = key(r);
      if (!unique.has(k)) unique.set(k, r);
    }
  }
  // Key order: concurrent groups then take their unique-index locks in the same
  // order, so two flushes holding keys the other needs cannot deadlock.
  const uniqueRows = [...unique.values()].sort((a, b) => a.deviceId - b.deviceId || a.seq - b.seq);
  const quarantine = batches.flatMap((b) => b.quarantine);
  const fences = mergeFences(batches);
  const all = batches.map((b) => b.effects ?? NO_EFFECTS);
  // A late reading owes a replay only if its own unscored row is the one written.
  const late = all.flatMap((e) => e.late.filter((l) => unique.get(key(l))?.score === null));
  const effects = { risks: all.flatMap((e) => e.risks), late, silences: all.flatMap((e) => e.silences ?? []) };
  const decisions = all.flatMap((e) => e.decisions);
  // Alert decisions go to the outbox in the same statement, applied after commit by the
  // applier (scoring/alert-applier.ts): the ack waits for no lock.
  const items = (inserted: Parameters<typeof effectItems>[1]) => [
    ...effectItems(effects, inserted), ...(decisions.length > 0 ? [outboxItem(decisions, inserted)] : []),
  ];

  const { notInserted } = await writeReadings(db, uniqueRows, quarantine, { guard: fences ? fenceCondition(fences) : undefined, items });
  // Stored by a flush that committed while this one ran: its content is visible now.
  const unseen = [...notInserted].filter(([, c]) => c === null).map(([k]) => unique.get(k)!);
  if (unseen.length > 0) for (const [k, c] of await storedContent(db, unseen)) notInserted.set(k, c);
  const inserted = { has: (k: string) => unique.has(k) && !notInserted.has(k) };
  // What the database holds under a key: this group's first copy if it inserted it.
  const stored = (k: string): StoredContent | undefined => (notInserted.has(k) ? notInserted.get(k) ?? undefined : unique.get(k));
  const classified = classify(batches, inserted, stored, late);
  // The readings have committed by now: if this fails, the group is answered `unavailable`
  // and its resend finds the same conflicts (and duplicates) again.
  await insertQuarantine(db, classified.conflicts);
  return { results: classified.results, decisions: decisions.length > 0 };
}

/** The fences of every batch of the group, one per device (a device under two fences cannot hold both). */
function mergeFences(batches: readonly WriteBatch[]): Fences | null {
  let owner: string | null = null;
  const byDevice = new Map<number, number>();
  for (const b of batches) {
    const f = b.fences;
    if (!f) continue;
    owner ??= f.owner;
    if (f.owner !== owner) return { owner, devices: [-1], fences: [0] }; // refused: re-registered meanwhile
    f.devices.forEach((d, i) => {
      const fence = f.fences[i]!;
      const had = byDevice.get(d);
      byDevice.set(d, had === undefined || had === fence ? fence : 0);
    });
  }
  return owner === null ? null : { owner, devices: [...byDevice.keys()], fences: [...byDevice.values()] };
}

interface Classified {
  readonly results: WriteResult[];
  readonly conflicts: QuarantineRow[];
}

/** Each row: inserted (first of its key, if the key was inserted), duplicate, or conflict. */
function classify(
  batches: readonly WriteBatch[],
  inserted: { has(key: string): boolean },
  stored: (key: string) => StoredContent | undefined,
  /** The group's late readings whose key's first copy is the unscored row (see writeGroup). */
  late: readonly ReadingKey[],
): Classified {
  const conflictRows: QuarantineRow[] = [];
  const claimed = new Set<string>();
  const owed = new Set(late.map(key));
  const results = batches.map((b) => {
    // A late reading owes its device a replay only if its own unscored row was stored: a copy
    // of a reading the state took in, racing its scored original in this group, was not.
    const lateInserted = (b.effects?.late ?? []).filter((l) => owed.has(key(l)) && inserted.has(key(l)));
    let ins = 0;
    let dup = 0;
    const conflicts: Array<{ index: number; message: string }> = [];
    b.rows.forEach((r, i) => {
      const k = key(r);
      if (inserted.has(k) && !claimed.has(k)) {
        claimed.add(k);
        ins++;
        return;
      }
      const s = stored(k);
      if (s && s.at === r.at && s.metricId === r.metricId && s.value === r.value) {
        dup++;
        return;
      }
      const message = `seq ${r.seq} of this device is already stored with different content`;
      conflicts.push({ index: b.indexes[i]!, message });
      conflictRows.push({ ...b.context, idx: b.indexes[i]!, code: 'seq_conflict', message, raw: b.raws[i] });
    });
    return { inserted: ins, duplicates: dup, conflicts, lateInserted };
  });
  return { results, conflicts: conflictRows };
}
