// Benchmark section: emukernel's retired instructions per second next to qemu-riscv64's on the same binaries.
import { BenchContext, BenchSection } from '../section';
import { bestOf, formatRate, runEmulated, runTimed } from '../measure';

interface Workload {
  program: string;
  args: string[];
  what: string;
}

/** Long enough that qemu's ~10 ms start-up is noise, short enough that three emulated runs stay tolerable. */
function chooseWorkloads(quick: boolean): Workload[] {
  return [
    { program: 'build/examples/compute', args: [quick ? '10' : '100'], what: 'prime sieve + integer hashing' },
    { program: 'build/examples/mixed', args: [quick ? '10' : '100'], what: 'qsort + snprintf + FNV hashing' },
  ];
}

/** The issue's target: emukernel at least 1/20 of qemu-riscv64's throughput on the mixed workload. */
const TARGET_RATIO = 1 / 20;

export const throughputSection: BenchSection = {
  title: 'CPU throughput: emukernel vs qemu-riscv64',
  async run(ctx: BenchContext): Promise<string> {
    const rows: string[] = [];
    const notes: string[] = [];
    let failed = false;
    for (const w of chooseWorkloads(ctx.quick)) {
      const label = `${w.program.replace('build/examples/', '')} ${w.args.join(' ')}`;
      ctx.log(`throughput: ${label} (best of ${ctx.repeats} each)`);
      try {
        const emu = await bestOf(ctx.repeats, () => runEmulated(w.program, w.args));
        const qemu = await bestOf(ctx.repeats, () => runTimed('qemu-riscv64', [w.program, ...w.args]));
        if (qemu.status !== 0) throw new Error(`qemu-riscv64 exited ${qemu.status}`);
        if (qemu.stdout !== emu.stdout) notes.push(`${label}: emukernel's stdout differs from qemu's`);
        const emuRate = emu.instructions / (emu.wallMs / 1000);
        const qemuRate = emu.instructions / (qemu.wallMs / 1000);
        const ratio = emuRate / qemuRate;
        rows.push(
          `| ${label} | ${w.what} | ${(emu.instructions / 1e6).toFixed(1)} M | ${emu.wallMs.toFixed(0)} ms | ` +
            `${formatRate(emu.instructions, emu.wallMs)} | ${formatRate(emu.instructions, emu.runMs)} | ` +
            `${qemu.wallMs.toFixed(0)} ms | ${formatRate(emu.instructions, qemu.wallMs)} | 1/${(1 / ratio).toFixed(1)} |`,
        );
        ctx.log(`  emukernel ${formatRate(emu.instructions, emu.wallMs)}, qemu ${formatRate(emu.instructions, qemu.wallMs)}, ratio 1/${(1 / ratio).toFixed(1)}`);
        if (w.program.endsWith('/mixed')) {
          notes.push(`target (mixed at least 1/${1 / TARGET_RATIO} of qemu): ${ratio >= TARGET_RATIO ? 'met' : 'not met'}`);
        }
      } catch (e) {
        failed = true;
        rows.push(`| ${label} | ${w.what} | failed: ${(e instanceof Error ? e.message : String(e)).replace(/\|/g, '/')} | | | | | | |`);
        ctx.log(`  failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    ctx.markFailed(failed);
    return [
      'Both columns use the instruction count emukernel retired (from `crfs run --stats`) for the same program',
      "and arguments; qemu's rate is that count over qemu's wall time. Wall times are whole processes (Node",
      "start-up and boot included for emukernel); \"run phase\" is crfs's own timing of the emulation alone.",
      `Best of ${ctx.repeats} runs each.`,
      '',
      '| workload | what | instructions | emukernel wall | emukernel rate | emukernel run phase | qemu wall | qemu rate | emukernel/qemu |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n');
  },
};
