import { badAddresses, parseTrustProxy } from './trust-proxy.ts';
import { EXPORT_KEY_MIN_BITS, EXPORT_KEY_MIN_LENGTH, exportKeyProblem } from './export-key.ts';

export { EXPORT_KEY_MIN_LENGTH };
// Every setting the service reads, with its default and its check. The README's
// configuration table mirrors VARS; a unit test keeps the two in step.

export interface Config {
  readonly host: string;
  readonly port: number;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses/CIDRs, or a hop count);
   * null: none, the peer's address is the client's.
   */
  readonly trustProxy: string | number | null;
  /** null: run an embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** null: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'json' | 'pretty' | null;
  readonly ingest: {
    readonly maxFrameBytes: number;
    readonly maxHttpBodyBytes: number;
    readonly maxBatchReadings: number;
    /** Group commit: flush when this many rows wait, or after flushIntervalMs. */
    readonly flushRows: number;
    readonly flushIntervalMs: number;
    /** Rows accepted into the write queue before new batches get `unavailable`. */
    readonly maxQueuedRows: number;
    readonly writers: number;
    readonly retryAfterMs: number;
    readonly pingIntervalMs: number;
    readonly idleTimeoutMs: number;
    readonly futureToleranceMs: number;
    /** Per-gateway token bucket in readings/s; 0 turns it off. */
    readonly gatewayRateLimit: number;
    readonly gatewayRateBurst: number;
  };
  readonly db: {
    readonly poolSize: number;
    readonly statementTimeoutMs: number;
    readonly connectTimeoutMs: number;
  };
  readonly idco: {
    readonly maxMessageBytes: number;
    /** null: no MLLP listener. */
    readonly mllpPort: number | null;
    readonly mllpHost: string;
    /** The gateway key whose site MLLP messages belong to (MLLP has no auth of its own). */
    readonly mllpGatewayKey: string | null;
    /** Most segments in one message, counted before it is parsed. */
    readonly maxSegments: number;
    /** Peer addresses and CIDRs the MLLP listener accepts; others are closed on connect. */
    readonly mllpAllow: readonly string[];
    readonly mllpMaxConnections: number;
    /** An MLLP connection silent this long (mid-frame included) is closed. */
    readonly mllpIdleMs: number;
  };
  readonly sessions: {
    readonly idleMs: number;
    readonly maxMs: number;
    /** Secure cookies, and state-changing requests only from https pages. */
    readonly secure: boolean;
  };
  readonly engine: {
    /** false: readings stored unscored and no alert raised (benchmark baseline only). */
    readonly scoring: boolean;
    /** Event days between two snapshots of a device's engine state. */
    readonly snapshotEveryDays: number;
    /** A device's engine state is dropped from memory after this long without a reading (wall clock). */
    readonly stateIdleMs: number;
    /** Wall-clock interval of the connectivity_loss check. */
    readonly connectivityCheckMs: number;
  };
  readonly alerts: {
    /** Wall-clock time an open high alert may stay unacknowledged before each escalation. */
    readonly escalationMs: number;
    readonly escalationCheckMs: number;
    /** The longest snooze. */
    readonly maxSnoozeMs: number;
    /** A dashboard stream with more unsent bytes than this is dropped (it stopped reading). */
    readonly streamMaxBufferedBytes: number;
    /** How often an open stream's session is checked again (ended, disabled, sites changed). */
    readonly streamSessionCheckMs: number;
    /** Fallback look for changes committed by other instances when no notification came. */
    readonly streamPollMs: number;
  };
  readonly export: {
    /** HMAC key of the de-identified export; null: exports are refused. */
    readonly key: string | null;
    /** Small cells: every enrolled combination of quasi-identifiers shared by this many subjects (1 = off). */
    readonly minCell: number;
    /** `days` (contract v1: whole days, time of day kept) or `seconds` (service clocks never align subjects). */
    readonly shift: 'days' | 'seconds';
  };
  readonly shutdownGraceMs: number;
}

export interface ConfigIssue {
  readonly variable: string;
  readonly problem: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'Invalid configuration:\n' +
        issues.map((i) => `  ${i.variable}: ${i.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

interface IntVar {
  kind: 'int';
  def: number;
  min: number;
  max: number;
  doc: string;
}
interface StrVar {
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
  DATA_DIR: { kind: 'string', def: './data/pg', doc: 'embedded PostgreSQL data directory (kept across restarts)' },
  EMBEDDED_PG_PORT: { kind: 'int', def: 54329, min: 1, max: 65535, doc: 'port of the embedded PostgreSQL' },
  LOG_LEVEL: { kind: 'string', def: 'info', doc: 'pino log level', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  LOG_FORMAT: { kind: 'string', def: null, doc: '`pretty` (human-readable lines) or `json` (one JSON object a line); unset = pretty on a terminal, JSON otherwise', choices: ['json', 'pretty'] },
  INGEST_MAX_FRAME_BYTES: { kind: 'int', def: MiB, min: 1024, max: 64 * MiB, doc: 'largest WebSocket frame; bigger closes the socket with 1009' },
  INGEST_MAX_BODY_BYTES: { kind: 'int', def: MiB, min: 1024, max: 64 * MiB, doc: 'largest HTTP body; bigger is answered 413' },
  INGEST_MAX_BATCH: { kind: 'int', def: 5000, min: 1, max: 5000, doc: 'most readings in one batch (the protocol allows 5,000)' },
  INGEST_FLUSH_ROWS: { kind: 'int', def: 1000, min: 1, max: 100_000, doc: 'group commit: rows that trigger a flush' },
  INGEST_FLUSH_MS: { kind: 'int', def: 4, min: 0, max: 1000, doc: 'group commit: longest wait before a flush, ms' },
  INGEST_MAX_QUEUED_ROWS: { kind: 'int', def: 100_000, min: 100, max: 10_000_000, doc: 'queued rows before new batches get `unavailable`' },
  INGEST_WRITERS: { kind: 'int', def: 2, min: 1, max: 16, doc: 'flushes in flight at once' },
  INGEST_RETRY_AFTER_MS: { kind: 'int', def: 2000, min: 100, max: 600_000, doc: '`retryAfterMs` advised with `unavailable`' },
  INGEST_PING_MS: { kind: 'int', def: 30_000, min: 100, max: 600_000, doc: 'WebSocket ping interval' },
  INGEST_IDLE_MS: { kind: 'int', def: 60_000, min: 200, max: 3_600_000, doc: 'drop a gateway silent this long' },
  INGEST_FUTURE_TOLERANCE_MS: { kind: 'int', def: 24 * 3600 * 1000, min: 0, max: 7 * 24 * 3600 * 1000, doc: 'how far ahead of the clock `at` may be' },
  GATEWAY_RATE_LIMIT: { kind: 'int', def: 200_000, min: 0, max: 100_000_000, doc: 'readings/s per gateway (token bucket); 0 = no limit' },
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
  COOKIE_SECURE: { kind: 'string', def: 'false', doc: 'mark the session cookie Secure and accept only https origins; set true behind TLS', choices: ['true', 'false'] },
  ENGINE_SCORING: { kind: 'string', def: 'on', doc: 'off stores readings unscored and raises no alert: only to measure ingest alone (bench:engine), never for patients', choices: ['on', 'off'] },
  ENGINE_STATE_IDLE_MS: { kind: 'int', def: 3_600_000, min: 1000, max: 7 * 24 * 3_600_000, doc: 'a device\'s engine state leaves memory after this long without a reading (wall clock), saved first; its next reading loads it again' },
  ENGINE_SNAPSHOT_DAYS: { kind: 'int', def: 7, min: 1, max: 365, doc: 'event days between snapshots of a device\'s engine state (a restart or a late reading replays at most about this much)' },
  ENGINE_CONNECTIVITY_CHECK_MS: { kind: 'int', def: 5000, min: 100, max: 3_600_000, doc: 'how often devices are checked for connectivity_loss' },
  ALERT_ESCALATION_MINUTES: { kind: 'int', def: 15, min: 1, max: 24 * 60, doc: 'an open high alert unacknowledged this long (wall-clock) is escalated, and again after each further period' },
  ALERT_STREAM_MAX_BUFFER_BYTES: { kind: 'int', def: 1_048_576, min: 1024, max: 64 * 1_048_576, doc: 'a dashboard stream that leaves more than this unsent is closed (4008): it stopped reading' },
  ALERT_STREAM_SESSION_CHECK_MS: { kind: 'int', def: 60_000, min: 100, max: 3_600_000, doc: 'how often an open alert stream re-checks its session; an ended session closes it (4001)' },
  ALERT_STREAM_POLL_MS: { kind: 'int', def: 1000, min: 100, max: 600_000, doc: 'how often alert streams look for changes committed by other instances in case a notification was missed (they are notified at once otherwise)' },
  ALERT_ESCALATION_CHECK_MS: { kind: 'int', def: 30_000, min: 100, max: 3_600_000, doc: 'how often alerts are checked for escalation' },
  ALERT_SNOOZE_MAX_HOURS: { kind: 'int', def: 7 * 24, min: 1, max: 30 * 24, doc: 'the longest snooze a clinician may set' },
  EXPORT_KEY: { kind: 'string', def: null, doc: `the trial's export key: keys the subject pseudonyms and date shifts of the de-identified export; unset = exports refused. At least ${EXPORT_KEY_MIN_LENGTH} characters and at least ${EXPORT_KEY_MIN_BITS} bits by a conservative estimate (length × the lesser of the entropy of its characters and of the steps between them), so repeated characters, runs and repeated blocks are refused; \`npm run admin -- export-key generate\` prints a 256-bit key that passes` },
  EXPORT_MIN_CELL: { kind: 'int', def: 5, min: 1, max: 1000, doc: 'small-cell protection of the export: each combination of site, device type, sex and age band in `enrolled` rows is shared by at least this many subjects (bands widened, then values withheld as `*`); 1 = off' },
  EXPORT_SHIFT: { kind: 'string', def: 'days', choices: ['days', 'seconds'], doc: 'date shift of the export: `days` (contract v1: whole days, time of day kept) or `seconds` (whole seconds within ±180 days, so events the service stamped at one instant never line up across subjects; times of day are not kept)' },
  SHUTDOWN_GRACE_MS: { kind: 'int', def: 10_000, min: 0, max: 600_000, doc: 'time to flush and ack on shutdown' },
} as const satisfies Record<string, Var>;

type VarName = keyof typeof VARS;

export function parseEnv(env: NodeJS.ProcessEnv, resolvePath: (p: string) => string): Config {
  const issues: ConfigIssue[] = [];
  const int = (name: VarName): number => {
    const v = VARS[name] as IntVar;
    const raw = env[name];
    if (raw === undefined || raw === '') return v.def;
    if (!/^\d+$/.test(raw.trim())) {
      issues.push({ variable: name, problem: `expected a whole number, got "${raw}"` });
      return v.def;
    }
    const n = Number(raw);
    if (n < v.min || n > v.max) issues.push({ variable: name, problem: `${n} is outside ${v.min}..${v.max}` });
    return n;
  };
  const str = (name: VarName): string | null => {
    const v = VARS[name] as StrVar;
    const raw = env[name];
    if (raw === undefined || raw === '') return v.def;
    if (v.choices && !v.choices.includes(raw)) {
      issues.push({ variable: name, problem: `"${raw}" is not one of ${v.choices.join(', ')}` });
      return v.def;
    }
    return raw;
  };

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    issues.push({ variable: 'DATABASE_URL', problem: 'must start with postgres:// or postgresql://' });
  }
  const rateLimit = int('GATEWAY_RATE_LIMIT');
  const mllpPortRaw = str('MLLP_PORT');
  let mllpPort: number | null = null;
  if (mllpPortRaw !== null) {
    if (!/^\d+$/.test(mllpPortRaw) || Number(mllpPortRaw) > 65535) {
      issues.push({ variable: 'MLLP_PORT', problem: `expected a port number 0..65535, got "${mllpPortRaw}"` });
    } else mllpPort = Number(mllpPortRaw);
  }
  const mllpGatewayKey = str('MLLP_GATEWAY_KEY');
  if (mllpPort !== null && mllpGatewayKey === null) {
    issues.push({ variable: 'MLLP_GATEWAY_KEY', problem: 'required when MLLP_PORT is set: MLLP has no authentication of its own' });
  }
  const mllpHost = str('MLLP_HOST') ?? '127.0.0.1';
  const mllpAllowRaw = str('MLLP_ALLOW');
  const mllpAllow = (mllpAllowRaw ?? '127.0.0.0/8,::1').split(',').map((e) => e.trim()).filter((e) => e !== '');
  const badAllow = badAddresses(mllpAllow);
  if (badAllow.length > 0 || mllpAllow.length === 0) {
    issues.push({ variable: 'MLLP_ALLOW', problem: `expected addresses or CIDRs (e.g. 10.0.0.5,10.1.0.0/16), not ${badAllow.map((b) => `"${b}"`).join(', ') || 'an empty list'}` });
  }
  if (mllpPort !== null && mllpAllowRaw === null && !isLoopback(mllpHost)) {
    issues.push({ variable: 'MLLP_ALLOW', problem: `required when MLLP_HOST (${mllpHost}) is not a loopback address: MLLP has no authentication, so list the interface engines' addresses` });
  }
  const exportKey = str('EXPORT_KEY');
  const exportKeyIssue = exportKey === null ? null : exportKeyProblem(exportKey);
  if (exportKeyIssue !== null) issues.push({ variable: 'EXPORT_KEY', problem: exportKeyIssue });
  const { value: trustProxy, problem: trustProxyProblem } = parseTrustProxy(str('TRUST_PROXY'));
  if (trustProxyProblem) issues.push({ variable: 'TRUST_PROXY', problem: trustProxyProblem });
  const config: Config = {
    host: str('HOST') ?? '127.0.0.1',
    port: int('PORT'),
    trustProxy,
    databaseUrl,
    dataDir: resolvePath(str('DATA_DIR') ?? './data/pg'),
    embeddedPgPort: int('EMBEDDED_PG_PORT'),
    logLevel: (str('LOG_LEVEL') ?? 'info') as Config['logLevel'],
    logFormat: str('LOG_FORMAT') as Config['logFormat'],
    ingest: {
      maxFrameBytes: int('INGEST_MAX_FRAME_BYTES'),
      maxHttpBodyBytes: int('INGEST_MAX_BODY_BYTES'),
      maxBatchReadings: int('INGEST_MAX_BATCH'),
      flushRows: int('INGEST_FLUSH_ROWS'),
      flushIntervalMs: int('INGEST_FLUSH_MS'),
      maxQueuedRows: int('INGEST_MAX_QUEUED_ROWS'),
      writers: int('INGEST_WRITERS'),
      retryAfterMs: int('INGEST_RETRY_AFTER_MS'),
      pingIntervalMs: int('INGEST_PING_MS'),
      idleTimeoutMs: int('INGEST_IDLE_MS'),
      futureToleranceMs: int('INGEST_FUTURE_TOLERANCE_MS'),
      gatewayRateLimit: rateLimit,
      gatewayRateBurst: int('GATEWAY_RATE_BURST'),
    },
    db: {
      poolSize: int('DB_POOL_SIZE'),
      statementTimeoutMs: int('DB_STATEMENT_TIMEOUT_MS'),
      connectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS'),
    },
    idco: {
      maxMessageBytes: int('IDCO_MAX_BYTES'),
      mllpPort,
      mllpHost,
      mllpGatewayKey,
      maxSegments: int('IDCO_MAX_SEGMENTS'),
      mllpAllow,
      mllpMaxConnections: int('MLLP_MAX_CONNECTIONS'),
      mllpIdleMs: int('MLLP_IDLE_MS'),
    },
    sessions: {
      idleMs: int('SESSION_IDLE_MINUTES') * 60_000,
      maxMs: int('SESSION_MAX_HOURS') * 3_600_000,
      secure: str('COOKIE_SECURE') === 'true',
    },
    engine: {
      scoring: str('ENGINE_SCORING') === 'on',
      snapshotEveryDays: int('ENGINE_SNAPSHOT_DAYS'),
      stateIdleMs: int('ENGINE_STATE_IDLE_MS'),
      connectivityCheckMs: int('ENGINE_CONNECTIVITY_CHECK_MS'),
    },
    alerts: {
      escalationMs: int('ALERT_ESCALATION_MINUTES') * 60_000,
      escalationCheckMs: int('ALERT_ESCALATION_CHECK_MS'),
      maxSnoozeMs: int('ALERT_SNOOZE_MAX_HOURS') * 3_600_000,
      streamMaxBufferedBytes: int('ALERT_STREAM_MAX_BUFFER_BYTES'),
      streamSessionCheckMs: int('ALERT_STREAM_SESSION_CHECK_MS'),
      streamPollMs: int('ALERT_STREAM_POLL_MS'),
    },
    export: { key: exportKey, minCell: int('EXPORT_MIN_CELL'), shift: str('EXPORT_SHIFT') === 'seconds' ? 'seconds' : 'days' },
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS'),
  };
  // A batch and its quarantine rows must fit in the queue, or full batches could never be stored.
  if (config.ingest.maxQueuedRows < 2 * config.ingest.maxBatchReadings) {
    issues.push({ variable: 'INGEST_MAX_QUEUED_ROWS', problem: `must be at least twice INGEST_MAX_BATCH (${2 * config.ingest.maxBatchReadings})` });
  }
  if (config.ingest.idleTimeoutMs <= config.ingest.pingIntervalMs) {
    issues.push({ variable: 'INGEST_IDLE_MS', problem: 'must be longer than INGEST_PING_MS' });
  }
  if (config.sessions.idleMs > config.sessions.maxMs) {
    issues.push({ variable: 'SESSION_IDLE_MINUTES', problem: 'must not exceed SESSION_MAX_HOURS' });
  }
  // A check rarer than the period would escalate late by up to a whole check.
  if (config.alerts.escalationCheckMs >= config.alerts.escalationMs) {
    issues.push({ variable: 'ALERT_ESCALATION_CHECK_MS', problem: 'must be shorter than ALERT_ESCALATION_MINUTES' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

/** 127.0.0.0/8, ::1 and localhost: a listener only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
