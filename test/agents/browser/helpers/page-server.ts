/**
 * The coordinator's agent page routes alone on a free port (no database): enough for the bench
 * page, which the Playwright-side backend drives. Farm tests use a real coordinator instead.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { agentPageRoutes } from '../../../../server/http/agent-page';

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const app = new Hono().route('/', agentPageRoutes());
  app.onError((error, c) => c.text(error.message, (error as { status?: number }).status === 404 ? 404 : 500));
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
