import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new migration into db/migrations from db/schema (commit it).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
});
