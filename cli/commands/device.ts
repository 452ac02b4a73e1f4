/** `ofa-farm device add|list|remove|enroll-token`: the coordinator's device registry. */
import type { Command } from 'commander';
import { joinInstructions, agentPageUrl } from '../../agents/browser/parse';
import { AGENT_KINDS } from '../../core/protocol';
import { clientFor, unwrap, withServerOptions, type ServerOptions } from '../client';
import { commandGroup, type CliContext } from '../main';
import { parseChoice, parseInteger } from '../options';
import { formatTable, writeJsonLine } from '../output';
import { ago, parseDuration } from '../time-format';

interface AddOptions extends ServerOptions {
  name: string;
  kind: string;
  host?: string;
  json?: boolean;
}

export function registerDeviceCommands(program: Command, ctx: CliContext): void {
  const device = commandGroup(program, 'device', 'Register, list and remove the devices of a coordinator');

  withServerOptions(
    device
      .command('add')
      .description('Register a device; prints its token once (only its hash is stored)')
      .requiredOption('--name <name>', 'device name: letters, digits, ".", "_" or "-"')
      .requiredOption('--kind <kind>', `agent kind: ${AGENT_KINDS.join(', ')}`)
      .option('--host <key>', 'same-host key: devices sharing one never measure at the same time')
      .option('--json', 'print {"name","token"} as one JSON line'),
  ).action(async (opts: AddOptions) => {
    const kind = parseChoice(opts.kind, '--kind', AGENT_KINDS);
    const { client, target } = clientFor(opts);
    const added = await unwrap(client.api.devices.$post({ json: { name: opts.name, kind, host: opts.host ?? null } }));
    if (opts.json) return writeJsonLine(ctx.io, { name: added.device.name, token: added.token, ...(kind === 'browser' ? { url: agentPageUrl(target.url, added.token) } : {}) });
    ctx.io.out.write(`device ${added.device.name} (${added.device.kind}) registered.\n`);
    ctx.io.out.write(`token (shown once; only its hash is stored):\n  ${added.token}\n`);
    if (kind === 'edge') ctx.io.out.write(`start its agent:\n  OFA_FARM_DEVICE_TOKEN=${added.token} ofa-farm agent edge --server ${target.url}\n`);
    if (kind === 'browser') ctx.io.out.write(joinInstructions(target.url, added.token));
  });

  withServerOptions(
    device.command('list').description('Devices with status (online, busy, offline), last seen, specs and measurement count').option('--json', 'one JSON object per device'),
  ).action(async (opts: ServerOptions & { json?: boolean }) => {
    const { client } = clientFor(opts);
    const { devices } = await unwrap(client.api.devices.$get());
    if (opts.json) return devices.forEach((d) => writeJsonLine(ctx.io, d));
    if (devices.length === 0) return void ctx.io.out.write('no devices; add one with `ofa-farm device add --name N --kind edge`\n');
    const now = Date.now();
    const rows = devices.map((d) => {
      const desc = d.description;
      return [
        d.name,
        d.kind,
        d.status,
        ago(d.statusSince, now),
        d.lastSeenAt ? ago(d.lastSeenAt, now) : 'never',
        d.host ?? '-',
        desc ? [desc.cpu ?? desc.model, desc.cores ? `${desc.cores} cores` : null].filter(Boolean).join(', ') || '-' : '-',
        desc ? `${desc.runtime} ${desc.runtimeVersion}${desc.threads ? ` ${desc.threads}t` : ''}` : '-',
        d.measurementCount,
        d.failedCount,
      ];
    });
    ctx.io.out.write(formatTable(['name', 'kind', 'status', 'since', 'last seen', 'host', 'cpu', 'runtime', 'measured', 'failed'], rows));
  });

  withServerOptions(device.command('remove').description('Remove a device: its token stops working, its unfinished sweeps are cancelled, its measurements stay').argument('<name>', 'device name').option('--json', 'JSON output')).action(
    async (name: string, opts: ServerOptions & { json?: boolean }) => {
      const { client } = clientFor(opts);
      const removed = await unwrap(client.api.devices[':name'].$delete({ param: { name } }));
      if (opts.json) return writeJsonLine(ctx.io, removed);
      ctx.io.out.write(`device ${removed.device.name} removed (${removed.cancelledSweeps} sweeps and ${removed.cancelledJobs} jobs cancelled; measurements kept)\n`);
    },
  );

  withServerOptions(
    device
      .command('token')
      .description('Give a device a new token (shown once); the old one stops working and its agent is disconnected')
      .argument('<name>', 'device name')
      .option('--json', 'print {"name","token"} as one JSON line'),
  ).action(async (name: string, opts: ServerOptions & { json?: boolean }) => {
    const { client } = clientFor(opts);
    const rotated = await unwrap(client.api.devices[':name'].token.$post({ param: { name } }));
    if (opts.json) return writeJsonLine(ctx.io, { name: rotated.device.name, token: rotated.token });
    ctx.io.out.write(`new token for ${rotated.device.name} (shown once; the old one no longer works):\n  ${rotated.token}\n`);
  });

  withServerOptions(
    device
      .command('enroll-token')
      .description('Create an enrollment token (shown once): it may only register devices, e.g. by an android host agent')
      .option('--label <text>', 'what the token is for')
      .option('--max-uses <n>', 'how many devices it may register (default: unlimited)')
      .option('--ttl <duration>', 'lifetime such as 24h or 7d (default: no expiry)')
      .option('--json', 'one JSON line'),
  ).action(async (opts: ServerOptions & { label?: string; maxUses?: string; ttl?: string; json?: boolean }) => {
    const { client } = clientFor(opts);
    const created = await unwrap(
      client.api['enrollment-tokens'].$post({
        json: {
          label: opts.label,
          maxUses: opts.maxUses === undefined ? null : parseInteger(opts.maxUses, '--max-uses', 1, 1_000_000),
          ttlMs: opts.ttl === undefined ? undefined : parseDuration(opts.ttl, '--ttl'),
        },
      }),
    );
    if (opts.json) return writeJsonLine(ctx.io, created);
    ctx.io.out.write(`enrollment token (shown once${created.expiresAt ? `; expires ${created.expiresAt}` : ''}${created.maxUses ? `; ${created.maxUses} uses` : ''}):\n  ${created.token}\n`);
  });
}
