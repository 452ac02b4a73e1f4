/**
 * The agent <-> coordinator protocol, declared once. Every frame is JSON with `v` and `type`;
 * both ends decode with `decodeToAgent` / `decodeFromAgent`, which never throw: an invalid frame
 * yields a message naming the problem, to be sent back as an `error` frame.
 */
import { z } from 'zod';
import { Measurement, MeasurementSettings } from './measurement';

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts, in bytes (a result with 100k samples fits). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export const AGENT_KINDS = ['edge', 'browser', 'android'] as const;
export const AgentKind = z.enum(AGENT_KINDS);
export type AgentKind = z.infer<typeof AgentKind>;

const SpecValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);

/** What an agent says about its device; `specs` carries kind-specific details. */
export const DeviceDescription = z.object({
  model: z.string().max(500).nullable().default(null),
  cpu: z.string().max(500).nullable().default(null),
  cores: z.number().int().nonnegative().nullable().default(null),
  memoryBytes: z.number().nonnegative().nullable().default(null),
  os: z.string().max(500).nullable().default(null),
  runtime: z.string().max(200),
  runtimeVersion: z.string().max(200),
  executionProviders: z.array(z.string().max(100)).max(32).default([]),
  threads: z.number().int().nonnegative().nullable().default(null),
  specs: z.record(z.string().max(100), SpecValue).default({}),
});
export type DeviceDescription = z.infer<typeof DeviceDescription>;
export type DeviceDescriptionInput = z.input<typeof DeviceDescription>;

const base = { v: z.literal(PROTOCOL_VERSION) };
const JobRef = { jobId: z.string().min(1).max(100), attempt: z.number().int().min(1).max(1000) };

export const JobFrame = z.object({
  ...base,
  type: z.literal('job'),
  ...JobRef,
  /** Epoch ms after which the coordinator may hand the job to someone else. */
  leaseDeadline: z.number(),
  model: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    url: z.string().max(2000),
    bytes: z.number().int().nonnegative(),
  }),
  inputName: z.string().max(200).default('input'),
  inputShape: z.array(z.number().int().positive()).min(1).max(8),
  settings: MeasurementSettings,
  /** Human context for logs and pages: space, subnet id, resolution. */
  label: z.string().max(500).default(''),
});
export type JobFrame = z.infer<typeof JobFrame>;

export const ToAgent = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('welcome'),
    deviceId: z.string(),
    deviceName: z.string(),
    heartbeatMs: z.number().int().positive(),
    serverTime: z.number(),
  }),
  JobFrame,
  z.object({ ...base, type: z.literal('cancel'), ...JobRef, reason: z.string().max(2000) }),
  /** The coordinator stored (or already had) this result; the agent may forget it. */
  z.object({ ...base, type: z.literal('ack'), ...JobRef, stored: z.boolean() }),
  z.object({ ...base, type: z.literal('error'), code: z.string().max(100), message: z.string().max(4000) }),
]);
export type ToAgent = z.infer<typeof ToAgent>;

export const FromAgent = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('hello'),
    token: z.string().min(1).max(500),
    kind: AgentKind,
    agentVersion: z.string().max(100),
    device: DeviceDescription,
    /** Same-host agents never measure at the same time; the registry's host wins when set. */
    host: z.string().max(200).nullable().default(null),
  }),
  z.object({ ...base, type: z.literal('heartbeat'), busyJobId: z.string().max(100).nullable().default(null) }),
  z.object({
    ...base,
    type: z.literal('progress'),
    ...JobRef,
    phase: z.enum(['download', 'prepare', 'warmup', 'measure']),
    done: z.number().nonnegative(),
    total: z.number().nonnegative(),
  }),
  z.object({ ...base, type: z.literal('result'), ...JobRef, measurement: Measurement }),
  /** The agent gives the job back unmeasured (shutting down, page closing); it returns to the queue. */
  z.object({ ...base, type: z.literal('release'), ...JobRef, reason: z.string().max(2000) }),
  z.object({ ...base, type: z.literal('error'), jobId: z.string().max(100).nullable().default(null), message: z.string().max(4000) }),
]);
export type FromAgent = z.infer<typeof FromAgent>;
export type FromAgentInput = z.input<typeof FromAgent>;
export type ToAgentInput = z.input<typeof ToAgent>;

export type FrameType<U extends { type: string }> = U['type'];
export type FrameOf<U extends { type: string }, T extends U['type']> = Extract<U, { type: T }>;

export type Decoded<T> = { ok: true; frame: T } | { ok: false; code: 'too_large' | 'bad_json' | 'bad_version' | 'bad_frame'; error: string };

/** The UTF-8 size of a string, as TextEncoder would write it (a lone surrogate becomes U+FFFD). */
function byteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'frame'}: ${issue.message}`)
    .join('; ');
}

function decodeWith<T>(schema: z.ZodType<T>, raw: string | ArrayBuffer | Uint8Array): Decoded<T> {
  const size = typeof raw === 'string' ? byteLength(raw) : raw.byteLength;
  if (size > MAX_FRAME_BYTES) return { ok: false, code: 'too_large', error: `frame of ${size} bytes exceeds the limit of ${MAX_FRAME_BYTES} bytes` };
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_json', error: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad_frame', error: 'frame must be a JSON object with "v" and "type"' };
  }
  const v = (value as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION) {
    return { ok: false, code: 'bad_version', error: `protocol version ${JSON.stringify(v ?? null)} is not supported; this side speaks v${PROTOCOL_VERSION}` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const type = (value as { type?: unknown }).type;
    return { ok: false, code: 'bad_frame', error: `invalid ${typeof type === 'string' ? `"${type.slice(0, 50)}" ` : ''}frame: ${formatIssues(parsed.error)}` };
  }
  return { ok: true, frame: parsed.data };
}

/** Decodes a frame sent by an agent. Never throws. */
export function decodeFromAgent(raw: string | ArrayBuffer | Uint8Array): Decoded<FromAgent> {
  return decodeWith(FromAgent, raw);
}

/** Decodes a frame sent by the coordinator. Never throws. */
export function decodeToAgent(raw: string | ArrayBuffer | Uint8Array): Decoded<ToAgent> {
  return decodeWith(ToAgent, raw);
}

/** A frame without its `v`, per member of a union. */
export type Unversioned<T> = T extends unknown ? Omit<T, 'v'> : never;

/** Encodes a frame, filling `v`: encodeFrame<FromAgentInput>({type: 'heartbeat'}). */
export function encodeFrame<T extends { type: string }>(frame: Unversioned<T>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...frame });
}
