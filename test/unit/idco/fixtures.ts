import { readFileSync } from 'node:fs';

/** A message of test/fixtures/idco, as the bytes a transport would receive. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/idco/${name}`, import.meta.url));
}

/** A minimal valid ORU^R01 around the given OBX segments (written with `\n`, sent with `sep`). */
export function oru(obx: readonly string[], options: { msh7?: string; sep?: string; pid?: string } = {}): string {
  const lines = [
    `MSH|^~\\&|VENDOR|VFAC|CARDIOTEL|CLINIC|${options.msh7 ?? '20260304020000+0000'}||ORU^R01^ORU_R01|CTRL-1|P|2.5`,
    options.pid ?? 'PID|||model:M1/serial:SN1^^^MDT^U',
    'OBR|1||1|Remote Follow-up',
    ...obx,
  ];
  return lines.join(options.sep ?? '\r');
}
