/** Devices: list, show, register (token shown once), remove; enrollment tokens and enrollment. */
import { Hono } from 'hono';
import { z } from 'zod';
import { AuthError } from '../../../core/errors';
import { AGENT_KINDS } from '../../../core/protocol';
import { bearerToken, clientAddress } from '../auth';
import type { AppDeps } from '../deps';
import { jsonBody } from '../validate';

export const NewDeviceBody = z.object({
  name: z.string().min(1).max(100),
  kind: z.enum(AGENT_KINDS),
  host: z.string().min(1).max(200).nullable().optional(),
});

export const EnrollmentTokenBody = z.object({
  label: z.string().max(200).optional(),
  maxUses: z.number().int().min(1).max(1_000_000).nullable().optional(),
  /** Lifetime in ms from now; absent = no expiry. */
  ttlMs: z.number().int().min(1000).max(366 * 24 * 3600 * 1000).optional(),
});

export function deviceRoutes(deps: AppDeps) {
  return new Hono()
    .get('/devices', async (c) => c.json({ devices: await deps.registry.list() }))
    .post('/devices', jsonBody(NewDeviceBody), async (c) => {
      const added = await deps.registry.add(c.req.valid('json'));
      deps.log(`device ${added.device.name} (${added.device.kind}) registered`);
      return c.json(added, 201);
    })
    .get('/devices/:name', async (c) => c.json({ device: await deps.registry.get(c.req.param('name')) }))
    .delete('/devices/:name', async (c) => {
      const removed = await deps.registry.remove(c.req.param('name'));
      deps.disconnectDevice(removed.device.id, `device ${removed.device.name} was removed`);
      deps.log(`device ${removed.device.name} removed (${removed.cancelledJobs} jobs, ${removed.cancelledSweeps} sweeps cancelled)`);
      return c.json(removed);
    })
    .post('/devices/:name/token', async (c) => {
      const rotated = await deps.registry.rotateToken(c.req.param('name'));
      deps.disconnectDevice(rotated.device.id, `the token of device ${rotated.device.name} was replaced`);
      deps.log(`device ${rotated.device.name}: token replaced`);
      return c.json(rotated, 201);
    })
    .post('/enrollment-tokens', jsonBody(EnrollmentTokenBody), async (c) => {
      const body = c.req.valid('json');
      const created = await deps.registry.createEnrollmentToken({
        label: body.label,
        maxUses: body.maxUses ?? null,
        expiresAt: body.ttlMs === undefined ? null : new Date(Date.now() + body.ttlMs),
      });
      return c.json(created, 201);
    })
    .post('/enroll', jsonBody(NewDeviceBody), async (c) => {
      const token = bearerToken(c);
      if (!token) throw new AuthError('enrolling a device needs an enrollment token: send "Authorization: Bearer <token>"');
      const enrolled = await deps.registry.enroll(token, c.req.valid('json'), clientAddress(c));
      deps.log(`device ${enrolled.device.name} (${enrolled.device.kind}) enrolled`);
      return c.json(enrolled, 201);
    });
}
