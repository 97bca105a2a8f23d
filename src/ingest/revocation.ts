import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Notifications } from '../store/listen.ts';
import { REVOCATION_CHANNEL, revokedAmong, type GatewayAuthenticator } from '../auth/gateways.ts';
import type { GatewayHub } from './hub.ts';
import { CLOSE } from './session.ts';

/**
 * Closes the sockets of a revoked key at once: the admin's NOTIFY, and a periodic sweep in
 * case a notification was missed while the LISTEN connection was away.
 */
export function watchRevocations(
  notifications: Notifications,
  db: Db,
  auth: GatewayAuthenticator,
  hub: GatewayHub,
  log: FastifyBaseLogger,
  sweepMs = 5000,
): { stop(): void } {
  const revoke = (id: number) => {
    auth.invalidate();
    const n = hub.closeGateway(id, CLOSE.policy, 'gateway key revoked');
    if (n > 0) log.info({ gatewayId: id, sockets: n }, 'closed sockets of a revoked gateway key');
  };
  notifications.on(REVOCATION_CHANNEL, (payload) => {
    const id = Number(payload);
    if (Number.isInteger(id)) revoke(id);
  });
  const sweep = setInterval(() => {
    revokedAmong(db, hub.gatewayIds())
      .then((ids) => ids.forEach(revoke))
      .catch(() => {});
  }, sweepMs).unref();
  return {
    stop() {
      clearInterval(sweep);
    },
  };
}
