/** Replacing a device's token (lost, leaked, or a demo starting its agent again): added by the coordinator. */
import { and, eq, isNull } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../../core/errors';
import type { Db } from '../client';
import { devices, type DeviceRow } from '../schema/devices';

/** Stores a new token hash for a live device; the old token stops working at once. */
export async function rotateDeviceToken(db: Db, deviceId: string, tokenHash: string): Promise<DeviceRow> {
  if (!/^[0-9a-f]{64}$/.test(tokenHash)) throw new ValidationError('device token hash must be 64 lowercase hex digits (sha256)');
  const [row] = await db
    .update(devices)
    .set({ tokenHash })
    .where(and(eq(devices.id, deviceId), isNull(devices.removedAt)))
    .returning();
  if (!row) throw new NotFoundError(`device ${deviceId} does not exist or was removed`);
  return row;
}
