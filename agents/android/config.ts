/** The Android host agent's configuration, validated with zod from what the entry point collected. */
import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { parseCoreList } from './runner';

export const AndroidAgentConfig = z.object({
  server: z
    .string()
    .url('--server must be a URL such as http://127.0.0.1:7070')
    .refine((s) => /^https?:\/\//.test(s), '--server must start with http:// or https://'),
  enrollToken: z.string().min(1, 'an enrollment token is required (--enroll-token or OFA_FARM_ENROLL_TOKEN)').max(500),
  /** Only these phones (adb serial or ro.serialno); empty = every phone that shows up. */
  serials: z.array(z.string().min(1).max(200)).max(256).default([]),
  mode: z.enum(['native', 'chrome']).default('native'),
  /** An Android build of onnxruntime_perf_test, pushed once per phone (checked by sha256). */
  runner: z.string().min(1).optional(),
  runnerVersion: z.string().min(1).max(200).optional(),
  /** CPUs to pin the tool to, e.g. "4-7". */
  cores: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return null;
      try {
        return parseCoreList(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `--cores: ${(error as Error).message}` });
        return z.NEVER;
      }
    }),
  threads: z.number().int().min(1).max(64).optional(),
  adbPort: z.number().int().min(1).max(65535).default(5037),
  adbBin: z.string().min(1).optional(),
  /** Where the phones' device tokens are kept (0600). */
  tokenFile: z.string().min(1),
  cacheDir: z.string().min(1),
  /** Same-host key for every phone; default none: each phone measures on its own. */
  host: z.string().min(1).max(200).optional(),
  maxBatteryC: z.number().min(0).max(80).default(40),
  maxThermalStatus: z.number().int().min(0).max(6).default(1),
  coolWaitMs: z.number().int().min(0).max(3_600_000).default(300_000),
  coolPollMs: z.number().int().min(100).max(600_000).default(5_000),
  keepAwake: z.boolean().default(true),
  graceMs: z.number().int().min(0).max(600_000).default(5_000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type AndroidAgentConfig = z.infer<typeof AndroidAgentConfig>;
export type AndroidAgentConfigInput = z.input<typeof AndroidAgentConfig>;

export function parseAndroidConfig(input: AndroidAgentConfigInput): AndroidAgentConfig {
  const parsed = AndroidAgentConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${issue.path.length && !issue.message.startsWith('--') ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  if (parsed.data.mode === 'chrome' && parsed.data.runner) throw new ValidationError('--runner is for --mode native; chrome mode measures in the phone\'s browser');
  return parsed.data;
}
