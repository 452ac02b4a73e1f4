/** Printing for the CLI: JSON lines for scripts, aligned tables for people. */
import type { Writable } from 'node:stream';

export interface Io {
  out: Writable;
  err: Writable;
  stdin: NodeJS.ReadableStream;
  /** Whether stdout is a terminal (progress bars, colours). */
  isTty: boolean;
}

export const processIo = (): Io => ({
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  isTty: Boolean(process.stdout.isTTY),
});

export function writeJsonLine(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value)}\n`);
}

export type Cell = string | number | null | undefined;

/** A left-aligned text table; numbers are right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly Cell[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[], raw?: readonly Cell[]) =>
    cells
      .map((cell, i) => (typeof raw?.[i] === 'number' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map((row, r) => line(row, rows[r]))].join('\n') + '\n';
}

export function toCsv(headers: readonly string[], rows: readonly Cell[][]): string {
  const esc = (cell: Cell) => {
    const s = cell === null || cell === undefined ? '' : String(cell);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers.map(esc).join(','), ...rows.map((row) => row.map(esc).join(','))].join('\n') + '\n';
}

/** Reads all non-empty lines of a stream (for `--config -`). */
export async function readLines(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
