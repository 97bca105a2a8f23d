import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.ts';
import { REVOCATION_CHANNEL, revokedAmong, type GatewayAuthenticator } from '../auth/gateways.ts';
import type { GatewayHub } from './hub.ts';
import { CLOSE } from './session.ts';

/**
 * Closes the sockets of a revoked key at once: LISTEN for the admin's NOTIFY, and
 * a periodic sweep in case a notification was missed while reconnecting.
 */
export function watchRevocations(
  url: string,
  db: Db,
  auth: GatewayAuthenticator,
  hub: GatewayHub,
  log: FastifyBaseLogger,
  sweepMs = 5000,
): { stop(): Promise<void> } {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const revoke = (id: number) => {
    auth.invalidate();
    const n = hub.closeGateway(id, CLOSE.policy, 'gateway key revoked');
    if (n > 0) log.info({ gatewayId: id, sockets: n }, 'closed sockets of a revoked gateway key');
  };

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    c.on('error', () => scheduleReconnect());
    c.on('notification', (n) => {
      const id = Number(n.payload);
      if (Number.isInteger(id)) revoke(id);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${REVOCATION_CHANNEL}`);
      client = c;
    } catch {
      scheduleReconnect();
    }
  };
  const scheduleReconnect = () => {
    client?.end().catch(() => {});
    client = null;
    if (!stopped && retry === null) {
      retry = setTimeout(() => {
        retry = null;
        void connect();
      }, 1000).unref();
    }
  };
  const sweep = setInterval(() => {
    revokedAmong(db, hub.gatewayIds())
      .then((ids) => ids.forEach(revoke))
      .catch(() => {});
  }, sweepMs).unref();

  void connect();
  return {
    async stop() {
      stopped = true;
      clearInterval(sweep);
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
