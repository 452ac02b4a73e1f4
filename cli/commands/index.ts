/** Every command module of the CLI, registered in one place. */
import type { Command } from 'commander';
import type { CliContext } from '../main';
import { registerAgentEdgeCommand } from './agent-edge';
import { registerSubnetCommands } from './subnet';
import { registerSubnetExportCommand } from './subnet-export';
import { registerSupernetCommands } from './supernet';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerSubnetCommands(program, ctx);
  registerSubnetExportCommand(program, ctx);
  registerAgentEdgeCommand(program, ctx);
  registerSupernetCommands(program, ctx);
}
