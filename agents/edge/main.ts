/**
 * The edge agent's entry: `start(config)` validates the configuration and connects an
 * onnxruntime-node backend to the coordinator through the runtime. Returns the running agent
 * (stop(), finished). Environment and flags are read by the CLI, not here.
 */
import { hostname } from 'node:os';
import { ValidationError } from '../../core/errors';
import { startAgent, type RunningAgent } from '../runtime/agent';
import { createLogger, type Logger } from '../runtime/log';
import { createNodePlatform } from '../runtime/node-platform';
import { createEdgeBackend } from './backend';
import { EdgeAgentConfig, type EdgeAgentConfigInput } from './parse';

export interface EdgeAgentDeps {
  /** Where log lines go (one per event); default: stderr. */
  writeLog?: (line: string) => void;
  log?: Logger;
}

export function parseEdgeConfig(input: EdgeAgentConfigInput): EdgeAgentConfig {
  const parsed = EdgeAgentConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return parsed.data;
}

export async function start(input: EdgeAgentConfigInput, deps: EdgeAgentDeps = {}): Promise<RunningAgent> {
  const config = parseEdgeConfig(input);
  const log =
    deps.log ??
    createLogger(deps.writeLog ?? ((line) => process.stderr.write(line)), { level: config.logLevel, secrets: [config.token], fields: { agent: 'edge' } });
  const backend = createEdgeBackend({ threads: config.threads });
  try {
    return await startAgent({
      server: config.server,
      token: config.token,
      backend,
      platform: createNodePlatform({ cacheDir: config.cacheDir, token: config.token, log }),
      host: config.host ?? hostname(),
      agentVersion: config.agentVersion,
      log,
    });
  } catch (error) {
    await backend.close();
    throw error;
  }
}
