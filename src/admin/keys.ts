// `npm run admin -- keys ...`: the master keys of encryption at rest.
import type { Config } from '../config/index.ts';
import type { Db } from '../store/db.ts';
import { appendKey, readKeyring } from '../crypto/keyring.ts';
import { rotateMasterKey, type RotationProgress } from '../crypto/rotate.ts';
import { dataKeysByMaster } from '../store/data-keys.ts';
import { countPlain } from '../store/sealing.ts';

export const KEYS_USAGE = `  keys new [--file FILE]                   add a new master key to MASTER_KEY_FILE (or FILE) and make
                                           it the current one; the service reads it without a restart
  keys rotate [--batch N]                  re-wrap every data key under the current master key, in
                                           batches, while the service runs (resumable; a progress bar
                                           on a terminal); after it, older keys may leave the file
  keys status [--json]                     data keys per master key, and anything not sealed yet`;

/** A progress bar on a terminal, a line per tenth otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream, what: string): (p: RotationProgress) => void {
  let lastTenth = -1;
  return ({ done, total }) => {
    const frac = total === 0 ? 1 : done / total;
    if (stream.isTTY) {
      const width = 30;
      const full = Math.round(frac * width);
      stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${what}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(frac * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      stream.write(`${done}/${total} ${what} (${Math.round(frac * 100)} %)\n`);
    }
  };
}

/** `keys new`: needs no database. Answers the new key's id. */
export function keysNew(config: Config, file: string | undefined): string {
  const target = file ?? config.keys.masterKeyFile;
  const id = appendKey(target, new Date());
  return id;
}

export async function keysRotate(db: Db, config: Config, batch: number, json: boolean): Promise<number> {
  const keyring = readKeyring(config.keys.masterKeyFile);
  const result = await rotateMasterKey(db, keyring, batch, progressPrinter(process.stderr, 'data keys re-wrapped'));
  const others = result.byMaster.filter((r) => r.master_key_id !== keyring.current.id);
  if (json) console.log(JSON.stringify({ current: keyring.current.id, ...result }));
  else if (others.length === 0) {
    console.log(`every data key is wrapped under "${keyring.current.id}" (${result.rewrapped} re-wrapped); the older master keys may now leave ${keyring.file}`);
  } else {
    console.log(`some data keys are still under ${others.map((o) => `"${o.master_key_id}" (${o.keys})`).join(', ')}: run keys rotate again`);
  }
  return others.length === 0 ? 0 : 1;
}

export async function keysStatus(db: Db, config: Config, json: boolean): Promise<void> {
  const keyring = readKeyring(config.keys.masterKeyFile);
  const byMaster = await dataKeysByMaster(db);
  const plain = await countPlain(db);
  if (json) {
    console.log(JSON.stringify({ current: keyring.current.id, keyringIds: [...keyring.byId.keys()], byMaster, plain }));
    return;
  }
  console.log(`current master key: ${keyring.current.id} (${keyring.byId.size} in ${keyring.file})`);
  for (const r of byMaster) console.log(`  ${r.master_key_id}: ${r.keys} data keys${r.master_key_id === keyring.current.id ? ' (current)' : keyring.byId.has(r.master_key_id) ? '' : ' (NOT IN THE FILE: these cannot be opened)'}`);
  console.log(`not sealed yet: ${plain.patients} patients, ${plain.comments} comments (the service seals them at start)`);
}
