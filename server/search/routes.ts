/**
 * HTTP: Pareto fronts and twins of a device.
 *   GET  /api/devices/:name/pareto?space=S&budgets=10,15,20|auto=10&objective=accuracy|macs&seed=K
 *        computes a front on the device's active twin, stores it, returns it (StoredFront);
 *        with run=ID it returns that stored front instead.
 *   GET  /api/devices/:name/fronts?space=S      the device's recent search runs
 *   GET  /api/devices/:name/twins?space=S       twin versions with their metrics (no model bodies)
 *   GET  /api/devices/:name/repeatability?space=S  the noise ceiling: re-measured subnets' agreement
 *   POST /api/devices/:name/twins/refit {space}  fits a new twin version now (admin)
 *   POST /api/devices/:name/pareto/:run/verify   measures the run's chosen subnets on the device
 *        (a `list` sweep, no anchors); GET pareto?run=ID then shows measured against budget
 * Mount with `app.route('/api', searchRoutes(deps))`; the app's middleware guards POST.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { SPACE_NAMES, SPACES } from '../../core/space';
import type { Db } from '../../db/client';
import { requireDeviceByName } from '../../db/queries/devices';
import { jsonBody, queryParams } from '../http/validate';
import { SweepRequest } from '../scheduler/sweeps';
import { repeatability } from '../twins/repeatability';
import { deviceRemeasurements, listTwinVersions, refitDeviceTwins } from '../twins/store';
import { attachVerifySweep, latestRuns } from './front-store';
import { computeDeviceFront, MAX_BUDGETS, storedFront } from './pareto-service';
import { OBJECTIVE_NAMES } from './types';

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ValidationError(`invalid ${what}: ${issue.path.join('.') || what}: ${issue.message}`);
}

const budgetList = z
  .string()
  .max(2000)
  .transform((text, ctx) => {
    const values = text.split(',').map((v) => v.trim()).filter(Boolean).map(Number);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) {
      ctx.addIssue({ code: 'custom', message: `budgets must be positive numbers of ms separated by commas, got "${text.slice(0, 60)}"` });
      return z.NEVER;
    }
    return values;
  });
const intText = (min: number, max: number) => z.string().regex(/^\d{1,9}$/, 'must be an integer').transform(Number).pipe(z.number().int().min(min).max(max));

const ParetoQuery = z.object({
  space: z.enum(SPACE_NAMES),
  budgets: budgetList.optional(),
  auto: intText(1, MAX_BUDGETS).optional(),
  objective: z.enum(OBJECTIVE_NAMES).default('accuracy'),
  seed: intText(0, 2 ** 31).optional(),
  predictor: intText(1, 1e9).optional(),
  generations: intText(1, 5000).optional(),
  run: intText(1, Number.MAX_SAFE_INTEGER).optional(),
  calibrate: z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true').optional(),
});

const SpaceQuery = z.object({ space: z.enum(SPACE_NAMES).optional() });
const RequiredSpaceQuery = z.object({ space: z.enum(SPACE_NAMES) });
const RefitBody = z.object({ space: z.enum(SPACE_NAMES), statistic: z.enum(['median', 'min']).optional(), seed: z.number().int().min(0).optional() });

const VerifyBody = z.object({ settings: SweepRequest.shape.settings }).default({});

export interface SearchRouteDeps {
  db: Db;
  log?: (line: string) => void;
  /** Creates measurement sweeps (for --verify). */
  sweeps?: { create(input: z.output<typeof SweepRequest>): Promise<{ id: number }> };
}

export function searchRoutes(deps: SearchRouteDeps) {
  return new Hono()
    .get('/devices/:name/pareto', queryParams(ParetoQuery), async (c) => {
      const q = c.req.valid('query');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      if (q.run !== undefined) return c.json(await storedFront(deps.db, q.run));
      if (!q.budgets && q.auto === undefined) throw new ValidationError('give budgets=10,15,20 (ms) or auto=N');
      const front = await computeDeviceFront(deps.db, device, {
        space: q.space,
        budgets: q.budgets,
        auto: q.auto,
        objective: q.objective,
        seed: q.seed,
        predictorVersion: q.predictor,
        hyperParams: q.generations !== undefined ? { generations: q.generations } : undefined,
        calibrate: q.calibrate,
      });
      return c.json(front);
    })
    .get('/devices/:name/fronts', queryParams(SpaceQuery), async (c) => {
      const q = c.req.valid('query');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      const runs = await latestRuns(deps.db, device.id, q.space, 50);
      return c.json({ runs: runs.map((r) => ({ id: r.id, space: r.space, objective: r.objective, budgetsMs: r.budgetsMs, twinVersion: r.twinVersion, predictorVersion: r.predictorVersion, seed: r.seed, createdAt: r.createdAt.toISOString() })) });
    })
    .get('/devices/:name/twins', queryParams(SpaceQuery), async (c) => {
      const q = c.req.valid('query');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      const rows = await listTwinVersions(deps.db, device.id, q.space);
      return c.json({
        twins: rows.map((r) => ({ id: r.id, space: r.space, family: r.family, version: r.version, active: r.active, metrics: r.metrics, nMeasurements: r.nMeasurements, createdAt: r.createdAt.toISOString() })),
      });
    })
    .get('/devices/:name/repeatability', queryParams(RequiredSpaceQuery), async (c) => {
      const q = c.req.valid('query');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      return c.json({ space: q.space, repeatability: repeatability(await deviceRemeasurements(deps.db, device.id, SPACES[q.space])) });
    })
    .post('/devices/:name/twins/refit', jsonBody(RefitBody), async (c) => {
      const body = c.req.valid('json');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      const fitted = await refitDeviceTwins(deps.db, { deviceId: device.id, deviceName: device.name, space: body.space, statistic: body.statistic, seed: body.seed, onProgress: deps.log });
      if (!fitted) throw new ValidationError(`device ${device.name} has too few measured subnets of ${body.space} for a twin`);
      return c.json({ version: fitted.version, report: { ...fitted.report, families: fitted.report.families.map(({ heldOutPoints: _p, ...f }) => f) } });
    })
    .post('/devices/:name/pareto/:run/verify', jsonBody(VerifyBody), async (c) => {
      const runId = parse(intText(1, Number.MAX_SAFE_INTEGER), c.req.param('run'), 'run id');
      const body = c.req.valid('json');
      const device = await requireDeviceByName(deps.db, c.req.param('name'));
      if (!deps.sweeps) throw new ValidationError('this coordinator cannot create sweeps');
      const front = await storedFront(deps.db, runId);
      const configs = [...new Map(front.points.map((p) => [p.subnetId, p.config])).values()];
      const request = parse(SweepRequest, { device: device.name, space: front.space, strategy: 'list', configs, anchorEvery: 0, settings: body.settings }, 'verify sweep');
      const sweep = await deps.sweeps.create(request);
      await attachVerifySweep(deps.db, runId, sweep.id);
      deps.log?.(`front ${runId}: verify sweep ${sweep.id} measures ${configs.length} chosen subnets on ${device.name}`);
      return c.json({ runId, sweepId: sweep.id, subnets: configs.length });
    });
}
