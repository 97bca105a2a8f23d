// The HL7 original-mode acknowledgement for a received message. Pure: the caller gives the
// reply's own control id and time.
import { DEFAULT_ENCODING, encodingCharacters, escapeHl7, type Encoding } from './escape.ts';
import type { MessageHeader } from './header.ts';
import type { IdcoErrorCode } from './mapping.ts';
import { formatHl7Time } from './timestamp.ts';

/** AA accepted and committed; AE the message cannot be used; AR not processed, resend later. */
export type AckCode = 'AA' | 'AE' | 'AR';

/** HL7 table 0357, the codes ERR-3 uses. */
export const HL7_ERRORS = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '207': 'Application internal error',
} as const;
export type Hl7ErrorCode = keyof typeof HL7_ERRORS;

/** The ERR-3 code for each reason a message cannot be used. */
export const HL7_ERROR_FOR: Readonly<Record<IdcoErrorCode, Hl7ErrorCode>> = {
  empty: '100',
  not_hl7: '100',
  bad_encoding: '102',
  unsupported_message: '200',
  no_device: '101',
};

export interface AckInput {
  /** Header of the received message; null when it could not be parsed at all. */
  readonly received: MessageHeader | null;
  readonly code: AckCode;
  /** Readable reason, required in practice for AE and AR: MSA-3 and ERR-8. */
  readonly reason?: string;
  /** AA only: a warning for the sender's staff, sent as an ERR segment of severity W. */
  readonly warning?: string;
  /** ERR-3 code; defaults to 207 (application internal error) for AE and AR. */
  readonly error?: Hl7ErrorCode;
  /** MSH-10 of the reply itself. */
  readonly controlId: string;
  /** MSH-7 of the reply, epoch milliseconds. */
  readonly time: number;
  /** This service's MSH-3 / MSH-4 when the received message did not address it in MSH-5 / MSH-6. */
  readonly application?: string;
  readonly facility?: string;
}

/** MSA-3 is 80 characters long in v2.5; ERR-8 250. */
const MSA3_MAX = 80;
const ERR8_MAX = 250;

function complete(enc: Encoding): boolean {
  return enc.component !== '' && enc.repetition !== '' && enc.escape !== '' && enc.subcomponent !== '';
}

/** Build the ACK, segments ended by CR. Never throws. */
export function buildAck(input: AckInput): string {
  const r = input.received;
  // Reply in the sender's own delimiters, so that its raw fields can be echoed unchanged.
  const useReceived = r !== null && complete(r.encoding);
  const enc = useReceived ? r.encoding : DEFAULT_ENCODING;
  const esc = (text: string): string => escapeHl7(text, enc);
  // A field of the received header: verbatim in its own delimiters, otherwise re-escaped.
  const echo = (rawText: string, readableText: string): string => (useReceived ? rawText : esc(readableText));

  const ourApp = r && r.raw.receivingApplication !== ''
    ? echo(r.raw.receivingApplication, r.receivingApplication) : esc(input.application ?? '');
  const ourFacility = r && r.raw.receivingFacility !== ''
    ? echo(r.raw.receivingFacility, r.receivingFacility) : esc(input.facility ?? '');
  const theirApp = r ? echo(r.raw.sendingApplication, r.sendingApplication) : '';
  const theirFacility = r ? echo(r.raw.sendingFacility, r.sendingFacility) : '';
  const trigger = r?.triggerEvent ? `ACK${enc.component}${esc(r.triggerEvent)}${enc.component}ACK` : 'ACK';
  const processing = r?.processingId ? echo(r.raw.processingId, r.processingId) : 'P';
  const version = r?.version ? echo(r.raw.version, r.version) : '2.5';
  const receivedId = r ? echo(r.raw.controlId, r.controlId) : '';

  const f = enc.field;
  const msh = ['MSH', encodingCharacters(enc), ourApp, ourFacility, theirApp, theirFacility,
    formatHl7Time(input.time), '', trigger, esc(input.controlId), processing, version].join(f);
  const segments = [msh];
  const reason = (input.reason ?? '').replace(/\s+/g, ' ').trim();
  if (input.code === 'AA') {
    // MSA-3 is optional on AA; when given it tells the sender's engineer what was kept.
    segments.push((reason ? ['MSA', 'AA', receivedId, esc(reason.slice(0, MSA3_MAX))] : ['MSA', 'AA', receivedId]).join(f));
    const warning = (input.warning ?? '').replace(/\s+/g, ' ').trim();
    if (warning) {
      // ERR-3 0 "Message accepted" (HL7 table 0357), ERR-4 W (warning, table 0516).
      const accepted = ['0', esc('Message accepted'), 'HL70357'].join(enc.component);
      segments.push(['ERR', '', '', accepted, 'W', '', '', '', esc(warning.slice(0, ERR8_MAX))].join(f));
    }
  } else {
    const text = reason || (input.code === 'AR' ? 'message not processed; resend later' : 'message cannot be used');
    segments.push(['MSA', input.code, receivedId, esc(text.slice(0, MSA3_MAX))].join(f));
    const error = input.error ?? '207';
    const errCode = [error, esc(HL7_ERRORS[error]), 'HL70357'].join(enc.component);
    segments.push(['ERR', '', '', errCode, 'E', '', '', '', esc(text.slice(0, ERR8_MAX))].join(f));
  }
  return segments.map((s) => `${s}\r`).join('');
}
