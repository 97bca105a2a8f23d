import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * What every API answer carries. The API's bodies are patient data: no cache (browser,
 * proxy or CDN) may keep a copy, no browser may guess them to be HTML or script, frame
 * them, or hand them to another origin's page, and no URL of ours leaks as a Referer.
 * `no-referrer` is safe here and not on the dashboard's pages (src/dashboard/plugin.ts):
 * a fetch response's policy governs no request a page makes, a document's does.
 */
export const API_SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
} as const;

function isApiPath(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return path === '/v1' || path.startsWith('/v1/');
}

/** An error answer's headers: those of the API, where a plugin did not set its own. */
export function addErrorSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
}

/**
 * One root hook, so a route added later is covered without doing anything. Under /v1 the
 * headers replace whatever a route set. Elsewhere only error answers get them, and only
 * those a plugin did not set itself: the dashboard keeps its own CSP and referrer policy.
 * Hooks do not run for the router's own refusals (frameworkErrors in app.ts): those call
 * addErrorSecurityHeaders themselves.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (isApiPath(request.url)) reply.headers(API_SECURITY_HEADERS);
    else if (reply.statusCode >= 400) addErrorSecurityHeaders(reply);
    return payload;
  });
}

/**
 * HTTPS only: every answer, errors and the dashboard's pages included, tells the browser to
 * use https for this host for `maxAge` seconds (0: no header). No includeSubDomains: the
 * service does not speak for the rest of its domain.
 */
export function installHsts(app: FastifyInstance, maxAge: number): void {
  if (maxAge <= 0) return;
  const value = `max-age=${maxAge}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('strict-transport-security', value);
  });
}
