/**
 * The CLI's view of a coordinator: where it is (--server, OFA_FARM_SERVER, else the local one),
 * the admin token (--admin-token, OFA_FARM_ADMIN_TOKEN, else the token file in the farm home),
 * and a typed client whose request and response types come from the server (`hc<AppType>`).
 * Error bodies become the same typed FarmErrors the server threw.
 */
import type { Command } from 'commander';
import { hc } from 'hono/client';
import { DeadlineError, errorFromResponse, FarmError, ValidationError } from '../core/errors';
import { DEFAULT_HOME, DEFAULT_PORT, readAdminToken } from '../server/home';
import type { AppType } from '../server/http/app';

export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_PORT}`;

export interface ServerOptions {
  server?: string;
  adminToken?: string;
  home?: string;
}

export interface ServerTarget {
  url: string;
  adminToken: string | undefined;
}

/** Adds the options every command that talks to a coordinator accepts. */
export function withServerOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `coordinator URL (default: OFA_FARM_SERVER or ${DEFAULT_SERVER})`)
    .option('--admin-token <token>', 'admin token (default: OFA_FARM_ADMIN_TOKEN or the token file in the farm home)')
    .option('--home <dir>', `farm home of the local coordinator, for its admin token file (default: OFA_FARM_HOME or ${DEFAULT_HOME})`);
}

/** The client for a command's --server/--admin-token/--home options. */
export function clientFor(opts: ServerOptions): { client: FarmClient; target: ServerTarget } {
  const target = resolveTarget(opts);
  return { client: farmClient(target), target };
}

export function resolveTarget(opts: ServerOptions, env: NodeJS.ProcessEnv = process.env): ServerTarget {
  const url = (opts.server ?? env.OFA_FARM_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
  } catch {
    throw new ValidationError(`--server "${url}" is not an http(s) URL`);
  }
  let adminToken = opts.adminToken ?? env.OFA_FARM_ADMIN_TOKEN;
  if (!adminToken) {
    try {
      adminToken = readAdminToken(opts.home ?? env.OFA_FARM_HOME ?? DEFAULT_HOME);
    } catch {
      adminToken = undefined;
    }
  }
  return { url, adminToken: adminToken || undefined };
}

const REQUEST_TIMEOUT_MS = 60_000;
/** A kept-alive socket the server closed as the request left: safe to retry a read, never a write. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const READ_ATTEMPTS = 3;

export function farmClient(target: ServerTarget) {
  const headers: Record<string, string> = target.adminToken ? { authorization: `Bearer ${target.adminToken}` } : {};
  const timedFetch: typeof fetch = async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const attempts = method === 'GET' || method === 'HEAD' ? READ_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if ((error as Error).name === 'TimeoutError') throw new DeadlineError(`the coordinator at ${target.url} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
        if (attempt < attempts && code !== undefined && STALE_SOCKET_CODES.has(code)) {
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          continue;
        }
        throw new FarmError(`cannot reach the coordinator at ${target.url} (${code ?? (error as Error).message}); is \`ofa-farm serve\` running? (--server URL or OFA_FARM_SERVER)`);
      }
    }
  };
  return hc<AppType>(target.url, { headers, fetch: timedFetch });
}

export type FarmClient = ReturnType<typeof farmClient>;

/**
 * The body of a successful response; an error response becomes the typed FarmError it carries.
 * @example const { devices } = await unwrap(client.api.devices.$get());
 */
export async function unwrap<T>(pending: Promise<{ ok: boolean; status: number; json(): Promise<T> }>): Promise<T> {
  const res = await pending;
  if (res.ok) return res.json();
  throw await errorFromResponse(res);
}
