/**
 * The `ofa-farm` command. Thin: parses arguments, calls the parts of the farm, prints.
 * Bad input exits with code 2 and one line naming the problem; other failures exit with 1.
 */
import { Command, CommanderError } from 'commander';
import { FarmError, ValidationError, errorMessage } from '../core/errors';
import { registerCommands } from './commands/index';
import { processIo, type Io } from './output';

export interface CliContext {
  io: Io;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('ofa-farm')
    .description('Hardware-in-the-loop benchmarking farm for Once-for-All networks')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => ctx.io.out.write(text),
      writeErr: (text) => ctx.io.err.write(text),
      outputError: () => {},
    });
  registerCommands(program, ctx);
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram({ io });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
      io.err.write(`ofa-farm: ${error.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (error instanceof ValidationError) {
      io.err.write(`ofa-farm: ${error.message}\n`);
      return 2;
    }
    const label = error instanceof FarmError ? error.name : 'error';
    io.err.write(`ofa-farm: ${label}: ${errorMessage(error)}\n`);
    if (process.env.OFA_FARM_DEBUG && error instanceof Error) io.err.write(`${error.stack}\n`);
    return 1;
  }
}

/** Finds or creates a command group such as `subnet` or `sweep`, so several files can add to it. */
export function commandGroup(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  return existing ?? program.command(name).description(description);
}
