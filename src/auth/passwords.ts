import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Passwords are hashed with scrypt (memory-hard, in node:crypto). The stored form
// carries its parameters, `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url), so
// they can be raised later without invalidating existing hashes.

export const MIN_PASSWORD_LENGTH = 12;
/** Beyond this the input is not a password but an attempt to make scrypt hash megabytes. */
export const MAX_PASSWORD_LENGTH = 1024;

export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/**
 * scrypt runs on libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE says otherwise),
 * which file reads, DNS and zlib share: a burst of sign-ins must not take all of it.
 */
export const MAX_CONCURRENT_HASHES = 3;
/** Sign-ins waiting for a hash beyond this are refused (503) rather than left to pile up. */
export const MAX_QUEUED_HASHES = 16;

/** Thrown by verifyPassword when MAX_QUEUED_HASHES sign-ins are already waiting. */
export class HashesBusyError extends Error {
  constructor() {
    super('too many password hashes waiting');
    this.name = 'HashesBusyError';
  }
}

/** At most `maxRunning` tasks at a time, first come first served. */
export class HashGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** True when a bounded run() would be refused now. */
  get full(): boolean {
    return this.running >= this.maxRunning && this.waiting.length >= this.maxWaiting;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** `bounded`: refuse with HashesBusyError instead of queueing beyond maxWaiting. */
  async run<T>(task: () => Promise<T>, bounded: boolean): Promise<T> {
    if (this.running < this.maxRunning) this.running++;
    else {
      if (bounded && this.waiting.length >= this.maxWaiting) throw new HashesBusyError();
      // The finishing task hands its slot over, so `running` is not decremented in between.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** Process-wide: every scrypt of this process goes through it. */
export const hashGate = new HashGate(MAX_CONCURRENT_HASHES, MAX_QUEUED_HASHES);

let computed = 0;

/** scrypt derivations started by this process; tests read it to count evaluated sign-ins. */
export function hashesComputed(): number {
  return computed;
}

function derive(password: string, salt: Buffer, { logN, r, p }: ScryptParams, bounded = false): Promise<Buffer> {
  const N = 2 ** logN;
  // scrypt needs 128·N·r bytes; node's default cap (32 MiB) is exactly N=2^15, r=8.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return hashGate.run(() => {
    computed++;
    return new Promise<Buffer>((resolve, reject) =>
      scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
    );
  }, bounded);
}

/** Why the password is not acceptable, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return null;
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a corrupted row from asking for gigabytes of memory.
  if (params.logN < 10 || params.logN > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  const key = Buffer.from(m[5]!, 'base64url');
  if (key.length < 16) return null;
  return { params, salt: Buffer.from(m[4]!, 'base64url'), key };
}

/**
 * True when the password matches the stored hash; false for a malformed hash. Throws
 * HashesBusyError when too many verifications are already waiting: sign-in is what
 * anonymous callers can make this process hash, so its queue is the bounded one.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await derive(password, parsed.salt, parsed.params, true);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | null = null;

/**
 * A hash of no one's password, to verify against when the account does not exist,
 * so that an unknown email takes as long to refuse as a wrong password.
 */
export function dummyHash(): Promise<string> {
  // A failed attempt is not kept, or every later unknown email would fail with it.
  dummy ??= hashPassword(randomBytes(24).toString('base64url')).catch((err: unknown) => {
    dummy = null;
    throw err;
  });
  return dummy;
}
