#!/usr/bin/env node
// Entry point of the `ofa-farm` command: loads the TypeScript sources through tsx, so the
// package runs straight from a clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
