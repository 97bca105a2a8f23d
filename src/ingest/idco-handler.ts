import { ServiceError } from '../errors.ts';
import type { GatewayIdentity } from '../auth/gateways.ts';
import { buildAck, HL7_ERROR_FOR, readIdco, type AckCode, type UnmappedObservation } from './idco/index.ts';
import { idcoSeq } from './idco/seq.ts';
import type { IngestService } from './service.ts';

export interface IdcoReply {
  /** HTTP status for the HTTP transport: 200 AA, 400 AE, 429/503 AR. */
  readonly status: number;
  readonly code: AckCode;
  readonly ack: string;
  readonly retryAfterMs?: number;
}

// Unmapped observations keep a reading-level code where one fits.
const QUARANTINE_CODE: Record<string, string> = { unknown_code: 'unknown_metric', unit_mismatch: 'unit_mismatch' };

/** The ACK's warning when PID-7 does not match the enrolled patient (ERR-8). */
export const WRONG_PATIENT_WARNING =
  'PID-7 birth date differs from that of the patient this device is enrolled to: readings stored; check the enrolment';

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
  clock: () => number = Date.now,
): Promise<IdcoReply> {
  const now = clock();
  const result = readIdco(input);
  if (!result.ok) {
    const ack = buildAck({ received: result.header, code: 'AE', reason: result.error.message, error: HL7_ERROR_FOR[result.error.code], controlId: nextControlId(now), time: now });
    return { status: 400, code: 'AE', ack };
  }
  const msg = result.message;
  const raws = msg.readings.map((r) => ({ device: r.device, seq: idcoSeq(r.key), at: r.at, metric: r.metric, value: r.value, unit: r.unit }));
  const quarantine = msg.unmapped.map((u: UnmappedObservation) => ({
    code: QUARANTINE_CODE[u.reason] ?? 'bad_reading',
    message: `HL7 ${u.reason}: ${u.detail}`,
    raw: { device: msg.device, obx: u.raw, code: u.code, subId: u.subId, valueType: u.valueType },
  }));
  try {
    const counts = await service.ingest(gw, msg.header.controlId || null, raws, 'idco', { derivedSeq: true, quarantine });
    // Wrong patient: the sender's patient is not the one the device is enrolled to. The
    // readings are the device's and are kept; the patient page shows the warning.
    const differs = msg.patientBirthDate !== null && (await service.birthDateDiffers(gw, msg.device, msg.patientBirthDate));
    const reason = `accepted ${counts.accepted}, duplicates ${counts.duplicates}, rejected ${counts.rejected.length}, unmapped ${msg.unmapped.length}`;
    const warning = differs ? WRONG_PATIENT_WARNING : undefined;
    return { status: 200, code: 'AA', ack: buildAck({ received: msg.header, code: 'AA', reason, warning, controlId: nextControlId(now), time: now }) };
  } catch (err) {
    if (!(err instanceof ServiceError) || (err.code !== 'unavailable' && err.code !== 'rate_limited')) throw err;
    const ack = buildAck({ received: msg.header, code: 'AR', reason: err.message, controlId: nextControlId(now), time: now });
    return { status: err.code === 'rate_limited' ? 429 : 503, code: 'AR', ack, retryAfterMs: err.retryAfterMs };
  }
}
