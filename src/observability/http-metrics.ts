// Request duration and requests in flight, by route pattern. The route label is fastify's
// routeOptions.url (`/v1/alerts/:id/history`), never the URL asked for: no patient, alert
// or device id reaches a label, and the label's values are the routes the service has.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

/** The route label of a request that matched no route (404s, malformed URLs). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Install the hooks on the root instance, before any route is registered. WebSocket
 * upgrades are left out: their "response" is the whole session (the ingest sockets and the
 * alert streams have gauges of their own), and the response object fastify gives them never
 * finishes.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: Pick<Metrics, 'httpSeconds' | 'httpInFlight'>): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.headers.upgrade === undefined) {
      metrics.httpInFlight.inc();
      // 'close' comes once the response is sent or the client has gone, whichever is first.
      reply.raw.once('close', () => metrics.httpInFlight.dec());
    }
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (req.headers.upgrade === undefined) {
      metrics.httpSeconds.observe(
        { method: req.method, route: req.routeOptions.url ?? UNMATCHED_ROUTE, status_class: `${Math.floor(reply.statusCode / 100)}xx` },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });
}
