/** Demo steps that set the farm up on this machine: the coordinator, then a local edge agent. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCoordinator } from '../../server/main';
import { farmClient, unwrap } from '../client';
import { spawnAgent, waitForAgent } from './agent-process';
import type { DemoContext, DemoStep } from './context';

/** Starts the coordinator in this process on PGlite in the farm home; a busy port falls back to a free one. */
export async function startDemoCoordinator(ctx: Omit<DemoContext, 'coordinator' | 'client'>): Promise<Pick<DemoContext, 'coordinator' | 'client'>> {
  const start = (port: number) => startCoordinator({ port, home: ctx.options.home, adminToken: undefined }, { log: ctx.log });
  let coordinator;
  try {
    coordinator = await start(ctx.options.port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    ctx.io.err.write(`port ${ctx.options.port} is in use; using a free port\n`);
    coordinator = await start(0);
  }
  ctx.cleanups.push(() => coordinator.stop());
  const client = farmClient({ url: coordinator.url, adminToken: coordinator.adminToken });
  return { coordinator, client };
}

/** A device for this demo: registered once, given a fresh token on every run (the token is shown nowhere). */
export async function demoDeviceToken(ctx: DemoContext, name: string, kind: 'edge' | 'browser' | 'android'): Promise<string> {
  const existing = await ctx.client.api.devices[':name'].$get({ param: { name } });
  if (existing.ok) return (await unwrap(ctx.client.api.devices[':name'].token.$post({ param: { name } }))).token;
  return (await unwrap(ctx.client.api.devices.$post({ json: { name, kind, host: null } }))).token;
}

export const LOCAL_EDGE = 'local-edge';

/** Starts `ofa-farm agent edge` as its own process and waits until its device is online. */
export const edgeAgentStep: DemoStep = {
  name: 'local edge agent',
  async run(ctx) {
    const token = await demoDeviceToken(ctx, LOCAL_EDGE, 'edge');
    const cache = join(ctx.options.home, 'agents', LOCAL_EDGE);
    mkdirSync(cache, { recursive: true });
    const agent = spawnAgent(ctx.options.home, LOCAL_EDGE, ['edge', '--server', ctx.coordinator.url, '--cache', cache], token);
    ctx.cleanups.push(() => agent.stop());
    await waitForAgent(
      agent,
      async () => {
        const res = await ctx.client.api.devices[':name'].$get({ param: { name: LOCAL_EDGE } });
        return res.ok && (await res.json()).device.status !== 'offline';
      },
      `${LOCAL_EDGE} came online`,
    );
    const { device } = await unwrap(ctx.client.api.devices[':name'].$get({ param: { name: LOCAL_EDGE } }));
    const d = device.description;
    ctx.io.out.write(`device ${LOCAL_EDGE}: ${d?.cpu ?? 'unknown cpu'}, ${d?.cores ?? '?'} cores, ${d?.runtime} ${d?.runtimeVersion}, ${d?.threads ?? '?'} threads (agent log: ${agent.logPath})\n`);
    ctx.devices.push({ name: LOCAL_EDGE, kind: 'edge' });
  },
};
