/** What the HTTP routes are built from: domain services, never sockets or the database driver. */
import type { Db } from '../../db/client';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { FarmEventBus } from '../events';
import type { AuthLimiter } from '../registry/auth-limiter';
import type { DeviceRegistry } from '../registry/registry';
import type { SweepService } from '../scheduler/sweeps';

export interface AppDeps {
  db: Db;
  registry: DeviceRegistry;
  sweeps: SweepService;
  artifacts: ArtifactStore;
  limiter: AuthLimiter;
  adminToken: string;
  instanceId: string;
  startedAt: Date;
  /** Closes the live connection of a removed device. */
  disconnectDevice(deviceId: string, reason: string): void;
  /** Live figures for /api/health. */
  status(): { agentsConnected: number; dbKind: string };
  /** What happens on this coordinator (live dashboards look at once instead of at their next tick). */
  events?: FarmEventBus;
  log: (line: string) => void;
}
