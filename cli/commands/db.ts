/** `ofa-farm db migrate`: bring the farm database up to the committed schema. */
import type { Command } from 'commander';
import { openDb } from '../../db/client';
import { cliDbTarget } from '../farm-home';
import { commandGroup, type CliContext } from '../main';
import { writeJsonLine } from '../output';

export function registerDbCommands(program: Command, ctx: CliContext): void {
  const db = commandGroup(program, 'db', 'The farm database (PGlite under .ofa-farm/ by default, or PostgreSQL)');

  db.command('migrate')
    .description('Apply pending migrations (safe while other coordinators start on the same PostgreSQL)')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else PGlite in $OFA_FARM_HOME or ./.ofa-farm)')
    .option('--json', 'print one JSON line {"db","location","applied","total"}')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const handle = await openDb(cliDbTarget(opts), { migrate: false });
      try {
        const result = await handle.migrate();
        if (opts.json) {
          writeJsonLine(ctx.io, { db: handle.kind, location: handle.location, applied: result.applied, total: result.total });
          return;
        }
        const what = handle.kind === 'pglite' ? `PGlite database at ${handle.location}` : `PostgreSQL database ${handle.location}`;
        const plural = (n: number) => `${n} migration${n === 1 ? '' : 's'}`;
        ctx.io.out.write(
          result.applied.length === 0
            ? `${what} is up to date (${plural(result.total)})\n`
            : `${what}: applied ${plural(result.applied.length)} (${result.applied.join(', ')}); ${plural(result.total)} in total\n`,
        );
      } finally {
        await handle.close();
      }
    });
}
