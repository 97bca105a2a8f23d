// The clinician dashboard: one static page whose ES modules render every screen from the
// JSON API. The server never puts data into the HTML: the page fetches it, signed in
// with the session cookie, and the modules write it into the DOM as text.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * No inline script or style anywhere, and nothing from another origin: an injected
 * string cannot run even if one ever reached the DOM as markup. `connect-src 'self'`
 * covers the same-origin WebSocket in current browsers.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not `no-referrer`: with it browsers send `Origin: null` on same-origin POSTs, which the
  // service's CSRF check refuses. `same-origin` still sends nothing to other sites.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function load(file: string): Asset {
  const body = fs.readFileSync(file);
  const type = TYPES[path.extname(file)];
  if (!type) throw new Error(`no content type for ${file}`);
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * uPlot's browser builds, served from node_modules so the dependency is pinned by the
 * lockfile and updated by npm like any other, with no copy of it in the repository
 * and no third-party CDN for the CSP to admit.
 */
function vendorAssets(): Record<string, Asset> {
  const require = createRequire(import.meta.url);
  return {
    'uPlot.esm.js': load(require.resolve('uplot/dist/uPlot.esm.js')),
    'uPlot.min.css': load(require.resolve('uplot/dist/uPlot.min.css')),
  };
}

function publicAssets(): Record<string, Asset> {
  const assets: Record<string, Asset> = {};
  for (const name of fs.readdirSync(PUBLIC_DIR)) {
    if (name !== 'index.html' && TYPES[path.extname(name)]) assets[name] = load(path.join(PUBLIC_DIR, name));
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  // Revalidated every time: a deploy shows at once, and a 304 costs one round trip.
  reply.header('cache-control', 'no-cache').header('etag', asset.etag).type(asset.type);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.send(asset.body);
}

/** `/` (queue or sign-in), `/patients/:id`, and `/assets/*`; every response carries the security headers. */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  // Read once at start: a handful of small files, and no path from a request ever reaches the disk.
  const page = load(path.join(PUBLIC_DIR, 'index.html'));
  const assets = publicAssets();
  const vendor = vendorAssets();

  // Encapsulated: applies to this plugin's routes only, not to the API.
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  const hide = { schema: { hide: true } };
  const servePage = (request: FastifyRequest, reply: FastifyReply) => send(request, reply, page);
  app.get('/', hide, servePage);
  app.get('/patients', hide, servePage);
  app.get('/patients/:id', hide, servePage);
  app.get('/reports/outcomes', hide, servePage);
  app.get('/worklists', hide, servePage);

  app.get<{ Params: { name: string } }>('/assets/:name', hide, async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
    if (!asset) return reply.code(404).type('text/plain').send('not found');
    return send(request, reply, asset);
  });
  app.get<{ Params: { name: string } }>('/assets/vendor/:name', hide, async (request, reply) => {
    const asset = Object.hasOwn(vendor, request.params.name) ? vendor[request.params.name] : undefined;
    if (!asset) return reply.code(404).type('text/plain').send('not found');
    return send(request, reply, asset);
  });
};
