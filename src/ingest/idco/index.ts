// The IDCO ingest surface that transports (HTTP, MLLP) use. Everything here is pure.
export { readIdco, mapIdco } from './mapping.ts';
export type {
  IdcoReading, IdcoMessage, IdcoResult, IdcoError, IdcoErrorCode, IdcoOptions,
  UnmappedObservation, UnmappedReason, DeviceInfo,
} from './mapping.ts';
export type { IdcoImplant, ObxNote } from './implant.ts';
export { buildAck, HL7_ERROR_FOR, HL7_ERRORS } from './ack.ts';
export type { AckCode, AckInput, Hl7ErrorCode } from './ack.ts';
export { MllpDecoder, encodeMllp, DEFAULT_MLLP_MAX_BYTES } from './mllp.ts';
export type { MllpEvent, MllpErrorCode, MllpDecoderOptions } from './mllp.ts';
export { parseHl7 } from './hl7.ts';
export type { Hl7Message, Hl7ParseResult, Segment } from './hl7.ts';
export type { MessageHeader } from './header.ts';
export { parseHl7Time, toRfc3339 } from './timestamp.ts';
