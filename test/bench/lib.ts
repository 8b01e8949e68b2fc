/**
 * Small helpers shared by the benchmark sections: percentiles, CPU timing, output that never mixes
 * with the handlers' JSON log lines, and DynamoDB item sizes for the cost model.
 */

/** The `p`-th percentile (0–100) of a sample, nearest-rank on a sorted copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const nowMs = () => performance.now();

/** User + system CPU time of this process, in microseconds. */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * CPU microseconds per call of `fn`: `batches` batches of `perBatch` calls each, after `warmup`
 * calls; returns the median batch's per-call figure (robust to a neighbour stealing the CPU).
 */
export async function cpuPerCall(
  fn: () => unknown,
  options: { warmup: number; perBatch: number; batches: number },
): Promise<number> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const perCall: number[] = [];
  for (let b = 0; b < options.batches; b++) {
    const start = cpuMicros();
    for (let i = 0; i < options.perBatch; i++) await fn();
    perCall.push((cpuMicros() - start) / options.perBatch);
  }
  return median(perCall);
}

/** Synchronous variant of cpuPerCall (no await per call, so no microtask overhead is counted). */
export function cpuPerCallSync(
  fn: () => unknown,
  options: { warmup: number; perBatch: number; batches: number },
): number {
  for (let i = 0; i < options.warmup; i++) fn();
  const perCall: number[] = [];
  for (let b = 0; b < options.batches; b++) {
    const start = cpuMicros();
    for (let i = 0; i < options.perBatch; i++) fn();
    perCall.push((cpuMicros() - start) / options.perBatch);
  }
  return median(perCall);
}

// ---------------------------------------------------------------------------------------------------
// Output

const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);
let swallowed = 0;

/**
 * The handlers log one JSON line per verification (as they do in Lambda: info on stdout, warnings and
 * errors on stderr). During the benchmark those lines are formatted as usual (their CPU is part of
 * the figures) but not printed; `say` and `progress` print.
 */
export function muteHandlerLogs(): { restore: () => void; count: () => number } {
  const mute = (real: typeof realStdoutWrite) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('{')) return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
      swallowed++;
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = mute(realStdoutWrite);
  process.stderr.write = mute(realStderrWrite);
  return {
    restore: () => {
      process.stdout.write = realStdoutWrite as typeof process.stdout.write;
      process.stderr.write = realStderrWrite as typeof process.stderr.write;
    },
    count: () => swallowed,
  };
}

export function say(line = ''): void {
  realStdoutWrite(`${line}\n`);
}

export function progress(section: string, detail: string): void {
  realStderrWrite(`[bench] ${section}: ${detail}\n`);
}

/** A plain-text table, columns padded to their widest cell. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row, r) => {
      const line = row.map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      );
      const text = line.join('  ');
      return r === 0 ? `${text}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

/** Stored size of a DynamoDB item; one home, shared with the integration tests. */
export { itemSize } from '../helpers/item-size';
