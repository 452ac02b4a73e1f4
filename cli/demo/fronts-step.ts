/**
 * The demo's last step: each device's latency twin (fitted by the coordinator when its sweep
 * completed) and its Pareto front on a few budgets spread over the twin's latency range.
 * Without an accuracy predictor for the space, the front maximises MACs and says it is a proxy.
 */
import { errorMessage } from '../../core/errors';
import { MIN_TWIN_SAMPLES } from '../../server/twins/store';
import { printDeviceFronts } from '../commands/pareto';
import type { DemoStep } from './context';

const DEMO_BUDGETS = 5;

export const frontsStep: DemoStep = {
  name: 'fronts',
  async run(ctx) {
    const devices = ctx.devices.filter((d) => d.sweepId !== undefined).map((d) => d.name);
    if (ctx.options.count < MIN_TWIN_SAMPLES) {
      ctx.io.out.write(`\nno twins: a twin needs at least ${MIN_TWIN_SAMPLES} measured subnets (--count ${ctx.options.count})\n`);
      return;
    }
    try {
      await printDeviceFronts(ctx.client, ctx.io, devices, { space: ctx.options.space, auto: DEMO_BUDGETS, waitMs: 120_000 });
    } catch (error) {
      ctx.io.err.write(`ofa-farm: demo: Pareto fronts failed: ${errorMessage(error)}\n`);
    }
  },
};
