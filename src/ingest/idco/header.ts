// What the MSH segment says about a message, in the two forms callers need: readable
// values for logs and routing, raw field text for echoing back in the ACK.
import { rawField, value, type Encoding, type Hl7Message } from './hl7.ts';

export interface MessageHeader {
  readonly encoding: Encoding;
  /** MSH-3 / MSH-4 / MSH-5 / MSH-6, first component, unescaped. */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  /** MSH-9 as written, e.g. `ORU^R01^ORU_R01`, unescaped per component. */
  readonly messageType: string;
  /** MSH-9.1 and MSH-9.2, e.g. `ORU` and `R01`. */
  readonly messageCode: string;
  readonly triggerEvent: string;
  /** MSH-10, the sender's message control id, which the ACK returns in MSA-2. */
  readonly controlId: string;
  /** MSH-11 processing id (`P` production, `T` training, `D` debugging). */
  readonly processingId: string;
  /** MSH-12 version id, e.g. `2.5`. */
  readonly version: string;
  /** MSH-7 as written. */
  readonly time: string;
  /** The same fields exactly as received (still escaped), for the ACK. */
  readonly raw: {
    readonly sendingApplication: string;
    readonly sendingFacility: string;
    readonly receivingApplication: string;
    readonly receivingFacility: string;
    readonly controlId: string;
    readonly processingId: string;
    readonly version: string;
  };
}

/** Read the header of a parsed message; undefined only if its first segment is not MSH. */
export function readHeader(msg: Hl7Message): MessageHeader | undefined {
  const msh = msg.segments[0];
  if (!msh || msh.id !== 'MSH') return undefined;
  const enc = msg.encoding;
  const typeParts = [1, 2, 3].map((c) => value(msh, enc, 9, c));
  while (typeParts.length > 0 && typeParts[typeParts.length - 1] === '') typeParts.pop();
  return {
    encoding: enc,
    sendingApplication: value(msh, enc, 3),
    sendingFacility: value(msh, enc, 4),
    receivingApplication: value(msh, enc, 5),
    receivingFacility: value(msh, enc, 6),
    messageType: typeParts.join('^'),
    messageCode: value(msh, enc, 9, 1).trim(),
    triggerEvent: value(msh, enc, 9, 2).trim(),
    controlId: value(msh, enc, 10),
    processingId: value(msh, enc, 11).trim(),
    version: value(msh, enc, 12).trim(),
    time: value(msh, enc, 7).trim(),
    raw: {
      sendingApplication: rawField(msh, 3),
      sendingFacility: rawField(msh, 4),
      receivingApplication: rawField(msh, 5),
      receivingFacility: rawField(msh, 6),
      controlId: rawField(msh, 10),
      processingId: rawField(msh, 11),
      version: rawField(msh, 12),
    },
  };
}
