/**
 * The coordinator's HTTP routes, read from the Hono app itself (`app.routes`), so a route added
 * later is covered by the security and bad-input tests without anyone listing it.
 */
import { buildApp } from '../../../server/http/app';
import type { AppDeps } from '../../../server/http/deps';

export interface Route {
  method: string;
  path: string;
}

/** Every method + path the app serves (middleware entries left out), once each. */
export function appRoutes(): Route[] {
  // Registering routes touches none of the services; only the auth middleware reads these two.
  const app = buildApp({ adminToken: 'unused', limiter: {}, log: () => {} } as unknown as AppDeps);
  const seen = new Map<string, Route>();
  for (const r of app.routes) {
    if (r.method === 'ALL') continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

export const isMutating = (r: Route) => r.method !== 'GET' && r.method !== 'HEAD';

/** The path with its parameters (`:name`, `*`) replaced by the given values (URL-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path
    .replace(/:(\w+)/g, (_m, key: string) => encodeURIComponent(values[key] ?? 'x'))
    .replace(/\*/g, encodeURIComponent(values['*'] ?? 'x'));
}
