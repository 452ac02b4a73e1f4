/** Every command module of the CLI, registered in one place. */
import type { Command } from 'commander';
import type { CliContext } from '../main';
import { registerAccuracyBuildCommand } from './accuracy-build';
import { registerAgentAndroidCommand } from './agent-android';
import { registerAgentBrowserCommand } from './agent-browser';
import { registerAgentEdgeCommand } from './agent-edge';
import { registerAndroidSimCommand } from './android-sim';
import { registerDbCommands } from './db';
import { registerDemoCommand } from './demo';
import { registerDeviceCommands } from './device';
import { registerMeasurementsCommand } from './measurements';
import { registerServeCommand } from './serve';
import { registerSweepCommands } from './sweep';
import { registerSubnetCommands } from './subnet';
import { registerSubnetExportCommand } from './subnet-export';
import { registerTrainCommands } from './train';
import { registerSupernetCommands } from './supernet';
import { registerAccuracyImportPredictorCommand } from './accuracy-import-predictor';
import { registerAccuracyCommands } from './accuracy';
import { registerParetoCommand } from './pareto';
import { registerTwinCommands } from './twin';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerSubnetCommands(program, ctx);
  registerSubnetExportCommand(program, ctx);
  registerSupernetCommands(program, ctx);
  registerAgentEdgeCommand(program, ctx);
  registerAgentBrowserCommand(program, ctx);
  registerAgentAndroidCommand(program, ctx);
  registerAndroidSimCommand(program, ctx);
  registerDbCommands(program, ctx);
  registerTrainCommands(program, ctx);
  registerAccuracyImportPredictorCommand(program, ctx);
  registerAccuracyCommands(program, ctx);
  registerParetoCommand(program, ctx);
  registerTwinCommands(program, ctx);
  registerServeCommand(program, ctx);
  registerDeviceCommands(program, ctx);
  registerSweepCommands(program, ctx);
  registerMeasurementsCommand(program, ctx);
  registerDemoCommand(program, ctx);
  registerAccuracyBuildCommand(program, ctx);
}
