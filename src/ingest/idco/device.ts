// The service's device id for an IDCO message: `<MANUFACTURER>-<serial>`, e.g. `MDT-PZC600368S`,
// the same id a gateway streaming the same implant over WebSocket would use.

export const DEVICE_ID_MAX = 64;

/** Manufacturer names that senders spell out, to the code the IDC nomenclature uses. */
const MANUFACTURER_CODES: Readonly<Record<string, string>> = {
  'MEDTRONIC': 'MDT',
  'BOSTON SCIENTIFIC': 'BSX',
  'BIOTRONIK': 'BIO',
  'ST JUDE': 'STJ',
  'ST JUDE MEDICAL': 'STJ',
  'SAINT JUDE MEDICAL': 'STJ',
};

/** Replace every run of characters outside the device-id alphabet by `_`, trim `_` at the ends. */
export function normaliseIdPart(text: string): string {
  return text.trim().replace(/[^A-Za-z0-9._:-]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * A manufacturer code from what OBX MDC_IDC_DEV_MFG or PID-3.4 carries: the suffix of an
 * MDC enumeration reference id (`MDC_IDC_ENUM_MFG_STJ` gives `STJ`), a known vendor name,
 * or the value itself, upper-cased.
 */
export function manufacturerCode(candidates: readonly string[]): string {
  for (const candidate of candidates) {
    const text = candidate.trim();
    const enumMatch = /^MDC_IDC_ENUM_MFG_(.+)$/i.exec(text);
    if (enumMatch?.[1]) return normaliseIdPart(enumMatch[1]).toUpperCase();
  }
  for (const candidate of candidates) {
    const text = candidate.trim();
    // A bare numeric enumeration code says nothing readable; look at the next candidate.
    if (text === '' || /^\d+$/.test(text)) continue;
    const named = MANUFACTURER_CODES[text.toUpperCase().replace(/[.,]/g, '').replace(/\s+/g, ' ')];
    return named ?? normaliseIdPart(text).toUpperCase();
  }
  return '';
}

export type DeviceIdResult =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly reason: string };

/** Build the device id; a missing manufacturer leaves the serial alone. */
export function deviceId(manufacturer: string, serial: string): DeviceIdResult {
  const s = normaliseIdPart(serial);
  if (s === '') return { ok: false, reason: 'the message names no device serial number (OBX MDC_IDC_DEV_SERIAL or PID-3 serial:)' };
  const m = normaliseIdPart(manufacturer).toUpperCase();
  const id = m === '' ? s : `${m}-${s}`;
  if (id.length > DEVICE_ID_MAX) {
    return { ok: false, reason: `device id ${JSON.stringify(id.slice(0, 80))} is longer than ${DEVICE_ID_MAX} characters` };
  }
  return { ok: true, id };
}

/** PID-3 identifiers of the form `model:X/serial:Y` (IHE PCD-09), any order, any repetition. */
export function parsePid3Identifier(text: string): { model: string; serial: string } | undefined {
  const model = /(?:^|\/)\s*model:([^/]*)/i.exec(text)?.[1]?.trim() ?? '';
  const serial = /(?:^|\/)\s*serial:([^/]*)/i.exec(text)?.[1]?.trim() ?? '';
  return model === '' && serial === '' ? undefined : { model, serial };
}
