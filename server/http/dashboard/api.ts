/**
 * Read-only API the dashboards need beyond the farm's own routes, under /api/dashboard:
 *   GET overview                      devices with their active twins and measurement counts
 *   GET devices/:name                 a device, its recent measurements, its anchor series
 *   GET sweeps?limit=N&device=NAME    sweeps with progress, throughput, failures and reasons
 *   GET fronts?space=S&objective=O    each device's newest Pareto front of a space (+ choices)
 *   GET twins?device=N&space=S[&version=V]   every twin family of a version: held-out points, curve
 *   GET subnets?space=S&limit=N       recently measured subnets
 *   GET subnets/:id                   a subnet, its cost and its measurements on every device
 *   GET events                        server-sent events: `hello`, then `change` {topics, at}
 * Everything here is a GET: the app's admin guard leaves it open, like the farm's other reads.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { RateLimitError } from '../../../core/errors';
import { SPACE_NAMES } from '../../../core/space';
import { requireDeviceByName } from '../../../db/queries/devices';
import type { AppDeps } from '../deps';
import { intString } from '../routes/params';
import { queryParams } from '../validate';
import { deviceCards, deviceDetail } from './devices-data';
import { frontChoices, latestFronts, recentSubnets, subnetDetail, twinQuality } from './insights-data';
import { LiveFeed, type LiveChange } from './live-feed';
import { sweepCards } from './sweeps-data';

const SweepsQuery = z.object({ limit: intString(1, 500).optional(), device: z.string().min(1).max(100).optional() });
const FrontsQuery = z.object({ space: z.enum(SPACE_NAMES), objective: z.enum(['accuracy', 'macs']).optional() });
const TwinsQuery = z.object({ device: z.string().min(1).max(100), space: z.enum(SPACE_NAMES), version: intString(1, 1_000_000_000).optional() });
const SubnetsQuery = z.object({ space: z.enum(SPACE_NAMES).optional(), limit: intString(1, 500).optional() });

/** Open event streams per coordinator, at most. */
export const MAX_EVENT_STREAMS = 200;
const KEEPALIVE_MS = 15_000;

export function dashboardApi(deps: AppDeps, feed = new LiveFeed(deps.db, { log: deps.log })) {
  let streams = 0;
  for (const type of ['measurement', 'sweep-finished', 'device-status'] as const) deps.events?.on(type, () => feed.soon());
  return new Hono()
    .get('/overview', async (c) => c.json({ devices: await deviceCards(deps.db, deps.registry), serverTime: new Date().toISOString() }))
    .get('/devices/:name', async (c) => c.json(await deviceDetail(deps.db, deps.registry, c.req.param('name'))))
    .get('/sweeps', queryParams(SweepsQuery), async (c) => {
      const q = c.req.valid('query');
      const deviceId = q.device ? (await requireDeviceByName(deps.db, q.device)).id : undefined;
      return c.json({ sweeps: await sweepCards(deps.db, { limit: q.limit, deviceId }) });
    })
    .get('/fronts', queryParams(FrontsQuery), async (c) => {
      const q = c.req.valid('query');
      const [fronts, choices] = await Promise.all([latestFronts(deps.db, q.space, q.objective), frontChoices(deps.db)]);
      return c.json({ space: q.space, objective: q.objective ?? null, fronts, choices });
    })
    .get('/twins', queryParams(TwinsQuery), async (c) => {
      const q = c.req.valid('query');
      return c.json(await twinQuality(deps.db, q.device, q.space, q.version));
    })
    .get('/subnets', queryParams(SubnetsQuery), async (c) => {
      const q = c.req.valid('query');
      return c.json({ subnets: await recentSubnets(deps.db, { space: q.space, limit: q.limit }) });
    })
    .get('/subnets/:id', async (c) => c.json(await subnetDetail(deps.db, c.req.param('id'))))
    .get('/events', (c) => {
      if (streams >= MAX_EVENT_STREAMS) throw new RateLimitError(`too many open dashboard event streams (${MAX_EVENT_STREAMS}); close some pages`);
      streams++;
      return streamSSE(c, async (stream) => {
        const pending: LiveChange[] = [];
        let wake: (() => void) | null = null;
        const unsubscribe = feed.subscribe((change) => {
          pending.push(change);
          wake?.();
        });
        stream.onAbort(() => wake?.());
        try {
          await stream.writeSSE({ event: 'hello', data: JSON.stringify({ instanceId: deps.instanceId, intervalMs: feed.intervalMs }), retry: 2000 });
          while (!stream.aborted && !stream.closed) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, KEEPALIVE_MS).unref();
            });
            wake = null;
            if (stream.aborted || stream.closed) break;
            if (pending.length === 0) {
              await stream.write(': keep-alive\n\n');
              continue;
            }
            const batch = pending.splice(0);
            const topics = [...new Set(batch.flatMap((b) => b.topics))];
            await stream.writeSSE({ event: 'change', data: JSON.stringify({ topics, at: batch[batch.length - 1].at } satisfies LiveChange) });
          }
        } finally {
          unsubscribe();
          streams--;
        }
      });
    });
}
