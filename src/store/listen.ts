import pg from 'pg';

// One LISTEN connection per process for every channel the service hears (gateway key
// revocations, alert changes committed by other instances). It reconnects by itself; a
// notification sent while it was away is lost, so each user also sweeps or polls, and is
// told when the connection is back (`onConnect`) to catch up at once.

export type NotificationHandler = (payload: string) => void;

export class Notifications {
  private readonly handlers = new Map<string, NotificationHandler[]>();
  private readonly connected: Array<(client: pg.Client) => void> = [];
  private client: pg.Client | null = null;
  private stopped = true;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly retryMs = 1000,
  ) {}

  /** Hear `channel` (a plain identifier). Register before start(). */
  on(channel: string, handler: NotificationHandler): void {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
  }

  /**
   * Called each time the connection is (re)established and listening, with the connection
   * (for a statement that must run on it; never keep it).
   */
  onConnect(callback: (client: pg.Client) => void): void {
    this.connected.push(callback);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    c.on('error', () => this.reconnect(c));
    c.on('end', () => this.reconnect(c));
    c.on('notification', (n) => {
      for (const h of this.handlers.get(n.channel) ?? []) {
        try {
          h(n.payload ?? '');
        } catch {
          /* a handler owns its errors */
        }
      }
    });
    try {
      await c.connect();
      for (const channel of this.handlers.keys()) await c.query(`LISTEN ${channel}`);
      if (this.stopped) {
        await c.end().catch(() => {});
        return;
      }
      this.client = c;
      for (const cb of this.connected) cb(c);
    } catch {
      this.reconnect(c);
    }
  }

  private reconnect(c: pg.Client): void {
    if (this.client === c) this.client = null;
    c.end().catch(() => {});
    if (this.stopped || this.retry !== null || this.client !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, this.retryMs);
    this.retry.unref();
  }
}
