/** Measurements of a device (optionally one space, sweep, subnet or status), keyset-paginated. */
import { Hono } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors';
import { MeasurementStatus } from '../../../core/measurement';
import { SPACE_NAMES } from '../../../core/space';
import { requireDeviceByName } from '../../../db/queries/devices';
import { listMeasurements, MAX_MEASUREMENTS_PAGE } from '../../../db/queries/measurements';
import type { AppDeps } from '../deps';
import { queryParams } from '../validate';
import { flagString, intString } from './params';

const MeasurementsQuery = z.object({
  device: z.string().min(1).max(100).optional(),
  space: z.enum(SPACE_NAMES).optional(),
  sweep: intString(1, Number.MAX_SAFE_INTEGER).optional(),
  subnet: z.string().regex(/^[0-9a-f]{16}$/, 'must be a 16-hex-digit subnet id').optional(),
  status: MeasurementStatus.optional(),
  after: intString(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: intString(1, MAX_MEASUREMENTS_PAGE).optional(),
  /** Include late results kept as data (counted = false). */
  uncounted: flagString.optional(),
  /** Include the raw timed samples. */
  samples: flagString.optional(),
});

export function measurementRoutes(deps: AppDeps) {
  return new Hono().get('/measurements', queryParams(MeasurementsQuery), async (c) => {
    const q = c.req.valid('query');
    if (!q.device && q.sweep === undefined && !q.subnet) throw new ValidationError('give at least one of device, sweep or subnet');
    const device = q.device ? await requireDeviceByName(deps.db, q.device) : null;
    const rows = await listMeasurements(deps.db, {
      deviceId: device?.id,
      space: q.space,
      sweepId: q.sweep,
      subnetId: q.subnet,
      statuses: q.status ? [q.status] : undefined,
      afterId: q.after,
      limit: q.limit ?? 10_000,
      includeUncounted: q.uncounted ?? false,
      withSamples: q.samples ?? false,
    });
    const next = rows.length === (q.limit ?? 10_000) ? rows[rows.length - 1].id : null;
    return c.json({ measurements: rows, next });
  });
}
