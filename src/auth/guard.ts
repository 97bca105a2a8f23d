import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ServiceError } from '../errors.ts';
import type { Role } from '../store/schema.ts';
import { checkSameOrigin } from './origin.ts';
import { SESSION_COOKIE, type SessionStore, type SessionUser } from './sessions.ts';

export type { SessionUser };

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user; set by a requireUser preHandler. */
    user?: SessionUser;
  }
}

/**
 * The session token from the Cookie header. Read directly rather than through
 * @fastify/cookie so a guard works in any plugin, whether or not that plugin
 * registered the cookie parser; tokens are base64url, so there is nothing to decode.
 */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A preHandler admitting a signed-in user with one of `roles` (any role when none
 * are given): 401 `not_signed_in` without a live session, 403 `forbidden` for
 * another role, 403 `cross_origin` for a state-changing request from another origin.
 */
export function requireUser(sessions: SessionStore, ...roles: Role[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest) => {
    checkSameOrigin(request, sessions.secure);
    const user = await sessions.resolve(sessionToken(request));
    if (!user) throw new ServiceError('not_signed_in');
    if (roles.length > 0 && !roles.includes(user.role)) throw new ServiceError('forbidden');
    request.user = user;
  };
}

/** The user a requireUser preHandler admitted; throws when the route has no guard. */
export function signedInUser(request: FastifyRequest): SessionUser {
  if (!request.user) throw new ServiceError('not_signed_in');
  return request.user;
}

/** Whether the user may see a site's data. Admins see every site. */
export function canSeeSite(user: SessionUser, siteId: number): boolean {
  return user.role === 'admin' || user.siteIds.includes(siteId);
}
