/** A PostgreSQL database of its own for one bench scenario, dropped afterwards. */
import postgres from 'postgres';

export const BENCH_PG_URL = process.env.OFA_FARM_BENCH_PG_URL ?? process.env.OFA_FARM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `fn` with the URL of a new database named `<prefix>_<time>`; null when PostgreSQL is unreachable. */
export async function withScratchDatabase<T>(prefix: string, fn: (url: string) => Promise<T>): Promise<T | null> {
  const admin = postgres(BENCH_PG_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  const name = `${prefix}_${Date.now().toString(36)}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch {
    await admin.end({ timeout: 1 }).catch(() => {});
    return null;
  }
  const url = new URL(BENCH_PG_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
    await admin.end({ timeout: 2 });
  }
}
