// The environment variables the service reads: each one's kind, default, limits and the
// sentence the README's table carries (test/unit/config checks the README lists them all).
import { EXPORT_KEY_MIN_BITS, EXPORT_KEY_MIN_LENGTH } from './export-key.ts';

export interface IntVar {
  kind: 'int';
  def: number;
  min: number;
  max: number;
  doc: string;
}
export interface StrVar {
  kind: 'string';
  def: string | null;
  doc: string;
  choices?: readonly string[];
}
type Var = IntVar | StrVar;

const MiB = 1024 * 1024;

/** The documented variables, their defaults and limits. */
export const VARS = {
  HOST: { kind: 'string', def: '127.0.0.1', doc: 'address to listen on' },
  PORT: { kind: 'int', def: 3000, min: 0, max: 65535, doc: 'HTTP and WebSocket port (0 = any free port)' },
  TRUST_PROXY: { kind: 'string', def: null, doc: 'behind a reverse proxy: its addresses or CIDRs, comma-separated (or the number of proxy hops), whose X-Forwarded-For gives the client address the sign-in limit counts; unset = trust no proxy' },
  DATABASE_URL: { kind: 'string', def: null, doc: 'PostgreSQL connection string; unset = embedded PostgreSQL' },
  DATABASE_LISTEN_URL: { kind: 'string', def: null, doc: 'connection string of the one LISTEN connection (notifications from other instances); it must reach PostgreSQL directly, never through a transaction-pooling PgBouncer; unset = DATABASE_URL' },
  DATA_DIR: { kind: 'string', def: './data/pg', doc: 'embedded PostgreSQL data directory (kept across restarts)' },
  EMBEDDED_PG_PORT: { kind: 'int', def: 54329, min: 1, max: 65535, doc: 'port of the embedded PostgreSQL' },
  LOG_LEVEL: { kind: 'string', def: 'info', doc: 'pino log level', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  LOG_FORMAT: { kind: 'string', def: null, doc: '`pretty` (human-readable lines) or `json` (one JSON object a line); unset = pretty on a terminal, JSON otherwise', choices: ['json', 'pretty'] },
  INGEST_MAX_FRAME_BYTES: { kind: 'int', def: MiB, min: 1024, max: 64 * MiB, doc: 'largest WebSocket frame; bigger closes the socket with 1009' },
  INGEST_MAX_BODY_BYTES: { kind: 'int', def: MiB, min: 1024, max: 64 * MiB, doc: 'largest HTTP body; bigger is answered 413' },
  INGEST_MAX_BATCH: { kind: 'int', def: 5000, min: 1, max: 5000, doc: 'most readings in one batch (the protocol allows 5,000)' },
  INGEST_FLUSH_ROWS: { kind: 'int', def: 2000, min: 1, max: 100_000, doc: 'group commit: rows that trigger a flush' },
  INGEST_FLUSH_MS: { kind: 'int', def: 4, min: 0, max: 1000, doc: 'group commit: longest wait before a flush, ms' },
  INGEST_MAX_QUEUED_ROWS: { kind: 'int', def: 100_000, min: 100, max: 10_000_000, doc: 'queued rows before new batches get `unavailable`' },
  INGEST_WRITERS: { kind: 'int', def: 2, min: 1, max: 16, doc: 'flushes in flight at once' },
  INGEST_RETRY_AFTER_MS: { kind: 'int', def: 2000, min: 100, max: 600_000, doc: '`retryAfterMs` advised with `unavailable`' },
  INGEST_PING_MS: { kind: 'int', def: 30_000, min: 100, max: 600_000, doc: 'WebSocket ping interval' },
  INGEST_IDLE_MS: { kind: 'int', def: 60_000, min: 200, max: 3_600_000, doc: 'drop a gateway silent this long' },
  INGEST_MAX_SOCKETS: { kind: 'int', def: 50_000, min: 1, max: 1_000_000, doc: 'gateway WebSockets one instance holds at once (about 4 KiB of memory each when idle); an upgrade beyond is answered 503 `unavailable` with Retry-After. Lowered at start (and logged) to what the open-files limit leaves after 1,024 + DB_POOL_SIZE + MLLP_MAX_CONNECTIONS (with MLLP on) descriptors for everything else' },
  INGEST_FUTURE_TOLERANCE_MS: { kind: 'int', def: 24 * 3600 * 1000, min: 0, max: 7 * 24 * 3600 * 1000, doc: 'how far ahead of the clock `at` may be' },
  GATEWAY_RATE_LIMIT: { kind: 'int', def: 200_000, min: 0, max: 100_000_000, doc: 'readings/s per gateway (token bucket shared by every instance); 0 = no limit' },
  GATEWAY_RATE_BURST: { kind: 'int', def: 400_000, min: 1, max: 100_000_000, doc: 'token bucket size per gateway, readings' },
  DB_POOL_SIZE: { kind: 'int', def: 10, min: 2, max: 200, doc: 'PostgreSQL connections' },
  DB_STATEMENT_TIMEOUT_MS: { kind: 'int', def: 15_000, min: 100, max: 600_000, doc: 'longest a statement may run' },
  DB_CONNECT_TIMEOUT_MS: { kind: 'int', def: 3000, min: 100, max: 60_000, doc: 'longest to wait for a connection' },
  IDCO_MAX_BYTES: { kind: 'int', def: 8 * MiB, min: 1024, max: 64 * MiB, doc: 'largest HL7 IDCO message (HTTP body or MLLP frame)' },
  MLLP_PORT: { kind: 'string', def: null, doc: 'port of the HL7 MLLP listener; unset = no listener, 0 = any free port' },
  MLLP_HOST: { kind: 'string', def: '127.0.0.1', doc: 'address of the MLLP listener' },
  MLLP_GATEWAY_KEY: { kind: 'string', def: null, doc: 'gateway key whose site MLLP messages belong to; required with MLLP_PORT' },
  MLLP_ALLOW: { kind: 'string', def: null, doc: 'addresses or CIDRs (comma-separated) of the interface engines allowed to connect over MLLP; unset = loopback only, and required when MLLP_HOST is not a loopback address' },
  MLLP_MAX_CONNECTIONS: { kind: 'int', def: 16, min: 1, max: 10_000, doc: 'MLLP connections open at once; more are closed on connect' },
  MLLP_IDLE_MS: { kind: 'int', def: 120_000, min: 100, max: 86_400_000, doc: 'close an MLLP connection silent this long, ms (a frame left unfinished included)' },
  IDCO_MAX_SEGMENTS: { kind: 'int', def: 5000, min: 10, max: 1_000_000, doc: 'most segments in one HL7 IDCO message, counted before parsing; more is answered AE' },
  SESSION_IDLE_MINUTES: { kind: 'int', def: 30, min: 1, max: 24 * 60, doc: 'a clinician session ends after this long without a request' },
  SESSION_MAX_HOURS: { kind: 'int', def: 12, min: 1, max: 30 * 24, doc: 'a clinician session ends this long after sign-in, however active' },
  COOKIE_SECURE: { kind: 'string', def: null, doc: 'mark the session cookie Secure and accept only https origins; unset = true when TLS is on, false otherwise (set true behind a TLS-terminating proxy)', choices: ['true', 'false'] },
  NODE_ENV: { kind: 'string', def: null, doc: '`production` refuses development secrets: the service starts only with TLS_CERT_FILE and TLS_KEY_FILE (not TLS=dev or its certificate) and a MASTER_KEY_FILE' },
  TLS: { kind: 'string', def: null, choices: ['dev'], doc: '`dev`: serve a self-signed development certificate for localhost, made on first start into `tls/` beside DATA_DIR (files 0600); unset = TLS when TLS_CERT_FILE and TLS_KEY_FILE are set, plain otherwise' },
  TLS_CERT_FILE: { kind: 'string', def: null, doc: 'PEM certificate (leaf first, then its intermediates) for HTTPS, WSS and MLLP; with TLS_KEY_FILE turns TLS on; a renewed file is loaded without a restart' },
  TLS_KEY_FILE: { kind: 'string', def: null, doc: 'PEM private key (unencrypted) of TLS_CERT_FILE' },
  TLS_CLIENT_CA_FILE: { kind: 'string', def: null, doc: 'PEM of the CA that signs the client certificates of MLLP senders (mutual TLS)' },
  TLS_WATCH_MS: { kind: 'int', def: 5000, min: 100, max: 3_600_000, doc: 'how often the certificate, key and client CA files are checked for a change' },
  HSTS_MAX_AGE: { kind: 'int', def: 31_536_000, min: 0, max: 63_072_000, doc: 'Strict-Transport-Security max-age (seconds) on every HTTPS answer; 0 = no header; unset with TLS=dev = 0' },
  MLLP_TLS: { kind: 'string', def: null, choices: ['on', 'off'], doc: 'MLLP over TLS; unset = on when TLS is on' },
  MLLP_CLIENT_CERT: { kind: 'string', def: null, choices: ['required', 'optional', 'off'], doc: 'client certificates on the MLLP listener: required (mutual TLS), optional (checked when presented), off; unset = required when TLS_CLIENT_CA_FILE is set, off otherwise' },
  ENGINE_SCORING: { kind: 'string', def: 'on', doc: 'off stores readings unscored and raises no alert: only to measure ingest alone (bench:engine), never for patients', choices: ['on', 'off'] },
  ENGINE_STATE_IDLE_MS: { kind: 'int', def: 3_600_000, min: 1000, max: 7 * 24 * 3_600_000, doc: 'a device\'s engine state leaves memory after this long without a reading (wall clock), saved first; its next reading loads it again' },
  ENGINE_SNAPSHOT_DAYS: { kind: 'int', def: 7, min: 1, max: 365, doc: 'event days between snapshots of a device\'s engine state (a restart or a late reading replays at most about this much)' },
  ENGINE_LEASE_TTL_MS: { kind: 'int', def: 10_000, min: 1000, max: 600_000, doc: 'an instance that has not renewed its row this long is declared dead by the next instance that needs one of its devices (a killed process is noticed at once, by its LISTEN connection)' },
  ENGINE_LEASE_WAIT_MS: { kind: 'int', def: 5000, min: 0, max: 120_000, doc: 'how long a batch waits for another instance to hand one of its devices over before it is answered `unavailable` (resend)' },
  ENGINE_CONNECTIVITY_CHECK_MS: { kind: 'int', def: 60_000, min: 100, max: 3_600_000, doc: 'how often devices are checked for connectivity_loss' },
  ALERT_ESCALATION_MINUTES: { kind: 'int', def: 15, min: 1, max: 24 * 60, doc: 'an open high alert unacknowledged this long (wall-clock) is escalated, and again after each further period' },
  ALERT_STREAM_MAX_BUFFER_BYTES: { kind: 'int', def: 1_048_576, min: 1024, max: 64 * 1_048_576, doc: 'a dashboard stream that leaves more than this unsent is closed (4008): it stopped reading' },
  ALERT_STREAM_SESSION_CHECK_MS: { kind: 'int', def: 60_000, min: 100, max: 3_600_000, doc: 'how often an open alert stream re-checks its session; an ended session closes it (4001)' },
  ALERT_STREAM_POLL_MS: { kind: 'int', def: 1000, min: 100, max: 600_000, doc: 'how often alert streams look for changes committed by other instances in case a notification was missed (they are notified at once otherwise)' },
  ALERT_ESCALATION_CHECK_MS: { kind: 'int', def: 30_000, min: 100, max: 3_600_000, doc: 'how often alerts are checked for escalation' },
  ALERT_SNOOZE_MAX_HOURS: { kind: 'int', def: 7 * 24, min: 1, max: 30 * 24, doc: 'the longest snooze a clinician may set' },
  EXPORT_KEY: { kind: 'string', def: null, doc: `the trial's export key: keys the subject pseudonyms and date shifts of the de-identified export; unset = exports refused. At least ${EXPORT_KEY_MIN_LENGTH} characters and at least ${EXPORT_KEY_MIN_BITS} bits by a conservative estimate (length × the lesser of the entropy of its characters and of the steps between them), so repeated characters, runs and repeated blocks are refused; \`npm run admin -- export-key generate\` prints a 256-bit key that passes` },
  EXPORT_MIN_CELL: { kind: 'int', def: 5, min: 1, max: 1000, doc: 'small-cell protection of the export: each combination of site, device type, sex and age band in `enrolled` rows is shared by at least this many subjects (bands widened, then values withheld as `*`); 1 = off' },
  EXPORT_SHIFT: { kind: 'string', def: 'days', choices: ['days', 'seconds'], doc: 'date shift of the export: `days` (contract v1: whole days, time of day kept) or `seconds` (whole seconds within ±180 days, so events the service stamped at one instant never line up across subjects; times of day are not kept)' },
  MASTER_KEY_FILE: { kind: 'string', def: null, doc: 'file of the master keys that wrap the data keys sealing patients\' identifiers and comments (`<id> <base64 32 bytes>` a line, the last one current; mode 0600); unset = `./data/master.keys`, made at first start, refused when NODE_ENV=production' },
  SHUTDOWN_GRACE_MS: { kind: 'int', def: 10_000, min: 0, max: 600_000, doc: 'time to flush and ack on shutdown' },
  READINGS_PARTITIONS_AHEAD: { kind: 'int', def: 3, min: 1, max: 24, doc: 'months of `readings` partitions made ahead of the current one, at start and daily (docs/partitions.md)' },
  READINGS_RETENTION_MONTHS: { kind: 'int', def: 0, min: 0, max: 1200, doc: 'whole months of readings kept before the current one; older months are detached, archived to READINGS_ARCHIVE_DIR and dropped, at start and daily; 0 = keep everything. Shorter than the anomaly engine needs (3 with the default ENGINE_SNAPSHOT_DAYS) is refused at start' },
  READINGS_ARCHIVE_DIR: { kind: 'string', def: './data/archive', doc: 'where retention writes each month it drops, as gzip CSV with a JSON manifest (`npm run admin -- partitions restore` reads one back)' },
  QUARANTINE_RETENTION_DAYS: { kind: 'int', def: 0, min: 0, max: 36_500, doc: 'quarantined readings received longer ago than this many days are deleted, at start and daily, in chunks; 0 = keep everything' },
} as const satisfies Record<string, Var>;
