/**
 * A coordinator with data for the dashboards' API tests, made through the farm's own paths:
 * protocol agents (test/server/support) answer jobs with latencies that follow the subnet's MACs,
 * a job that always fails and one that fails once, then twins are refitted and fronts searched
 * through the HTTP API. Fast (no onnxruntime); the browser test uses real edge agents instead.
 */
import { eq } from 'drizzle-orm';
import { subnets } from '../../../db/schema/subnets';
import type { TestDb } from '../../helpers/databases';
import { okMeasurement, type ProtocolAgent } from '../../server/support/protocol-agent';
import { TestFarm } from '../../server/support/test-farm';
import { seedAccuracyPredictor } from './accuracy';

export const SPACE = 'ofa-mbv3-mini';

/** Latency a device "measures" for a subnet: linear in MACs, per-device speed, a little wobble. */
export function fakeLatency(macs: number, speed: number, jobId: number): number {
  return speed * (0.02 + macs / 2e7) * (1 + 0.01 * Math.sin(jobId));
}

export interface Seeded {
  farm: TestFarm;
  sweeps: { alpha: number; beta: number };
  /** MACs-proxy fronts of both devices, and an accuracy front of alpha. */
  fronts: { alpha: number; beta: number; alphaAccuracy: number };
}

function answerJobs(testDb: TestDb, speed: number, failing: { always: string; once: string }) {
  const failedOnce = new Set<string>();
  return (job: { jobId: string; attempt: number; label?: string }, agent: ProtocolAgent) => {
    if (job.jobId === failing.always || (job.jobId === failing.once && !failedOnce.has(job.jobId))) {
      failedOnce.add(job.jobId);
      return 'fail' as const;
    }
    const id = /subnet ([0-9a-f]{16})/.exec(job.label ?? '')?.[1];
    void (async () => {
      const [row] = id ? await testDb.db.select({ macs: subnets.macs }).from(subnets).where(eq(subnets.id, id)) : [];
      agent.result(job, okMeasurement(fakeLatency(row?.macs ?? 1e6, speed, Number(job.jobId))));
    })();
    return 'hold' as const;
  };
}

export async function seedFarm(testDb: TestDb): Promise<Seeded> {
  const farm = await TestFarm.start(testDb, { leaseMs: 20_000, offlineAfterMs: 10_000 });
  const alphaToken = await farm.addDevice('alpha', 'edge', 'host-alpha');
  const betaToken = await farm.addDevice('beta', 'edge', 'host-beta');
  // Job ids restart at 1 on the emptied database: sweep alpha's jobs come first (1 = its anchor).
  farm.agent({ token: alphaToken, host: 'host-alpha', onJob: answerJobs(testDb, 1, { always: '2', once: '3' }) as never });
  farm.agent({ token: betaToken, host: 'host-beta', onJob: answerJobs(testDb, 2.5, { always: '', once: '' }) as never });
  const alpha = await farm.startSweep({ device: 'alpha', count: 24, anchorEvery: 10, maxAttempts: 2 });
  const beta = await farm.startSweep({ device: 'beta', count: 16, seed: 2, anchorEvery: 10 });
  await farm.waitSweep(alpha.id, ['done'], 60_000);
  await farm.waitSweep(beta.id, ['done'], 60_000);
  for (const name of ['alpha', 'beta']) {
    const refit = await farm.api('POST', `/api/devices/${name}/twins/refit`, { space: SPACE });
    if (refit.status !== 200) throw new Error(`refit of ${name} failed: ${JSON.stringify(refit.body)}`);
  }
  // Budgets inside each device's latency range (fakeLatency over the mini space's MACs).
  const front = async (name: string, budgets: string, objective = 'macs') => {
    const res = await farm.api('GET', `/api/devices/${name}/pareto?space=${SPACE}&budgets=${budgets}&objective=${objective}&generations=15&seed=1`);
    if (res.status !== 200) throw new Error(`front of ${name} failed: ${JSON.stringify(res.body)}`);
    return res.body.runId as number;
  };
  const fronts = { alpha: await front('alpha', '0.06,0.08,0.1,0.12'), beta: await front('beta', '0.15,0.2,0.25,0.3') };
  await seedAccuracyPredictor(testDb.db, SPACE);
  return { farm, sweeps: { alpha: alpha.id, beta: beta.id }, fronts: { ...fronts, alphaAccuracy: await front('alpha', '0.06,0.1', 'accuracy') } };
}
