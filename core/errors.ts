/**
 * The farm's few typed errors. They cross the wire as `{name, message}` and map to HTTP statuses
 * in one place (the server's onError), so a CLI user, an agent and a dashboard see the same text.
 */
export class FarmError extends Error {
  readonly status: number = 500;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input from a user, a file or a frame. Exit code 2 in the CLI, HTTP 400. */
export class ValidationError extends FarmError {
  override readonly status = 400;
}
export class AuthError extends FarmError {
  override readonly status = 401;
}
export class ForbiddenError extends FarmError {
  override readonly status = 403;
}
export class NotFoundError extends FarmError {
  override readonly status = 404;
}
export class ConflictError extends FarmError {
  override readonly status = 409;
}
/** A request that is well formed but cannot be satisfied, such as a latency budget no subnet meets. */
export class InfeasibleError extends FarmError {
  override readonly status = 422;
}
export class RateLimitError extends FarmError {
  override readonly status = 429;
}
export class DeadlineError extends FarmError {
  override readonly status = 504;
}

const KNOWN = {
  FarmError,
  ValidationError,
  AuthError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  InfeasibleError,
  RateLimitError,
  DeadlineError,
} as const;

export type ErrorName = keyof typeof KNOWN;
export interface SerializedError {
  name: string;
  message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof FarmError) return { name: error.name, message: error.message };
  if (error instanceof Error) return { name: 'FarmError', message: error.message };
  return { name: 'FarmError', message: String(error) };
}

/** Rebuilds a typed error from its wire form; unknown names become a plain FarmError. */
export function parseError(wire: SerializedError): FarmError {
  const Ctor = (KNOWN as Record<string, typeof FarmError>)[wire.name] ?? FarmError;
  return new Ctor(wire.message);
}

/** The typed error an HTTP error response carries in its `{ error: { name, message } }` body (else its status). */
export async function errorFromResponse(res: { status: number; json(): Promise<unknown> }): Promise<FarmError> {
  let wire: SerializedError = { name: 'FarmError', message: `HTTP ${res.status}` };
  try {
    const body = (await res.json()) as { error?: SerializedError } | null;
    if (body?.error?.message) wire = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return parseError(wire);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
