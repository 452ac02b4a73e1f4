import { afterEach, beforeEach, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../core/protocol';
import { describeEachDb } from '../helpers/databases';
import { TestFarm } from './support/test-farm';

describeEachDb('agent protocol at the coordinator', (getDb) => {
  let farm: TestFarm;
  beforeEach(async () => {
    farm = await TestFarm.start(getDb());
  });
  afterEach(async () => {
    await farm.stop();
  });

  async function stillServing(): Promise<void> {
    expect((await farm.api('GET', '/api/health', undefined, null)).status).toBe(200);
  }

  it('welcomes a valid hello with the device and the heartbeat interval', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token });
    await agent.until(() => agent.of('welcome').length > 0, 'welcome');
    expect(agent.of('welcome')[0]).toMatchObject({ v: 1, deviceName: 'd1', heartbeatMs: 200 });
    const device = (await farm.api('GET', '/api/devices/d1', undefined, null)).body.device;
    expect(device.status).toBe('online');
    expect(device.description).toMatchObject({ runtime: 'protocol-test', cpu: 'test cpu' });
    expect(device.agentVersion).toBe('protocol-test');
  });

  it('refuses a wrong token with auth_failed and close 4001', async () => {
    await farm.addDevice('d1');
    const agent = farm.agent({ token: 'ofad_not-a-real-token' });
    expect(await agent.closed).toBe(4001);
    expect(agent.of('error')).toEqual([expect.objectContaining({ code: 'auth_failed', message: expect.stringContaining('device token is not valid') })]);
    expect(agent.of('welcome')).toEqual([]);
    await stillServing();
  });

  it('refuses a token of another kind of device', async () => {
    const token = await farm.addDevice('b1', 'browser');
    const agent = farm.agent({ token, kind: 'edge' });
    expect(await agent.closed).toBe(4001);
    expect(agent.of('error')[0].message).toContain('browser device "b1"');
  });

  it('refuses another protocol version with bad_version and close 4002', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token, skipHello: true });
    await agent.opened;
    agent.sendRaw(JSON.stringify({ v: 99, type: 'hello', token }));
    expect(await agent.closed).toBe(4002);
    expect(agent.of('error')[0]).toMatchObject({ code: 'bad_version', message: expect.stringContaining('99') });
    await stillServing();
  });

  it('answers malformed frames before hello with an error and a close', async () => {
    const token = await farm.addDevice('d1');
    for (const [raw, code] of [
      ['{not json', 'bad_json'],
      ['[1,2]', 'bad_frame'],
      [JSON.stringify({ v: 1, type: 'hello', token }), 'bad_frame'],
      [JSON.stringify({ v: 1, type: 'heartbeat', busyJobId: null }), 'hello_first'],
    ] as const) {
      const agent = farm.agent({ token, skipHello: true });
      await agent.opened;
      agent.sendRaw(raw);
      expect(await agent.closed, raw).toBe(4003);
      expect(agent.of('error')[0].code, raw).toBe(code);
    }
    await stillServing();
  });

  it('answers bad frames after hello with an error frame and keeps the connection', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token });
    await agent.until(() => agent.of('welcome').length > 0, 'welcome');
    agent.sendRaw('{"v":1,"type":"teleport"}');
    agent.sendRaw(JSON.stringify({ v: 1, type: 'result', jobId: '1', attempt: 'x' }));
    agent.sendRaw('x'.repeat(MAX_FRAME_BYTES + 10));
    agent.send({ type: 'progress', jobId: '1', attempt: 1, phase: 'measure', done: 1, total: 2 });
    await agent.until(() => agent.of('error').length >= 3, 'three error frames');
    const codes = agent.of('error').map((e) => e.code);
    expect(codes).toEqual(['bad_frame', 'bad_frame', 'too_large']);
    expect(agent.of('error')[1].message).toContain('attempt');
    expect(agent.closeCode).toBeNull();
    agent.heartbeat();
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.closeCode).toBeNull();
    expect((await farm.api('GET', '/api/devices/d1', undefined, null)).body.device.status).toBe('online');
  });

  it('drops an agent that sends no hello in time', async () => {
    await farm.addDevice('d1');
    const agent = farm.agent({ token: 'unused', skipHello: true });
    expect(await agent.closed).toBe(4003);
    expect(agent.of('error')[0]).toMatchObject({ code: 'hello_timeout' });
  });

  it('answers a second hello without closing', async () => {
    const token = await farm.addDevice('d1');
    const agent = farm.agent({ token });
    await agent.until(() => agent.of('welcome').length > 0, 'welcome');
    agent.hello();
    await agent.until(() => agent.of('error').length > 0, 'an error');
    expect(agent.of('error')[0].code).toBe('already_authenticated');
    expect(agent.closeCode).toBeNull();
  });

  it('lets a newer connection of a device replace the older one', async () => {
    const token = await farm.addDevice('d1');
    const first = farm.agent({ token });
    await first.until(() => first.of('welcome').length > 0, 'welcome');
    const second = farm.agent({ token });
    await second.until(() => second.of('welcome').length > 0, 'welcome');
    expect(await first.closed).toBe(4004);
    expect(second.closeCode).toBeNull();
    expect(farm.coordinator.dispatcher.connected).toBe(1);
  });
});
