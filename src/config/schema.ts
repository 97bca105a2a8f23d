import { badAddresses, parseTrustProxy } from './trust-proxy.ts';
import { EXPORT_KEY_MIN_LENGTH, exportKeyProblem } from './export-key.ts';
import { VARS, type IntVar, type StrVar } from './vars.ts';
import { parseTls, type TlsConfig } from './tls.ts';
import { parseKeys, type KeysConfig } from './keys.ts';
import { retentionProblem } from './retention.ts';

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
  /**
   * The LISTEN connection's: PostgreSQL directly when DATABASE_URL goes through a
   * transaction pool (LISTEN lives on a session). null: the same as the pool's.
   */
  readonly databaseListenUrl: string | null;
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
    /** Gateway WebSockets open at once, before the open-files limit is taken into account. */
    readonly maxSockets: number;
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
  /** TLS on the HTTP, WebSocket and MLLP listeners (src/config/tls.ts). */
  readonly tls: TlsConfig;
  readonly engine: {
    /** false: readings stored unscored and no alert raised (benchmark baseline only). */
    readonly scoring: boolean;
    /** Event days between two snapshots of a device's engine state. */
    readonly snapshotEveryDays: number;
    /** A device's engine state is dropped from memory after this long without a reading (wall clock). */
    readonly stateIdleMs: number;
    /** An instance not renewing its row this long may be declared dead (device leases). */
    readonly leaseTtlMs: number;
    /** How long a batch waits for a device held by another instance. */
    readonly leaseWaitMs: number;
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
  /** Encryption at rest: the master keyring. */
  readonly keys: KeysConfig;
  readonly export: {
    /** HMAC key of the de-identified export; null: exports are refused. */
    readonly key: string | null;
    /** Small cells: every enrolled combination of quasi-identifiers shared by this many subjects (1 = off). */
    readonly minCell: number;
    /** `days` (contract v1: whole days, time of day kept) or `seconds` (service clocks never align subjects). */
    readonly shift: 'days' | 'seconds';
  };
  readonly shutdownGraceMs: number;
  /** Monthly partitions of `readings` and the retention of readings and quarantine (docs/partitions.md). */
  readonly partitions: {
    /** Months made ahead of the current one. */
    readonly aheadMonths: number;
    /** Whole months kept before the current one; 0 = keep everything. */
    readonly retentionMonths: number;
    /** Where dropped months are archived. */
    readonly archiveDir: string;
    /** Quarantine rows kept this many days; 0 = keep everything. */
    readonly quarantineRetentionDays: number;
  };
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

export { VARS };

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
  const databaseListenUrl = str('DATABASE_LISTEN_URL');
  if (databaseListenUrl !== null && !/^postgres(ql)?:\/\//.test(databaseListenUrl)) {
    issues.push({ variable: 'DATABASE_LISTEN_URL', problem: 'must start with postgres:// or postgresql://' });
  } else if (databaseListenUrl !== null && databaseUrl === null) {
    issues.push({ variable: 'DATABASE_LISTEN_URL', problem: 'only with DATABASE_URL: the embedded PostgreSQL is listened to directly' });
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
  const dataDir = resolvePath(str('DATA_DIR') ?? './data/pg');
  const tls = parseTls({ str, int, set: (name) => (env[name] ?? '') !== '' }, dataDir, resolvePath, issues);
  const cookieSecure = str('COOKIE_SECURE');
  const config: Config = {
    host: str('HOST') ?? '127.0.0.1',
    port: int('PORT'),
    trustProxy,
    databaseUrl,
    databaseListenUrl,
    dataDir,
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
      maxSockets: int('INGEST_MAX_SOCKETS'),
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
      secure: cookieSecure === null ? tls.mode !== 'off' : cookieSecure === 'true',
    },
    tls,
    engine: {
      scoring: str('ENGINE_SCORING') === 'on',
      snapshotEveryDays: int('ENGINE_SNAPSHOT_DAYS'),
      stateIdleMs: int('ENGINE_STATE_IDLE_MS'),
      leaseTtlMs: int('ENGINE_LEASE_TTL_MS'),
      leaseWaitMs: int('ENGINE_LEASE_WAIT_MS'),
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
    keys: parseKeys(str('MASTER_KEY_FILE'), env.NODE_ENV === 'production', resolvePath, issues),
    export: { key: exportKey, minCell: int('EXPORT_MIN_CELL'), shift: str('EXPORT_SHIFT') === 'seconds' ? 'seconds' : 'days' },
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS'),
    partitions: {
      aheadMonths: int('READINGS_PARTITIONS_AHEAD'),
      retentionMonths: int('READINGS_RETENTION_MONTHS'),
      archiveDir: resolvePath(str('READINGS_ARCHIVE_DIR') ?? './data/archive'),
      quarantineRetentionDays: int('QUARANTINE_RETENTION_DAYS'),
    },
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
  const retention = retentionProblem(config.partitions.retentionMonths, config.engine.snapshotEveryDays);
  if (retention !== null) issues.push({ variable: 'READINGS_RETENTION_MONTHS', problem: retention });
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
