import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ServiceError } from '../errors.ts';

// CSRF defence for cookie sessions: a state-changing request must say, in Origin
// (or failing that Referer), that it comes from a page of this service. Browsers
// set Origin on every cross-site POST and a page cannot forge it. SameSite=Strict
// on the cookie is the second, independent line.

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isStateChanging(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

/**
 * True when the request's Origin (or Referer) names the host it was sent to.
 * With `requireHttps`, the page must also have been served over https.
 */
export function sameOrigin(headers: { origin?: string | string[]; referer?: string | string[]; host?: string | string[] }, requireHttps: boolean): boolean {
  const host = typeof headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(headers.host) ? headers.host : null;
  const claimed = typeof headers.origin === 'string' ? headers.origin : typeof headers.referer === 'string' ? headers.referer : null;
  if (!host || !claimed || claimed === 'null') return false;
  let url: URL;
  try {
    url = new URL(claimed);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && (requireHttps || url.protocol !== 'http:')) return false;
  // Parsed the same way, so `host:80` and `host` compare equal for http.
  try {
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/** A preHandler refusing (403 `cross_origin`) state-changing requests from other origins. */
export function requireSameOrigin(requireHttps: boolean): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest) => {
    checkSameOrigin(request, requireHttps);
  };
}

export function checkSameOrigin(request: FastifyRequest, requireHttps: boolean): void {
  if (isStateChanging(request.method) && !sameOrigin(request.headers, requireHttps)) throw new ServiceError('cross_origin');
}
