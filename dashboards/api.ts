/**
 * The pages' client of the coordinator: `hc<AppType>` takes every request and response type from
 * the server's routes, so no API type is written twice. Error bodies become typed FarmErrors.
 */
import { hc, type InferResponseType } from 'hono/client';
import { errorFromResponse, FarmError } from '../core/errors';
import type { AppType } from '../server/http/app';

export const client = hc<AppType>(globalThis.location?.origin ?? 'http://localhost');
const dash = client.api.dashboard;

export type Overview = InferResponseType<typeof dash.overview.$get, 200>;
export type DeviceCard = Overview['devices'][number];
export type DeviceDetail = InferResponseType<(typeof dash.devices)[':name']['$get'], 200>;
export type SweepList = InferResponseType<typeof dash.sweeps.$get, 200>;
export type SweepCard = SweepList['sweeps'][number];
export type FrontsView = InferResponseType<typeof dash.fronts.$get, 200>;
export type DeviceFront = FrontsView['fronts'][number];
export type FrontPoint = DeviceFront['front']['points'][number];
export type TwinQuality = InferResponseType<typeof dash.twins.$get, 200>;
export type TwinFamilyQuality = TwinQuality['families'][number];
export type SubnetDetail = InferResponseType<(typeof dash.subnets)[':id']['$get'], 200>;
export type SubnetList = InferResponseType<typeof dash.subnets.$get, 200>;

/**
 * The body of a successful response; an error response becomes the FarmError it carries.
 * @example const { devices } = await unwrap(client.api.dashboard.overview.$get());
 */
export async function unwrap<T>(pending: Promise<{ ok: boolean; status: number; json(): Promise<T> }>): Promise<T> {
  let res: { ok: boolean; status: number; json(): Promise<T> };
  try {
    res = await pending;
  } catch (error) {
    throw new FarmError(`cannot reach the coordinator: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (res.ok) return res.json();
  throw await errorFromResponse(res);
}

export const api = {
  overview: () => unwrap(dash.overview.$get()),
  device: (name: string) => unwrap(dash.devices[':name'].$get({ param: { name } })),
  sweeps: (limit = 50) => unwrap(dash.sweeps.$get({ query: { limit: String(limit) } })),
  fronts: (space: string, objective?: 'accuracy' | 'macs') => unwrap(dash.fronts.$get({ query: { space: space as FrontsView['space'], objective } })),
  twins: (device: string, space: string, version?: number) =>
    unwrap(dash.twins.$get({ query: { device, space: space as TwinQuality['space'] & FrontsView['space'], version: version === undefined ? undefined : String(version) } })),
  subnets: (space?: string, limit = 50) => unwrap(dash.subnets.$get({ query: { space: space as FrontsView['space'] | undefined, limit: String(limit) } })),
  subnet: (id: string) => unwrap(dash.subnets[':id'].$get({ param: { id } })),
};
