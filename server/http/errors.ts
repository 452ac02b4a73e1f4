/**
 * The one place where errors become HTTP responses: a FarmError carries its status (database
 * constraint and value errors are mapped to ValidationError / ConflictError first), Hono's own
 * HTTPException (malformed JSON, wrong content type) keeps its status, anything else is a 500
 * whose details go to the log, not to the caller. Bodies are `{ error: { name, message } }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FarmError, serializeError, type SerializedError } from '../../core/errors';
import { mapDbError } from '../../db/errors';

export interface ErrorBody {
  error: SerializedError;
}

export type Logger = (line: string) => void;

export function errorResponse(caught: unknown, c: Context, log: Logger): Response {
  // A value the database cannot store (a NUL character, a number out of range) is bad input.
  const error = mapDbError(caught, 'the request');
  if (error instanceof FarmError) {
    return c.json({ error: serializeError(error) } satisfies ErrorBody, error.status as ContentfulStatusCode);
  }
  if (error instanceof HTTPException) {
    const name = error.status === 401 ? 'AuthError' : error.status < 500 ? 'ValidationError' : 'FarmError';
    return c.json({ error: { name, message: error.message || 'bad request' } } satisfies ErrorBody, error.status);
  }
  log(`internal error on ${c.req.method} ${c.req.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return c.json({ error: { name: 'FarmError', message: 'internal error (see the coordinator log)' } } satisfies ErrorBody, 500);
}

export function notFoundResponse(c: Context): Response {
  return c.json({ error: { name: 'NotFoundError', message: `no route ${c.req.method} ${c.req.path}` } } satisfies ErrorBody, 404);
}
