/**
 * ONNX models for agents: `GET /artifacts/:sha256` with the device token. A device may read only
 * a model one of its own unfinished jobs uses; other devices get 403, unknown tokens 401.
 */
import { Hono } from 'hono';
import { AuthError, ForbiddenError, NotFoundError } from '../../../core/errors';
import { deviceNeedsArtifact } from '../../../db/queries/dispatch';
import { bearerToken, clientAddress } from '../auth';
import type { AppDeps } from '../deps';

export function artifactRoutes(deps: AppDeps) {
  return new Hono().get('/artifacts/:sha256', async (c) => {
    const sha256 = c.req.param('sha256');
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new NotFoundError(`"${sha256.slice(0, 80)}" is not an artifact hash (64 lowercase hex digits)`);
    const token = bearerToken(c);
    if (!token) throw new AuthError('artifacts need a device token: send "Authorization: Bearer <device token>"');
    const device = await deps.registry.authenticate(token, clientAddress(c));
    if (!(await deviceNeedsArtifact(deps.db, device.id, sha256))) throw new ForbiddenError(`artifact ${sha256.slice(0, 12)}… is not used by any unfinished job of device ${device.name}`);
    const bytes = await deps.artifacts.bytes(sha256);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.byteLength),
      etag: `"${sha256}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    });
  });
}
