/**
 * Request authentication: the admin token guards every mutating call; device tokens authorise an
 * agent's artifact downloads. Both come as `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { AuthError } from '../../core/errors';
import type { AuthLimiter } from '../registry/auth-limiter';

/** Constant-time equality of two secrets of any length (both are hashed first). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function requireAdmin(adminToken: string, limiter: AuthLimiter): MiddlewareHandler {
  return async (c, next) => {
    const client = clientAddress(c);
    limiter.check(client);
    const token = bearerToken(c);
    if (token === undefined) throw new AuthError('this call needs the admin token: send "Authorization: Bearer <token>" (ofa-farm reads it from --admin-token, OFA_FARM_ADMIN_TOKEN or the farm home)');
    if (!sameSecret(token, adminToken)) {
      limiter.fail(client);
      throw new AuthError('the admin token is wrong');
    }
    limiter.succeed(client);
    await next();
  };
}
