import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, decodeFromAgent, decodeToAgent, encodeFrame, type FromAgentInput } from '../../core/protocol';

const hello = {
  v: 1,
  type: 'hello',
  token: 'secret',
  kind: 'edge',
  agentVersion: '0.1.0',
  device: { runtime: 'onnxruntime-node', runtimeVersion: '1.23.2' },
};

describe('protocol decoding', () => {
  it('accepts a valid frame and fills defaults', () => {
    const decoded = decodeFromAgent(JSON.stringify(hello));
    expect(decoded.ok).toBe(true);
    if (decoded.ok && decoded.frame.type === 'hello') expect(decoded.frame.device.executionProviders).toEqual([]);
  });

  it('names the problem of a bad frame and never throws', () => {
    expect(decodeFromAgent('{not json')).toMatchObject({ ok: false, code: 'bad_json' });
    expect(decodeFromAgent(JSON.stringify({ ...hello, v: 99 }))).toMatchObject({ ok: false, code: 'bad_version' });
    const wrongKind = decodeFromAgent(JSON.stringify({ ...hello, kind: 'toaster' }));
    expect(wrongKind.ok).toBe(false);
    if (!wrongKind.ok) expect(wrongKind.error).toMatch(/"hello" frame: kind/);
    expect(decodeFromAgent(JSON.stringify({ v: 1, type: 'dance' }))).toMatchObject({ ok: false, code: 'bad_frame' });
    expect(decodeFromAgent('x'.repeat(MAX_FRAME_BYTES + 1))).toMatchObject({ ok: false, code: 'too_large' });
    expect(decodeToAgent('[]')).toMatchObject({ ok: false, code: 'bad_frame' });
  });

  it('round-trips frames through encodeFrame', () => {
    const text = encodeFrame<FromAgentInput>({ type: 'heartbeat' });
    expect(decodeFromAgent(text)).toEqual({ ok: true, frame: { v: 1, type: 'heartbeat', busyJobId: null } });
  });
});
