// The master keys of encryption at rest: where the keyring file is, and whether it is the
// development one the service may make itself.

export interface KeysConfig {
  /** The keyring file (src/crypto/keyring.ts): `<id> <base64 key>` lines, the last current. */
  readonly masterKeyFile: string;
  /** MASTER_KEY_FILE unset outside production: the file is made at first start (0600). */
  readonly development: boolean;
}

export const DEV_MASTER_KEY_FILE = './data/master.keys';

export function parseKeys(
  raw: string | null,
  production: boolean,
  resolvePath: (p: string) => string,
  issues: Array<{ variable: string; problem: string }>,
): KeysConfig {
  if (raw === null && production) {
    issues.push({ variable: 'MASTER_KEY_FILE', problem: 'required when NODE_ENV=production: patients\' identifiers are encrypted under it (create one with `npm run admin -- keys new --file <path>`)' });
  }
  return { masterKeyFile: resolvePath(raw ?? DEV_MASTER_KEY_FILE), development: raw === null };
}
