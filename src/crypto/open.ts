// The vault as the service and the command line open it: the keyring from configuration
// (made first in development), its permissions checked, the shared data keys ready.
import type { KeysConfig } from '../config/keys.ts';
import type { Db } from '../store/db.ts';
import { ensureDevelopmentKeyring, readableByOthers, readKeyring } from './keyring.ts';
import { Vault } from './vault.ts';

export async function openVault(db: Db, keys: KeysConfig, log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }): Promise<Vault> {
  if (keys.development && ensureDevelopmentKeyring(keys.masterKeyFile, new Date())) {
    // Not a warning: production cannot get here (it refuses to start without MASTER_KEY_FILE).
    log.info({ file: keys.masterKeyFile }, 'MASTER_KEY_FILE unset: made a development master key; in production set MASTER_KEY_FILE to a key kept apart from the database and its backups');
  }
  const keyring = readKeyring(keys.masterKeyFile);
  if (readableByOthers(keys.masterKeyFile)) {
    log.warn({ file: keys.masterKeyFile }, 'the master key file is readable by other users: chmod 600 it');
  }
  return Vault.open(db, keyring);
}
