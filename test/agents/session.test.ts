import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceDescription } from '../../core/protocol';
import { QUICK_SETTINGS } from '../conformance/device-backend.case';
import { tinyModel } from '../conformance/test-models';
import { GOOD_TOKEN, ProtocolPeer } from './helpers/protocol-peer';
import { startTestAgent, type TestAgent } from './helpers/test-agent';

describe('agent runtime against a protocol peer over a real WebSocket', () => {
  let peer: ProtocolPeer;
  let t: TestAgent;
  let model: { sha256: string; url: string; bytes: number };

  beforeAll(async () => {
    peer = await ProtocolPeer.start({ heartbeatMs: 100 });
    model = peer.addModel(tinyModel().bytes);
    t = await startTestAgent(peer);
  });
  afterAll(async () => {
    await t?.agent.stop({ graceMs: 0 });
    await peer?.close();
  });

  it('says hello with its token and device, is welcomed, and sends heartbeats', async () => {
    await peer.waitFor('3 heartbeats', () => peer.frames('heartbeat').length >= 3);
    const [hello] = peer.frames('hello');
    expect(hello).toMatchObject({ token: GOOD_TOKEN, kind: 'edge', host: 'test-host', agentVersion: '0.1.0' });
    expect(DeviceDescription.safeParse(hello.device).success).toBe(true);
    expect(hello.device).toMatchObject({ runtime: 'onnxruntime-node', threads: 1 });
    expect(peer.frames('heartbeat').every((h) => h.busyJobId === null)).toBe(true);
    expect(t.agent.status()).toMatchObject({ connected: true, deviceId: 'dev-1', busyJobId: null });
    expect(t.logs.join('')).not.toContain(GOOD_TOKEN);
  });

  it('measures a job end to end: token-authorised download, hash check, result, ack', async () => {
    peer.sendJob(model, 'job-1', { ...QUICK_SETTINGS, minTimedMs: 400 });
    const m = await peer.waitFor('result of job-1', () => peer.stored.get('job-1@1'));
    expect(['ok', 'unstable']).toContain(m.status);
    expect(m.stats!.runs).toBeGreaterThanOrEqual(12);
    expect(m.provenance).toMatchObject({ runtime: 'onnxruntime-node', executionProvider: 'cpu', threads: 1, inputShape: [1, 1, 16, 16], clockSource: 'process.hrtime.bigint' });
    expect(peer.downloads).toEqual([{ sha256: model.sha256, authorization: `Bearer ${GOOD_TOKEN}`, status: 200 }]);
    const phases = new Set(peer.frames('progress').filter((p) => p.jobId === 'job-1').map((p) => p.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['download', 'prepare', 'warmup', 'measure']));
    expect(peer.frames('heartbeat').some((h) => h.busyJobId === 'job-1')).toBe(true);
    await peer.waitFor('outbox to empty after the ack', () => t.agent.status().outbox === 0);
    expect(readdirSync(join(t.cacheDir, 'models'))).toEqual([`${model.sha256}.onnx`]);
  });

  it('reuses the cached model, and downloads again when the cache entry is corrupt', async () => {
    peer.sendJob(model, 'job-2', QUICK_SETTINGS);
    await peer.waitFor('result of job-2', () => peer.stored.get('job-2@1'));
    expect(peer.downloads).toHaveLength(1);
    writeFileSync(join(t.cacheDir, 'models', `${model.sha256}.onnx`), 'bit rot');
    peer.sendJob(model, 'job-3', QUICK_SETTINGS);
    const m = await peer.waitFor('result of job-3', () => peer.stored.get('job-3@1'));
    expect(m.status).not.toBe('failed');
    expect(peer.downloads).toHaveLength(2);
    expect(t.logs.join('')).toMatch(/model.cache_corrupt/);
  });

  it('gives back a second job while busy, and a cancel aborts the running one without a result', async () => {
    peer.sendJob(model, 'long', { ...QUICK_SETTINGS, minTimedMs: 120_000, maxRuns: 1_000_000 });
    await peer.waitFor('long job measuring', () => peer.frames('progress').some((p) => p.jobId === 'long' && p.phase === 'measure'));
    peer.sendJob(model, 'second', QUICK_SETTINGS);
    const release = await peer.waitFor('release of the second job', () => peer.frames('release').find((r) => r.jobId === 'second'));
    expect(release.reason).toMatch(/busy with job long/);
    const heartbeatsBefore = peer.frames('heartbeat').length;
    peer.send({ type: 'cancel', jobId: 'long', attempt: 1, reason: 'sweep cancelled' });
    // The next job, sent right after the cancel, waits for the cancelled one to wind down.
    peer.sendJob(model, 'after-cancel', QUICK_SETTINGS);
    expect((await peer.waitFor('result after the cancel', () => peer.stored.get('after-cancel@1'))).status).not.toBe('failed');
    await peer.waitFor('an idle heartbeat after the cancel', () => peer.frames('heartbeat').slice(heartbeatsBefore).some((h) => h.busyJobId === null));
    expect(t.agent.status().busyJobId).toBeNull();
    expect(peer.frames('release').some((r) => r.jobId === 'after-cancel')).toBe(false);
    expect(peer.frames('result').some((r) => r.jobId === 'long')).toBe(false);
    expect(peer.frames('release').some((r) => r.jobId === 'long')).toBe(false);
    expect(t.logs.join('')).toMatch(/job.cancelled jobId=long/);
  });

  it('answers undecodable frames with an error frame naming the problem, and keeps working', async () => {
    const errorsBefore = peer.frames('error').length;
    peer.sendRaw('{not json');
    peer.sendRaw(JSON.stringify({ v: 99, type: 'job' }));
    peer.sendRaw(JSON.stringify({ v: 1, type: 'job', jobId: 'broken', attempt: 1 }));
    peer.sendRaw(JSON.stringify({ v: 1, type: 'mystery' }));
    peer.send({ type: 'error', code: 'bad_frame', message: 'the peer did not like something' });
    const errors = await peer.waitFor('4 error frames', () => {
      const list = peer.frames('error').slice(errorsBefore);
      return list.length >= 4 && list;
    });
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^bad_json/),
      expect.stringMatching(/^bad_version: protocol version 99/),
      expect.stringMatching(/^bad_frame: invalid "job" frame: leaseDeadline/),
      expect.stringMatching(/^bad_frame/),
    ]);
    expect(t.logs.join('')).toMatch(/server.error code=bad_frame/);
    expect(peer.connections).toBe(1);
    peer.sendJob(model, 'after-bad-frames', QUICK_SETTINGS);
    const m = await peer.waitFor('result after bad frames', () => peer.stored.get('after-bad-frames@1'));
    expect(m.status).not.toBe('failed');
  });
});
