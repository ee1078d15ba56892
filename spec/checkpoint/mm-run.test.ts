// A real program cut mid-run: its mm and cpu go through an image into a fresh Mm and CpuState, and it finishes the same.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, Reg, setI64, Stop } from '../../lib/arch/riscv64/state';
import { restoreMm } from '../../lib/emukernel/mm/checkpoint-restore';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { PagePool } from '../../lib/emukernel/mm/page';
import { loadImage } from '../exec/load';
import { answerBareSyscall } from '../exec/bare-syscalls';
import { Rng } from '../arch/rng';
import { loadMms, saveMms } from './mm-image';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * A program on a bare hart with the few syscalls glibc's start-up, stdio and malloc need (as
 * spec/exec/run-image.ts), but resumable: `run(until)` stops at an instruction boundary.
 */
class BareRun {
  readonly out: Buffer[] = [];
  status = -1;
  private hart: Hart;
  constructor(public cpu: CpuState, public mm: Mm) {
    this.hart = new Hart(cpu, mm);
  }

  get done(): boolean {
    return this.status >= 0;
  }

  /** Run until `until` instructions have retired in total, or the program exits or traps. */
  run(until: number): void {
    const { cpu, mm } = this;
    while (!this.done && cpu.instret < until) {
      const stop = this.hart.run(Math.min(1_000_000, until - cpu.instret));
      if (stop === Stop.Budget) continue;
      if (stop === Stop.Trap) { this.status = 1000 + cpu.cause; return; }
      const status = answerBareSyscall(cpu, mm, { 1: this.out, 2: this.out });
      if (status !== null) { this.status = status; return; }
    }
  }

  /** Replace the address space and registers with ones restored from an image (fresh caches). */
  swapIn(cpu: CpuState, mm: Mm): void {
    this.cpu = cpu;
    this.mm = mm;
    this.hart = new Hart(cpu, mm);
  }
}

function start(program: string): BareRun {
  const bin = path.join(ROOT, 'build/examples', program);
  const img = loadImage(bin, [program], ['HOME=/']);
  const cpu = new CpuState();
  cpu.pc = img.entry;
  setI64(cpu, Reg.sp, img.sp);
  return new BareRun(cpu, img.mm);
}

const programs = ['hello', 'floats', 'compute', 'bigmem'].filter((p) => fs.existsSync(path.join(ROOT, 'build/examples', p)));
const seed = Number(process.env.CRFS_SEED ?? 0x6d6d) >>> 0;

for (const program of programs) {
  test(`${program}: cut, checkpoint mm and cpu, restore into fresh objects, and the output is the uninterrupted one`, (t) => {
    const ref = start(program);
    ref.run(Infinity);
    t.true(ref.status >= 0 && ref.status < 1000, `the reference run ends by exit (status ${ref.status})`);
    const want = Buffer.concat(ref.out).toString();
    const total = ref.cpu.instret;
    const rng = new Rng(seed ^ program.length);
    const cuts = [1, Math.floor(total / 2), total - 1, ...Array.from({ length: 3 }, () => 1 + rng.below(total - 1))];
    for (const cut of cuts) {
      const run = start(program);
      run.run(cut);
      const pool = new PagePool();
      const saved = saveMms([run.mm], [run.cpu]);
      const { mms, cpus } = loadMms(saved, { mm: (r) => restoreMm(r, pool) }, true);
      run.mm.release();
      // The live registers are wiped: everything the continuation uses comes from the image.
      run.cpu.x.fill(0);
      run.cpu.fi.fill(0);
      run.swapIn(cpus[0], mms[0]);
      run.run(Infinity);
      const got = Buffer.concat(run.out).toString();
      const where = `seed ${seed} cut ${cut} of ${total}`;
      t.is(got, want, where);
      t.is(run.status, ref.status, where);
      t.is(run.cpu.instret, total, where);
    }
  });
}
