import type { FastifyBaseLogger } from 'fastify';
import { ServiceError } from '../errors.ts';
import type { GatewayIdentity } from '../auth/gateways.ts';
import { buildAck, HL7_ERROR_FOR, readIdco, type AckCode, type UnmappedObservation } from './idco/index.ts';
import { IDENTITY_MISMATCH_LIMIT, IDENTITY_REFUSED_REASON, type IdcoSender, type IdentityMismatchLimiter } from './idco/identity-guard.ts';
import { countSegments, headerOnly } from './idco/bounds.ts';
import type { ParseQueue } from './parse-queue.ts';
import { idcoSeq } from './idco/seq.ts';
import { metricByName } from '../domain/vocabulary.ts';
import type { IngestService } from './service.ts';
import { implantNote } from './idco-lifecycle.ts';
import { loggedError } from '../util/error-message.ts';

export interface IdcoReply {
  /** HTTP status for the HTTP transport: 200 AA, 400 AE, 429/503 AR. */
  readonly status: number;
  readonly code: AckCode;
  readonly ack: string;
  readonly retryAfterMs?: number;
}

// Unmapped observations keep a reading-level code where one fits.
const QUARANTINE_CODE: Record<string, string> = { unknown_code: 'unknown_metric', unit_mismatch: 'unit_mismatch' };

/** Who sent the message and the transport's limiter of PID-7 mismatches (see identity-guard.ts). */
export interface IdcoContext {
  readonly sender: IdcoSender;
  readonly limiter: IdentityMismatchLimiter;
  readonly log: FastifyBaseLogger;
  readonly bounds: IdcoBounds;
}

/** Work limits shared by every IDCO transport of the process. */
export interface IdcoBounds {
  /** Most segments in one message (IDCO_MAX_SEGMENTS); counted before parsing. */
  readonly maxSegments: number;
  /** Parses run one at a time with a bounded wait (bounds.ts). */
  readonly queue: ParseQueue;
}

let ackCounter = 0;
function nextControlId(now: number): string {
  ackCounter = (ackCounter + 1) % 1_000_000;
  return `ACK${now.toString(36)}${ackCounter.toString(36)}`;
}

/**
 * One IHE PCD-09 message in, one HL7 ACK out: AA after commit, AE for a message
 * that cannot be used, AR when storage is unavailable or the sender too fast.
 */
export async function handleIdco(
  input: string | Uint8Array,
  gw: GatewayIdentity,
  service: IngestService,
  ctx: IdcoContext,
  clock: () => number = Date.now,
): Promise<IdcoReply> {
  const now = clock();
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // Bounded before work: a byte scan counts the segments (stopping at the limit), every one of
  // them is charged to the sender's reading budget, and only then is the message parsed, one
  // parse at a time. Nothing here depends on what the segments say.
  const segments = countSegments(bytes, ctx.bounds.maxSegments);
  if (segments > ctx.bounds.maxSegments) {
    const reason = `message has more than ${ctx.bounds.maxSegments} segments, the service's limit; split it`;
    const ack = buildAck({ received: headerOnly(bytes), code: 'AE', reason, error: '100', controlId: nextControlId(now), time: now });
    return { status: 400, code: 'AE', ack };
  }
  const refused = (err: unknown): IdcoReply | null => {
    if (!(err instanceof ServiceError) || (err.code !== 'unavailable' && err.code !== 'rate_limited')) return null;
    const ack = buildAck({ received: headerOnly(bytes), code: 'AR', reason: err.message, controlId: nextControlId(now), time: now });
    return { status: err.code === 'rate_limited' ? 429 : 503, code: 'AR', ack, retryAfterMs: err.retryAfterMs };
  };
  try {
    await service.charge(gw, segments);
  } catch (err) {
    const reply = refused(err);
    if (reply) return reply;
    throw err;
  }
  const parsed = await ctx.bounds.queue.run(() => readIdco(bytes));
  if (parsed === null) {
    const ack = buildAck({ received: headerOnly(bytes), code: 'AR', reason: 'too many HL7 messages waiting to be read; retry later', controlId: nextControlId(now), time: now });
    return { status: 503, code: 'AR', ack, retryAfterMs: 1000 };
  }
  const result = parsed.value;
  if (!result.ok) {
    const ack = buildAck({ received: result.header, code: 'AE', reason: result.error.message, error: HL7_ERROR_FOR[result.error.code], controlId: nextControlId(now), time: now });
    return { status: 400, code: 'AE', ack };
  }
  const msg = result.message;
  const raws: Array<{ device: string; seq: number; at: string; metric: string; value: number; unit: string }> = msg.readings.map((r) => ({ device: r.device, seq: idcoSeq(r.key), at: r.at, metric: r.metric, value: r.value, unit: r.unit }));
  const quarantine = msg.unmapped.map((u: UnmappedObservation) => ({
    code: QUARANTINE_CODE[u.reason] ?? 'bad_reading',
    message: `HL7 ${u.reason}: ${u.detail}`,
    raw: { device: msg.device, obx: u.raw, code: u.code, subId: u.subId, valueType: u.valueType },
  }));
  if (msg.patientBirthDate !== null) {
    // Decided before any lookup and whatever the birth date, so neither the answer nor its
    // timing depends on it. AR with Retry-After: the sender keeps the message and resends
    // it, so no reading is acked and dropped.
    const wait = ctx.limiter.refusedFor(ctx.sender, msg.device, now);
    if (wait > 0) {
      ctx.log.info({ transport: ctx.sender.transport }, 'HL7 IDCO message refused: its sender is over the birth-date mismatch limit for its device');
      const ack = buildAck({ received: msg.header, code: 'AR', reason: IDENTITY_REFUSED_REASON, controlId: nextControlId(now), time: now });
      return { status: 429, code: 'AR', ack, retryAfterMs: wait };
    }
  }
  try {
    // The implant first: this message's readings are then scored knowing it.
    if (msg.implant) {
      const outcome = await service.idcoImplant(gw, msg.device, msg.implant);
      const note = implantNote(outcome, msg.implant);
      if (note) {
        const { obx } = msg.implant;
        quarantine.push({ code: 'bad_reading', message: `HL7 ${note.reason}: ${note.detail}`, raw: { device: msg.device, obx: obx.raw, code: obx.code, subId: obx.subId, valueType: obx.valueType } });
      }
      if (outcome.kind !== 'not_enrolled' && outcome.kind !== 'same') {
        ctx.log.info({ transport: ctx.sender.transport, implant: outcome.kind }, outcome.kind === 'recorded'
          ? 'device implant recorded from an HL7 IDCO message'
          : 'HL7 IDCO implant date not recorded; noted in the quarantine');
      }
    }
    // Episodes, counters, settings and lead status first: the readings they make go in
    // with the message's own (idempotent both: a resent message adds nothing).
    const derived = await service.idcoRecords(msg);
    for (const r of derived) raws.push({ device: r.device, seq: idcoSeq(r.key), at: r.at, metric: r.metric, value: r.value, unit: metricByName(r.metric).unit });
    // In event-time order: the engine takes a batch in as given, and a statistic dated by its
    // period's end, or an episode by its own time, after a reading of the session would be
    // late and replay the device at each message.
    raws.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const counts = await service.ingest(gw, msg.header.controlId || null, raws, 'idco', { derivedSeq: true, quarantine, prepaid: segments });
    // Wrong patient: the sender's patient is not the one the device is enrolled to. The
    // readings are the device's and are kept; the patient page shows the warning. The ACK
    // says nothing of it: a difference there told a guesser when a birth date was right.
    const differs = msg.patientBirthDate !== null && (await service.birthDateDiffers(gw, msg.device, msg.patientBirthDate));
    if (differs) noteMismatch(gw, msg.device, service, ctx, now);
    const reason = `accepted ${counts.accepted}, duplicates ${counts.duplicates}, rejected ${counts.rejected.length}, unmapped ${msg.unmapped.length}`;
    return { status: 200, code: 'AA', ack: buildAck({ received: msg.header, code: 'AA', reason, controlId: nextControlId(now), time: now }) };
  } catch (err) {
    const reply = refused(err);
    if (reply) return reply;
    throw err;
  }
}

function noteMismatch(gw: GatewayIdentity, serial: string, service: IngestService, ctx: IdcoContext, now: number): void {
  const count = ctx.limiter.record(ctx.sender, serial, now);
  const limited = count >= IDENTITY_MISMATCH_LIMIT;
  ctx.log.warn({ transport: ctx.sender.transport, limited }, 'HL7 IDCO message gave another birth date than the enrolled patient\'s; flagged for the clinic');
  // Not awaited: waiting for the audit row would make a wrong birth date's ACK measurably
  // slower than a right one's.
  service.auditIdentityMismatch(gw, serial, ctx.sender, count, limited).catch((err: unknown) => {
    ctx.log.error({ err: loggedError(err) }, 'could not audit an HL7 IDCO birth-date mismatch');
  });
}
