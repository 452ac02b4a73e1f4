/**
 * The coordinator's HTTP API (Hono). Reads are open; every mutating call (any method but GET and
 * HEAD under /api, except enrollment, which carries its own token) needs the admin token. Errors
 * become responses in one place (errors.ts). The CLI and the dashboards take their types from
 * `AppType` through `hc<AppType>`, so no request or response type is written twice.
 */
import { Hono } from 'hono';
import { PROTOCOL_VERSION } from '../../core/protocol';
import { requireAdmin } from './auth';
import { agentPageRoutes } from './agent-page';
import type { AppDeps } from './deps';
import { errorResponse, notFoundResponse } from './errors';
import { artifactRoutes } from './routes/artifacts';
import { deviceRoutes } from './routes/devices';
import { measurementRoutes } from './routes/measurements';
import { sweepRoutes } from './routes/sweeps';
import { searchRoutes } from '../search/routes';
import { dashboardRoutes } from './dashboards';

/** Mutating routes that authenticate with something other than the admin token. */
const OWN_AUTH = new Set(['/api/enroll']);

export function buildApp(deps: AppDeps) {
  const admin = requireAdmin(deps.adminToken, deps.limiter);
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, deps.log));
  app.notFound((c) => notFoundResponse(c));
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || OWN_AUTH.has(c.req.path)) return next();
    return admin(c, next);
  });
  return app
    .get('/api/health', (c) =>
      c.json({
        ok: true as const,
        service: 'ofa-farm coordinator',
        protocolVersion: PROTOCOL_VERSION,
        instanceId: deps.instanceId,
        startedAt: deps.startedAt.toISOString(),
        ...deps.status(),
      }),
    )
    .route('/api', deviceRoutes(deps))
    .route('/api', sweepRoutes(deps))
    .route('/api', measurementRoutes(deps))
    .route('/api', searchRoutes(deps))
    .route('/', artifactRoutes(deps))
    .route('/', dashboardRoutes(deps))
    .route('/', agentPageRoutes());
}

export type AppType = ReturnType<typeof buildApp>;
