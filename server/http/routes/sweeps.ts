/** Sweeps: start (admin), list with their schedule, status with failures, cancel (admin). */
import { Hono } from 'hono';
import { z } from 'zod';
import { SweepRequest } from '../../scheduler/sweeps';
import type { AppDeps } from '../deps';
import { jsonBody, queryParams } from '../validate';
import { idParam, intString } from './params';

const ListQuery = z.object({
  device: z.string().min(1).max(100).optional(),
  active: z.enum(['0', '1', 'true', 'false']).optional(),
  limit: intString(1, 10_000).optional(),
});

const CancelBody = z.object({ reason: z.string().max(2000).optional() });

export function sweepRoutes(deps: AppDeps) {
  return new Hono()
    .get('/sweeps', queryParams(ListQuery), async (c) => {
      const q = c.req.valid('query');
      const sweeps = await deps.sweeps.list({ device: q.device, active: q.active === '1' || q.active === 'true', limit: q.limit });
      return c.json({ sweeps });
    })
    .post('/sweeps', jsonBody(SweepRequest), async (c) => {
      const sweep = await deps.sweeps.create(c.req.valid('json'));
      deps.log(`sweep ${sweep.id} created: ${sweep.progress.total} jobs on ${sweep.deviceName} (${sweep.space}, ${sweep.strategy})`);
      return c.json({ sweep }, 201);
    })
    .get('/sweeps/:id', async (c) => c.json({ sweep: await deps.sweeps.get(idParam(c.req.param('id'), 'sweep id')) }))
    .post('/sweeps/:id/cancel', jsonBody(CancelBody), async (c) => {
      const id = idParam(c.req.param('id'), 'sweep id');
      const sweep = await deps.sweeps.cancel(id, c.req.valid('json').reason ?? 'cancelled by the admin');
      deps.log(`sweep ${id} cancelled (${sweep.cancelledJobs} queued jobs, ${sweep.stopping} being measured)`);
      return c.json({ sweep });
    });
}
