// GET /v1/alerts/stream: the live alert stream of the contract. A snapshot of the open
// alerts with its cursor, or (with ?after=N) every change after N; then every change as
// it commits. Each client pumps from alert_events by cursor, so a change is neither
// missed nor sent twice whatever the timing; the feed and a timer only wake the pumps.
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ServiceError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { eventsAfter, openAlertsSnapshot, type StreamEvent } from '../store/alerts.ts';
import { recordAudit } from '../auth/audit.ts';
import { requireUser, sessionToken, signedInUser, type SessionUser } from '../auth/guard.ts';
import { sameOrigin } from '../auth/origin.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { AlertFeed } from './feed.ts';
import { presentAlert } from './present.ts';
import { RecentChanges } from './recent.ts';
import type { Notifications } from '../store/listen.ts';
import { loggedError } from '../util/error-message.ts';

export const STREAM_DEFAULTS = Object.freeze({
  maxBufferedBytes: 1 << 20,
  pingMs: 30_000,
  sessionCheckMs: 60_000,
  pollMs: 1_000,
});

/** The open dashboard streams, so shutdown can close them before the server waits for sockets. */
export class StreamClients {
  private readonly open = new Set<{ close(code: number, reason: string): void }>();

  private closed = false;

  /** Streams open now (the telemetry_alert_stream_clients gauge). */
  get size(): number {
    return this.open.size;
  }

  add(c: { close(code: number, reason: string): void }): () => void {
    // A dashboard reconnecting while the service stops is turned away at once.
    if (this.closed) {
      c.close(STREAM_CLOSE.shutdown, 'server shutting down');
      return () => false;
    }
    this.open.add(c);
    return () => this.open.delete(c);
  }

  closeAll(): void {
    this.closed = true;
    for (const c of this.open) c.close(STREAM_CLOSE.shutdown, 'server shutting down');
  }
}

export interface StreamOptions {
  readonly clients: StreamClients;
  readonly db: Db;
  readonly sessions: SessionStore;
  readonly feed: AlertFeed;
  /** A client whose unsent bytes exceed this is dropped (it stopped reading). */
  readonly maxBufferedBytes: number;
  /** Ping period; a client that has not answered two pings is dropped. */
  readonly pingMs: number;
  /** How often each client's session is checked again (expiry, sign-out, disabled user). */
  readonly sessionCheckMs: number;
  /** How often clients look for changes committed without a wake-up (another process). */
  readonly pollMs: number;
  /** The LISTEN connection: changes committed by other instances wake the streams at once. */
  readonly notifications?: Notifications;
}

/** The channel a trigger on alert_events notifies at each commit (migration 0010). */
export const ALERT_EVENTS_CHANNEL = 'alert_events';

/** Close codes of the alert stream (4000-4999 are the application's). */
export const STREAM_CLOSE = { tooSlow: 4008, sessionEnded: 4001, shutdown: 1001, error: 1011 } as const;

const PAGE = 500;

class StreamClient {
  private sent: number | null = null;
  private pumping = false;
  private again = false;
  private alive = true;
  private closed = false;

  constructor(
    readonly socket: WebSocket,
    private user: SessionUser,
    private readonly opts: StreamOptions,
    private readonly recent: RecentChanges,
    private readonly log: FastifyBaseLogger,
  ) {
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  get siteIds(): readonly number[] | null {
    return this.user.role === 'admin' ? null : this.user.siteIds;
  }

  async start(after: number | null): Promise<void> {
    if (after === null) {
      const snap = await openAlertsSnapshot(this.opts.db, this.siteIds);
      if (!this.send({ type: 'snapshot', alerts: snap.alerts.map(presentAlert), cursor: snap.cursor })) return;
      this.sent = snap.cursor;
    } else {
      this.sent = after;
    }
    this.kick();
  }

  /** Send what committed after the last cursor sent; coalesces concurrent wake-ups. */
  kick(): void {
    if (this.sent === null || this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((err: unknown) => {
        // The database is away: the next wake-up tries again from the same cursor.
        this.log.warn({ err: loggedError(err) }, 'alert stream could not read changes');
      })
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    for (;;) {
      // Served from the shared cache when it reaches back far enough...
      const cached = this.recent.after(this.sent!, this.siteIds);
      if (cached) {
        const upTo = this.recent.lastCursor;
        for (const c of cached) {
          if (!this.sendText(c.message)) return;
          this.sent = c.cursor;
        }
        // Everything up to the cache's newest cursor is known: none of the rest is for us.
        this.sent = Math.max(this.sent!, upTo);
        return;
      }
      // ...else from the database, until the client is within the cache's reach.
      const horizon = this.recent.lastCursor;
      const events: StreamEvent[] = await eventsAfter(this.opts.db, this.sent!, this.siteIds, PAGE);
      for (const e of events) {
        const message = {
          type: 'alert',
          alert: presentAlert(e.alert),
          cursor: e.cursor,
          change: { type: e.type, at: e.at.toISOString(), actor: e.actor },
        };
        if (!this.sendText(JSON.stringify(message))) return;
        this.sent = e.cursor;
      }
      if (events.length < PAGE) {
        // The query saw every change committed up to the cache's horizon when it started.
        this.sent = Math.max(this.sent!, horizon);
        if (this.recent.after(this.sent, this.siteIds) === null) return;
      }
    }
  }

  private send(message: unknown): boolean {
    return this.sendText(JSON.stringify(message));
  }

  /** False when the client is gone or was dropped for not reading. */
  private sendText(text: string): boolean {
    if (this.closed) return false;
    if (this.socket.bufferedAmount > this.opts.maxBufferedBytes) {
      this.close(STREAM_CLOSE.tooSlow, 'not reading fast enough; reconnect with ?after=<last cursor>');
      return false;
    }
    this.socket.send(text);
    return true;
  }

  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  async recheck(token: string | undefined): Promise<void> {
    if (this.closed) return;
    const user = await this.opts.sessions.resolve(token, { touch: false });
    if (!user || (user.role !== 'clinician' && user.role !== 'admin')) this.close(STREAM_CLOSE.sessionEnded, 'session ended; sign in again');
    else this.user = user; // site membership changes apply from here on
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(code, reason);
    // A dashboard that stopped reading never answers the close frame: cut it after a moment.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }
}

function parseAfter(req: FastifyRequest): number | null {
  const raw = (req.query as Record<string, unknown>).after;
  if (raw === undefined) return null;
  if (typeof raw !== 'string') throw new ServiceError('bad_message', 'after must be given once');
  // A cursor is a whole number; 0 asks for every change the caller may see.
  if (!/^\d{1,15}$/.test(raw)) throw new ServiceError('bad_message', 'after must be a cursor (a whole number) from this stream');
  return Number(raw);
}

export const alertStreamRoutes: FastifyPluginAsync<StreamOptions> = async (app, opts) => {
  const clients = new Map<StreamClient, string | undefined>();
  const guard = requireUser(opts.sessions, 'clinician', 'admin');
  const recent = new RecentChanges(opts.db);
  // One fetch of what is new, then every client takes its share from it.
  let closing = false;
  const wakeAll = () => {
    if (closing) return;
    // No client, no cache (its refresh joins every new alert event): the next starts it anew.
    if (clients.size === 0) return void recent.forget();
    recent.refresh().then(
      () => {
        for (const c of clients.keys()) c.kick();
      },
      (err: unknown) => app.log.warn({ err: loggedError(err) }, 'alert stream could not read changes'),
    );
  };
  const unsubscribe = opts.feed.subscribe(wakeAll);
  // Another instance's commit (or this one's: the fetch is shared and coalesced), and a
  // catch-up whenever the LISTEN connection comes back.
  opts.notifications?.on(ALERT_EVENTS_CHANNEL, wakeAll);
  opts.notifications?.onConnect(wakeAll);
  const timers = [
    setInterval(wakeAll, opts.pollMs),
    setInterval(() => {
      for (const c of clients.keys()) c.heartbeat();
    }, opts.pingMs),
    setInterval(() => {
      for (const [c, token] of clients) void c.recheck(token).catch(() => undefined);
    }, opts.sessionCheckMs),
  ];
  for (const t of timers) t.unref();

  app.addHook('onClose', async () => {
    closing = true;
    unsubscribe();
    for (const t of timers) clearInterval(t);
    for (const c of clients.keys()) c.close(STREAM_CLOSE.shutdown, 'server shutting down');
  });

  app.get(
    '/v1/alerts/stream',
    {
      websocket: true,
      // Browsers send Origin on every WebSocket: one from another site is a hijack attempt.
      preHandler: [
        async (req) => {
          if (!sameOrigin(req.headers, opts.sessions.secure)) throw new ServiceError('cross_origin');
        },
        guard,
        // A bad ?after= is a 400 before the upgrade, not a socket closed after it.
        async (req) => {
          parseAfter(req);
        },
      ],
      schema: { tags: ['alerts'], summary: 'live alert stream (WebSocket): snapshot or changes after ?after=<cursor>, then every change' },
    },
    (socket, req) => {
      const user = signedInUser(req);
      const after = parseAfter(req);
      const client = new StreamClient(socket, user, opts, recent, req.log);
      clients.set(client, sessionToken(req));
      const forget = opts.clients.add(client);
      socket.on('close', () => {
        clients.delete(client);
        forget();
      });
      // The dashboard sends nothing; anything it sends is ignored.
      socket.on('message', () => undefined);
      void recordAudit(opts.db, { user, action: 'alert.stream', route: '/v1/alerts/stream', detail: { after } })
        .then(() => client.start(after))
        .catch((err: unknown) => {
          req.log.warn({ err: loggedError(err) }, 'alert stream could not start');
          client.close(STREAM_CLOSE.error, 'storage unavailable; reconnect later');
        });
    },
  );
};
