/**
 * Demo step: a local headless browser agent (`ofa-farm agent browser`), when a browser is found,
 * so the sweep step measures the same subnets in onnxruntime-web next to onnxruntime-node. Its
 * page shares the edge agent's host key, so the two never measure at the same time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserCandidates } from '../../agents/browser/launch';
import { agentPageUrl } from '../../agents/browser/parse';
import { errorMessage } from '../../core/errors';
import { unwrap } from '../client';
import { spawnAgent, waitForAgent } from './agent-process';
import type { DemoContext, DemoStep } from './context';
import { demoDeviceToken } from './local-steps';

export const LOCAL_BROWSER = 'local-browser';

/** Which browser the demo would use, or why there is none. */
export function demoBrowser(): { found: true; label: string } | { found: false; reason: string } {
  try {
    const [first] = browserCandidates('chromium');
    return { found: true, label: first.executablePath ?? "Playwright's chromium" };
  } catch (error) {
    return { found: false, reason: errorMessage(error) };
  }
}

export const browserAgentStep: DemoStep = {
  name: 'local browser agent',
  async run(ctx: DemoContext) {
    const browser = demoBrowser();
    if (!browser.found) {
      ctx.io.out.write(`no browser agent: ${browser.reason}\n`);
      return;
    }
    const token = await demoDeviceToken(ctx, LOCAL_BROWSER, 'browser');
    mkdirSync(join(ctx.options.home, 'logs'), { recursive: true });
    const agent = spawnAgent(ctx.options.home, LOCAL_BROWSER, ['browser', '--server', ctx.coordinator.url], token);
    ctx.cleanups.push(() => agent.stop(20_000));
    try {
      await waitForAgent(
        agent,
        async () => {
          const res = await ctx.client.api.devices[':name'].$get({ param: { name: LOCAL_BROWSER } });
          return res.ok && (await res.json()).device.status !== 'offline';
        },
        `${LOCAL_BROWSER} came online`,
        120_000,
      );
    } catch (error) {
      // The demo still measures on the edge agent; the reason is shown, not hidden.
      ctx.io.err.write(`the browser agent did not start, continuing without it: ${errorMessage(error)}\n`);
      await agent.stop();
      return;
    }
    const { device } = await unwrap(ctx.client.api.devices[':name'].$get({ param: { name: LOCAL_BROWSER } }));
    const d = device.description;
    const specs = d?.specs ?? {};
    ctx.io.out.write(
      `device ${LOCAL_BROWSER}: ${specs.browser ?? 'a browser'} via ${browser.label}, ${d?.runtime} ${d?.runtimeVersion}, ${d?.threads ?? '?'} WASM threads, cross-origin isolated: ${specs.crossOriginIsolated ? 'yes' : 'no'} (agent log: ${agent.logPath})\n`,
    );
    ctx.devices.push({ name: LOCAL_BROWSER, kind: 'browser' });
    ctx.notes.push(`any browser can join: \`ofa-farm device add --name my-phone --kind browser\` prints a URL like ${agentPageUrl(ctx.coordinator.url, '<token>').replace('%3Ctoken%3E', '<token>')}`);
  },
};
