import type { Rejection } from '../domain/types.ts';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { lastSeqBySerial } from '../store/readings.ts';
import { enrolledBirthDate, recordIdentityMismatch } from '../store/patients.ts';
import type { Vault } from '../crypto/vault.ts';
import { storeIdcoRecords, type DerivedReading } from './idco-records.ts';
import { recordIdcoImplant, type ImplantOutcome } from './idco-lifecycle.ts';
import type { IdcoMessage } from './idco/mapping.ts';
import type { IdcoImplant } from './idco/implant.ts';
import { FIELD } from '../patients/sealed.ts';
import { auditIdentityMismatch } from './idco/identity-audit.ts';
import type { IdcoSender } from './idco/identity-guard.ts';
import type { GatewayIdentity } from '../auth/gateways.ts';
import type { Metrics } from '../observability/metrics.ts';
import { isRejection, MAX_SEQ, validateReading, type ValidReading } from './protocol.ts';
import { DeviceRegistry } from './devices.ts';
import { GatewayBudgets } from './gateway-budget.ts';
import type { GroupCommitWriter } from './writer.ts';
import type { WriteBatch, WriteResult } from './group-write.ts';
import type { ScoringService } from '../scoring/service.ts';
import type { ReadingRow } from '../store/readings.ts';

export type Transport = 'ws' | 'http' | 'idco';

/** The one answer for a device of another site, one held pending, and one rejected by an admin. */
export const notRegistered = (serial: string): string => `device ${serial} is not registered to this gateway's site`;

export interface AckCounts {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly Rejection[];
}

export interface IngestOptions {
  readonly futureToleranceMs: number;
  readonly retryAfterMs: number;
  readonly gatewayRateLimit: number;
  readonly gatewayRateBurst: number;
}

export interface IngestExtras {
  /** Accept negative seqs (readings the service derives, e.g. from HL7 IDCO). */
  readonly derivedSeq?: boolean;
  /** Entries to quarantine with the batch that are not readings (e.g. unmapped OBX segments). */
  readonly quarantine?: ReadonlyArray<{ code: string; message: string; raw: unknown }>;
  /** Budget already charged for this batch by `charge` (e.g. every segment of an HL7 message, before parsing). */
  readonly prepaid?: number;
}

export interface DeviceStatus {
  readonly lastSeq: number;
  readonly lastAt: string;
}

/** The transport-independent ingest path: validate, register devices, store, count. */
export class IngestService {
  private readonly devices: DeviceRegistry;
  private readonly budgets: GatewayBudgets;
  /** Per gateway: settles once its latest batch has been scored (or failed before it). */
  private readonly turns = new Map<number, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly writer: GroupCommitWriter,
    private readonly metrics: Metrics,
    private readonly opts: IngestOptions,
    /** The engine; null stores readings unscored (the benchmark's baseline). */
    private readonly scoring: ScoringService | null = null,
    private readonly clock: () => number = Date.now,
    /** Opens the enrolled patient's birth date for the IDCO identity check. */
    private readonly vault: Vault | null = null,
  ) {
    this.devices = new DeviceRegistry(db);
    this.budgets = new GatewayBudgets(db, { ratePerSec: opts.gatewayRateLimit, burst: opts.gatewayRateBurst, unavailableRetryMs: opts.retryAfterMs });
  }

  /**
   * Store one batch. Resolves after commit with the ack counts; rejects with a
   * ServiceError (`rate_limited`, `unavailable`) when nothing of it was stored.
   */
  async ingest(
    gw: GatewayIdentity,
    batchId: string | null,
    raws: readonly unknown[],
    transport: Transport,
    extras: IngestExtras = {},
  ): Promise<AckCounts> {
    // A gateway's batches are scored in the order they arrived, though their devices resolve
    // concurrently: otherwise a pipelined batch could overtake the one before it and make
    // its readings late (a replay), and the same stream would not always give the same alerts.
    const previous = this.turns.get(gw.gatewayId) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    this.turns.set(gw.gatewayId, turn);
    try {
      return await this.ingestInTurn(gw, batchId, raws, transport, extras, previous, release, performance.now());
    } finally {
      release();
      if (this.turns.get(gw.gatewayId) === turn) this.turns.delete(gw.gatewayId);
    }
  }

  private async ingestInTurn(
    gw: GatewayIdentity,
    batchId: string | null,
    raws: readonly unknown[],
    transport: Transport,
    extras: IngestExtras,
    previous: Promise<void>,
    release: () => void,
    taken: number,
  ): Promise<AckCounts> {
    const now = this.clock();
    // Overloaded: refuse before any work (validation, device lookups, state loads) and before
    // the rate limit charges it, so refused batches and their resends do not eat the capacity
    // that drains the queue. Checked again just before scoring, as the queue may fill meanwhile.
    if (!this.writer.accepts(raws.length + (extras.quarantine?.length ?? 0))) {
      throw new ServiceError('unavailable', 'the service is overloaded or stopping', this.opts.retryAfterMs);
    }
    // Quarantined entries cost what readings cost: unmapped input is work too.
    const cost = raws.length + (extras.quarantine?.length ?? 0) - (extras.prepaid ?? 0);
    if (cost > 0) await this.budgets.charge(gw.gatewayId, cost);

    const rejected: Rejection[] = [];
    const valid: ValidReading[] = [];
    const ctx = { now, futureToleranceMs: this.opts.futureToleranceMs, minSeq: extras.derivedSeq ? -MAX_SEQ : 0 };
    for (let i = 0; i < raws.length; i++) {
      const r = validateReading(raws[i], i, ctx);
      if (isRejection(r)) rejected.push(r);
      else valid.push(r);
    }

    let refs;
    try {
      refs = valid.length > 0 ? await this.devices.resolve(new Set(valid.map((v) => v.device)), gw.siteId, gw.gatewayId) : new Map();
    } catch {
      throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
    }

    const rows: Array<Omit<ReadingRow, 'score'> & { siteId: number }> = [];
    const indexes: number[] = [];
    const kept: unknown[] = [];
    const held = new Map<string, number>();
    for (const v of valid) {
      const ref = refs.get(v.device);
      if (!ref || ref.siteId !== gw.siteId) {
        // No ref: unknown to the service and held pending for an admin (the site's policy).
        // Another site's device and a held one get the same answer: the gateway learns nothing.
        if (!ref) held.set(v.device, (held.get(v.device) ?? 0) + 1);
        rejected.push({ index: v.index, code: 'forbidden_device', message: notRegistered(v.device) });
        continue;
      }
      rows.push({ deviceId: ref.id, siteId: ref.siteId, seq: v.seq, at: v.at, metricId: v.metricId, value: v.value, gatewayId: gw.gatewayId });
      indexes.push(v.index);
      kept.push(raws[v.index]);
    }

    if (held.size > 0) {
      try {
        await this.devices.hold(held, gw.siteId, gw.gatewayId);
      } catch {
        throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
      }
    }

    const context = { gatewayId: gw.gatewayId, siteId: gw.siteId, source: transport, batchId };
    const quarantine = [
      ...rejected.map((r) => ({ ...context, idx: r.index, code: r.code, message: r.message, raw: raws[r.index] })),
      ...(extras.quarantine ?? []).map((q) => ({ ...context, idx: null, ...q })),
    ];
    const size = rows.length + quarantine.length;
    let submitted = 0; // when the rows went to the writer (every stored batch's path calls submit)
    const submit = (scores: readonly (number | null)[] | null, effects: WriteBatch['effects'], fences: WriteBatch['fences'] = null): Promise<WriteResult> => {
      const scoredRows: ReadingRow[] = rows.map((r, i) => ({
        deviceId: r.deviceId, seq: r.seq, at: r.at, metricId: r.metricId, value: r.value, gatewayId: r.gatewayId,
        score: scores ? scores[i]! : null,
      }));
      submitted = performance.now();
      return this.writer.submit({ rows: scoredRows, indexes, raws: kept, context, quarantine, effects, fences });
    };
    const admitted = performance.now();
    await previous;
    const inTurn = performance.now();
    let result: WriteResult;
    if (this.scoring && rows.length > 0) {
      const writer = this.writer;
      const retryAfterMs = this.opts.retryAfterMs;
      try {
        result = await this.scoring.scoreAndSubmit(
          rows,
          (scored) => {
            const written = submit(scored.scores, scored.effects, scored.fences);
            release();
            return written;
          },
          // Refused before scoring, so no device state takes in rows that are not stored.
          () => {
            if (!writer.accepts(size)) throw new ServiceError('unavailable', 'the service is overloaded', retryAfterMs);
          },
        );
      } catch (e) {
        if (e instanceof ServiceError) throw e;
        throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
      }
    } else {
      const written = submit(null, undefined);
      release();
      result = await written;
    }
    const stage = this.metrics.ingestStageSeconds;
    stage.observe({ stage: 'admit' }, (admitted - taken) / 1000);
    stage.observe({ stage: 'turn' }, (inTurn - admitted) / 1000);
    stage.observe({ stage: 'score' }, (submitted - inTurn) / 1000);
    stage.observe({ stage: 'total' }, (performance.now() - taken) / 1000);
    for (const c of result.conflicts) rejected.push({ index: c.index, code: 'seq_conflict', message: c.message });
    rejected.sort((a, b) => a.index - b.index);

    this.metrics.readings.inc({ outcome: 'accepted', transport }, result.inserted);
    this.metrics.readings.inc({ outcome: 'duplicate', transport }, result.duplicates);
    this.metrics.readings.inc({ outcome: 'rejected', transport }, rejected.length);
    return { accepted: result.inserted, duplicates: result.duplicates, rejected };
  }

  /** A device changed site: drop its cached site (`null`: every device, after a missed notification). */
  deviceMoved(serial: string | null): void {
    if (serial === null) this.devices.clear();
    else this.devices.forget(serial);
  }

  /**
   * Whether a message's patient birth date differs from that of the patient the device is
   * enrolled to (recorded for the patient page when it does). A failure to check is not a
   * failure to store: it answers false and the next message checks again.
   */
  async birthDateDiffers(gw: GatewayIdentity, serial: string, birthDate: string): Promise<boolean> {
    try {
      const enrolled = await enrolledBirthDate(this.db, gw.siteId, serial);
      if (!enrolled?.date_of_birth_sealed || !this.vault) return false;
      if ((await this.vault.openOne(FIELD.dateOfBirth, enrolled.date_of_birth_sealed)) === birthDate) return false;
      await recordIdentityMismatch(this.db, enrolled.device_id, enrolled.patient_id);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Store an IDCO message's episodes, counters, settings and lead status; answers the
   * readings they make (counter differences, episode counts). `unavailable` when the
   * database is: the message is then answered AR and resent, storing nothing twice.
   */
  async idcoRecords(msg: IdcoMessage): Promise<DerivedReading[]> {
    try {
      return await storeIdcoRecords(this.db, msg, this.clock());
    } catch {
      throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
    }
  }

  /**
   * Record an enrolled device's implant from the implant date of an IDCO message, when none
   * is recorded yet (idco-lifecycle.ts), and have the engine rebuild the device's state with
   * it, as the patient page's lifecycle form does. `unavailable` when the database is.
   */
  async idcoImplant(gw: GatewayIdentity, serial: string, implant: IdcoImplant): Promise<ImplantOutcome> {
    let outcome: ImplantOutcome;
    try {
      outcome = await recordIdcoImplant(this.db, gw.siteId, serial, implant, this.clock());
    } catch {
      throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
    }
    // The event is committed and the device is up for a replay in the store: a failed rebuild
    // (logged by the scoring service) is retried with the device's next reading.
    if (outcome.kind === 'recorded') await this.scoring?.lifecycleChanged(outcome.devices).catch(() => undefined);
    return outcome;
  }

  /** Audit one birth-date mismatch of an IDCO message (ids and sender only, never the date). */
  async auditIdentityMismatch(gw: GatewayIdentity, serial: string, sender: IdcoSender, mismatchesInWindow: number, limited: boolean): Promise<void> {
    await auditIdentityMismatch(this.db, gw.siteId, serial, sender, mismatchesInWindow, limited);
  }

  /** Highest stored seq per device of the gateway's site; null for a device never seen there. */
  async status(gw: GatewayIdentity, serials: readonly string[]): Promise<Record<string, DeviceStatus | null>> {
    let found;
    try {
      found = await lastSeqBySerial(this.db, gw.siteId, serials);
    } catch {
      throw new ServiceError('unavailable', 'storage unavailable', this.opts.retryAfterMs);
    }
    const out: Record<string, DeviceStatus | null> = {};
    for (const s of serials) {
      const f = found.get(s);
      out[s] = f ? { lastSeq: f.lastSeq, lastAt: f.lastAt.toISOString() } : null;
    }
    return out;
  }

  /**
   * Charges `cost` to the gateway's reading budget, shared by every instance, before any work
   * on its input (ServiceError `rate_limited` when it does not fit, `unavailable` when the
   * budget cannot be read); `ingest` then takes the amount as `prepaid`.
   */
  async charge(gw: GatewayIdentity, cost: number): Promise<void> {
    await this.budgets.charge(gw.gatewayId, cost);
  }
}
