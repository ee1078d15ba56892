// The shape of one BENCHMARKS.md section: bench/run.ts runs every registered section in order.

export interface BenchContext {
  /** Fewer iterations, for a quick look (`node dist/bench/run.js --quick`). */
  quick: boolean;
  /** How many times each measurement is repeated; the best is kept. */
  repeats: number;
  /** Progress for the terminal (stderr); never part of the report. */
  log(line: string): void;
  /** Marks the whole benchmark as failed (exit status 1) while still writing the report. */
  markFailed(failed: boolean): void;
}

export interface BenchSection {
  title: string;
  /** Runs the measurements; resolves with the section body in Markdown (without its heading). */
  run(ctx: BenchContext): Promise<string>;
}
