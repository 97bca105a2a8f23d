import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

// Where `patient create` takes a patient's identity from. Not the command line: the
// arguments of a process are readable by every user of the machine (`ps`, /proc/N/cmdline)
// and stay in shell history. So: a JSON file, JSON on stdin, or prompts on a terminal.
// The old flags still work with --allow-argv-identifiers, with a warning.

export interface PatientIdentity {
  readonly familyName: string;
  readonly givenName: string;
  readonly dateOfBirth: string;
  readonly nhsNumber: string | null;
  readonly sex?: string;
}

/** The flags that put identity on the command line, and their fields. */
export const ARGV_IDENTITY_FLAGS = { family: 'familyName', given: 'givenName', dob: 'dateOfBirth', nhs: 'nhsNumber' } as const;
type ArgvFlag = keyof typeof ARGV_IDENTITY_FLAGS;

/** A refusal the CLI answers with its usage (exit 2); the message never repeats a value. */
export class IdentityUsageError extends Error {}

export const ARGV_REFUSAL =
  '--family, --given, --dob and --nhs put the patient\'s identity on the command line, where every user of this machine can ' +
  'read it (ps, /proc) and where it stays in shell history. Give it in a file (--identity-file FILE, JSON), on stdin ' +
  '(--identity-file -), or leave the identity options out on a terminal to be asked for each field. ' +
  '--allow-argv-identifiers accepts them anyway.';

export const ARGV_WARNING =
  'warning: the patient\'s identity was given on the command line (--family/--given/--dob/--nhs): other users of this ' +
  'machine could read it while the command ran, and it is in your shell history now. Use --identity-file or the prompts.';

/** The JSON of --identity-file: the fields of POST /v1/patients without `site`. */
const FIELDS = ['familyName', 'givenName', 'dateOfBirth', 'nhsNumber', 'sex'] as const;

/** 64 KiB: far more than one identity needs, and a mistaken path to a large file fails fast. */
const MAX_FILE_BYTES = 64 * 1024;

/** Parse the JSON of an identity file. Errors name fields, never their values. */
export function parseIdentityJson(text: string, source: string): PatientIdentity {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text: say only where it came from.
    throw new IdentityUsageError(`${source} is not JSON: expected {"familyName", "givenName", "dateOfBirth", "nhsNumber"?, "sex"?}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IdentityUsageError(`${source} must hold one JSON object`);
  const b = raw as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new IdentityUsageError(`${source}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${FIELDS.join(', ')})`);
  for (const k of ['familyName', 'givenName', 'dateOfBirth'] as const) {
    if (typeof b[k] !== 'string') throw new IdentityUsageError(`${source}: ${k} is required, a string`);
  }
  if (b.nhsNumber !== undefined && b.nhsNumber !== null && typeof b.nhsNumber !== 'string') {
    throw new IdentityUsageError(`${source}: nhsNumber must be a string (a number would lose leading zeros) or null`);
  }
  if (b.sex !== undefined && typeof b.sex !== 'string') throw new IdentityUsageError(`${source}: sex must be a string`);
  return {
    familyName: b.familyName as string,
    givenName: b.givenName as string,
    dateOfBirth: b.dateOfBirth as string,
    nhsNumber: typeof b.nhsNumber === 'string' && b.nhsNumber.trim() !== '' ? b.nhsNumber : null,
    ...(typeof b.sex === 'string' ? { sex: b.sex } : {}),
  };
}

export interface IdentitySources {
  /** --identity-file: a path, or `-` for stdin. */
  readonly identityFile?: string;
  /** The old flags, as parsed. */
  readonly argv: Partial<Record<ArgvFlag, string>>;
  readonly allowArgv: boolean;
  /** --sex: not an identifier, so it may stay on the command line. */
  readonly sex?: string;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

/** The identity from the one source given, or a usage error saying how to give it. */
export async function readPatientIdentity(s: IdentitySources): Promise<PatientIdentity> {
  const onArgv = (Object.keys(ARGV_IDENTITY_FLAGS) as ArgvFlag[]).filter((f) => s.argv[f] !== undefined);
  let identity: PatientIdentity;
  if (onArgv.length > 0) {
    if (s.identityFile !== undefined) throw new IdentityUsageError(`give the identity in --identity-file or in --${onArgv.join('/--')}, not both`);
    if (!s.allowArgv) throw new IdentityUsageError(ARGV_REFUSAL);
    s.stderr.write(`${ARGV_WARNING}\n`);
    const { family, given, dob, nhs } = s.argv;
    if (family === undefined || given === undefined || dob === undefined) throw new IdentityUsageError('--family, --given and --dob go together');
    identity = { familyName: family, givenName: given, dateOfBirth: dob, nhsNumber: nhs ?? null };
  } else if (s.identityFile !== undefined) {
    const fromStdin = s.identityFile === '-';
    const source = fromStdin ? 'stdin' : `--identity-file ${s.identityFile}`;
    const text = fromStdin ? await readAll(s.stdin) : await readSmallFile(s.identityFile);
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new IdentityUsageError(`${source} is over ${MAX_FILE_BYTES} bytes`);
    identity = parseIdentityJson(text, source);
  } else if (s.stdin.isTTY) {
    identity = await promptIdentity(s.stdin, s.stderr);
  } else {
    throw new IdentityUsageError('no identity given: pass --identity-file FILE (JSON), --identity-file - (JSON on stdin), or run on a terminal to be asked');
  }
  if (s.sex !== undefined) {
    if (identity.sex !== undefined && identity.sex !== s.sex) throw new IdentityUsageError('sex is given both in the identity and as --sex, differently');
    identity = { ...identity, sex: s.sex };
  }
  return identity;
}

async function readSmallFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new IdentityUsageError(`cannot read --identity-file ${path} (${code})`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_FILE_BYTES) throw new IdentityUsageError(`stdin is over ${MAX_FILE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Ask for each field on the terminal (prompts on stderr, so stdout stays the command's answer). */
async function promptIdentity(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<PatientIdentity> {
  const rl = createInterface({ input, output, terminal: true, historySize: 0 });
  let closed = false;
  const ended = new Promise<never>((_, reject) =>
    rl.once('close', () => {
      closed = true;
      reject(new IdentityUsageError('cancelled: the input ended before the identity was complete'));
    }),
  );
  ended.catch(() => undefined);
  const ask = (q: string) => Promise.race([new Promise<string>((resolve) => rl.question(q, resolve)), ended]);
  try {
    const familyName = await ask('family name: ');
    const givenName = await ask('given name: ');
    const dateOfBirth = await ask('date of birth (YYYY-MM-DD): ');
    const nhs = (await ask('NHS number (Enter for none): ')).trim();
    return { familyName, givenName, dateOfBirth, nhsNumber: nhs === '' ? null : nhs };
  } finally {
    if (!closed) rl.close();
  }
}
