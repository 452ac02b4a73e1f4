/**
 * zod validation for Hono routes. Failures are ValidationErrors naming the field, so onError maps
 * them to 400. The middleware's types give the client (`hc<typeof app>`) the schema's input type.
 */
import type { Context, Env, MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import type { z } from 'zod';
import { ValidationError } from '../../core/errors';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : what}: ${issue.message}`)
    .join('; ');
  throw new ValidationError(`invalid ${what}: ${issues}`);
}

type JsonValidator<S extends z.ZodType> = MiddlewareHandler<Env, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }>;
type QueryValidator<S extends z.ZodType> = MiddlewareHandler<
  Env,
  string,
  { in: { query: { [K in keyof z.output<S>]?: string | undefined } }; out: { query: z.output<S> } }
>;

const JSON_TYPE = /^application\/([a-z.+-]+\+)?json\s*(;|$)/i;

/** A request that carries a body (a declared length above 0, or a chunked one). */
function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  if (length !== undefined) return length.trim() !== '0';
  return c.req.header('transfer-encoding') !== undefined;
}

export function jsonBody<S extends z.ZodType>(schema: S): JsonValidator<S> {
  return validator('json', (value, c) => {
    // Hono reads a body of another content type as {}: it would be ignored, not refused.
    const type = c.req.header('content-type');
    if ((!type || !JSON_TYPE.test(type)) && hasBody(c)) {
      throw new ValidationError(`the request body must be JSON sent with "Content-Type: application/json", got ${type ? `"${type.slice(0, 100)}"` : 'no content type'}`);
    }
    return parseWith(schema, value, 'request body');
  }) as unknown as JsonValidator<S>;
}

export function queryParams<S extends z.ZodType>(schema: S): QueryValidator<S> {
  return validator('query', (value) => parseWith(schema, value, 'query string')) as unknown as QueryValidator<S>;
}
