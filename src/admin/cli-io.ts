// What the admin CLI reads from stdin or prints by itself, apart from its commands' results:
// a password (never from the command line), a new export key; and its own usage error.
import { generateExportKey } from '../config/export-key.ts';

/** A command given wrongly: its usage is printed, exit code 2. */
export class UsageError extends Error {}

/** The key alone on stdout, so `$(npm run --silent admin -- export-key generate)` captures it; the advice on stderr. */
export function printExportKey(): void {
  console.log(generateExportKey());
  console.error(
    [
      'A new export key (256 random bits) is printed above. Store it in your secret store and',
      'set it as EXPORT_KEY wherever the service and `npm run export` run (EXPORT_KEY=<the key>).',
      'To capture it without showing it: EXPORT_KEY="$(npm run --silent admin -- export-key generate)"',
      'Keep it outside the database and use the same key for every export of one trial: a new',
      'key gives every subject a new pseudonym and date shift.',
    ].join('\n'),
  );
}

/** The whole of stdin, less one trailing newline (as `echo` or a password manager leaves it). */
export async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (end with Enter, then Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
