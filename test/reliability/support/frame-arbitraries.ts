/**
 * fast-check arbitraries of valid protocol frames (as plain JSON objects, `v` included), built
 * from the limits core/protocol.ts and core/measurement.ts declare. Numbers are finite (JSON
 * has no NaN or Infinity).
 */
import fc from 'fast-check';
import { AGENT_KINDS, PROTOCOL_VERSION } from '../../../core/protocol';

const text = (max: number, min = 0) => fc.string({ minLength: min, maxLength: Math.min(max, 40) });
const finite = (min?: number) => fc.double({ noNaN: true, noDefaultInfinity: true, min: min ?? -1e15, max: 1e15 });
const nonneg = finite(0);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const scalar = fc.oneof(text(2000), finite(), fc.boolean(), fc.constant(null));
const record = fc.dictionary(text(100, 1), scalar, { maxKeys: 3 });

const jobRef = { jobId: text(100, 1), attempt: fc.integer({ min: 1, max: 1000 }) };

const device = fc.record(
  {
    model: nullable(text(500)),
    cpu: nullable(text(500)),
    cores: nullable(fc.nat(512)),
    memoryBytes: nullable(nonneg),
    os: nullable(text(500)),
    runtime: text(200),
    runtimeVersion: text(200),
    executionProviders: fc.array(text(100), { maxLength: 3 }),
    threads: nullable(fc.nat(256)),
    specs: record,
  },
  { requiredKeys: ['runtime', 'runtimeVersion'] },
);

const stats = fc.record({ runs: fc.nat(), minMs: nonneg, medianMs: nonneg, meanMs: nonneg, p90Ms: nonneg, maxMs: nonneg, stdMs: nonneg, cv: nonneg });

const provenance = fc.record(
  {
    runtime: text(200),
    runtimeVersion: text(200),
    executionProvider: text(200),
    threads: nullable(fc.nat(256)),
    inputShape: fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 4 }),
    clockSource: text(200),
    timerResolutionMs: nullable(nonneg),
    warmupRuns: fc.nat(),
    warmupMs: nonneg,
    extra: record,
  },
  { requiredKeys: ['runtime', 'runtimeVersion', 'executionProvider', 'threads', 'inputShape', 'clockSource', 'warmupRuns', 'warmupMs'] },
);

export const measurement = fc.record(
  {
    status: fc.constantFrom('ok', 'unstable', 'failed'),
    error: nullable(text(4000)),
    stats: nullable(stats),
    samplesMs: fc.array(nonneg, { maxLength: 5 }),
    attempts: fc.integer({ min: 1, max: 100 }),
    provenance: nullable(provenance),
    startedAt: nonneg,
    finishedAt: nonneg,
  },
  { requiredKeys: ['status', 'stats', 'provenance', 'startedAt', 'finishedAt'] },
);

const settings = fc.record(
  {
    warmupRuns: fc.nat(100_000),
    warmupMinMs: fc.double({ noNaN: true, min: 0, max: 600_000 }),
    runs: fc.integer({ min: 1, max: 100_000 }),
    minTimedMs: fc.double({ noNaN: true, min: 0, max: 600_000 }),
    maxCv: fc.double({ noNaN: true, min: 0.001, max: 10 }),
    maxRemeasures: fc.nat(10),
    maxRuns: fc.integer({ min: 1, max: 1_000_000 }),
    threads: fc.integer({ min: 1, max: 1024 }),
  },
  { requiredKeys: [] },
);

const v = fc.constant(PROTOCOL_VERSION);

export const fromAgentFrame = fc.oneof(
  fc.record({ v, type: fc.constant('hello'), token: text(500, 1), kind: fc.constantFrom(...AGENT_KINDS), agentVersion: text(100), device, host: nullable(text(200)) }),
  fc.record({ v, type: fc.constant('heartbeat'), busyJobId: nullable(text(100)) }),
  fc.record({ v, type: fc.constant('progress'), ...jobRef, phase: fc.constantFrom('download', 'prepare', 'warmup', 'measure'), done: nonneg, total: nonneg }),
  fc.record({ v, type: fc.constant('result'), ...jobRef, measurement }),
  fc.record({ v, type: fc.constant('release'), ...jobRef, reason: text(2000) }),
  fc.record({ v, type: fc.constant('error'), jobId: nullable(text(100)), message: text(4000) }),
);

export const toAgentFrame = fc.oneof(
  fc.record({ v, type: fc.constant('welcome'), deviceId: text(100), deviceName: text(100), heartbeatMs: fc.integer({ min: 1, max: 600_000 }), serverTime: finite() }),
  fc.record(
    {
      v,
      type: fc.constant('job'),
      ...jobRef,
      leaseDeadline: finite(),
      model: fc.record({ sha256: fc.stringMatching(/^[0-9a-f]{64}$/), url: text(2000), bytes: fc.nat() }),
      inputName: text(200),
      inputShape: fc.array(fc.integer({ min: 1, max: 512 }), { minLength: 1, maxLength: 8 }),
      settings,
      label: text(500),
    },
    { requiredKeys: ['v', 'type', 'jobId', 'attempt', 'leaseDeadline', 'model', 'inputShape', 'settings'] },
  ),
  fc.record({ v, type: fc.constant('cancel'), ...jobRef, reason: text(2000) }),
  fc.record({ v, type: fc.constant('ack'), ...jobRef, stored: fc.boolean() }),
  fc.record({ v, type: fc.constant('error'), code: text(100), message: text(4000) }),
);
