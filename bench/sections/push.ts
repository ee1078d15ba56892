// Push-mode checkpoint and restart of a container with much memory resident, against plain file I/O.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kernel } from '../../lib/emukernel/kernel';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { writeCheckpoint } from '../../lib/emukernel/checkpoint/checkpoint';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { FdSink } from '../../lib/crfs/image/sinks';
import { readSummedFile } from '../../lib/crfs/image/read-file';
import { REPO_ROOT } from '../measure';
import { BenchContext, BenchSection } from '../section';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp';

function buildHog(): string {
  const src = path.join(REPO_ROOT, 'bench/programs/hog.c');
  const out = path.join(REPO_ROOT, 'build/bench/hog');
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', out, src]);
  }
  return out;
}

/** A kernel running hog with `mib` MiB resident, frozen just after it said "ready". */
async function frozenHog(hog: string, mib: number): Promise<Kernel> {
  const io = new MemoryHostIo();
  const k = new Kernel({ hostIo: io });
  k.importHostFile(hog, hog);
  k.spawnInit({ path: hog, argv: [hog, String(mib)], envp: [], cwd: '/tmp' });
  let ready = false;
  const arm = (): void => {
    k.scheduler.instructionTarget = k.instructions + 1_000_000;
    k.scheduler.onInstructionTarget = () => {
      if (io.text(1).includes('ready')) { ready = true; k.scheduler.freeze(); } else arm();
    };
  };
  arm();
  await k.scheduler.runWhile(() => !ready && k.init?.state === 'alive');
  return k;
}

function timeMs(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function plainWrite(file: string, bytes: number): number {
  const chunk = Buffer.alloc(1 << 20, 7);
  return timeMs(() => {
    const fd = fs.openSync(file, 'w');
    for (let left = bytes; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    fs.closeSync(fd);
  });
}

interface Row { mib: number; bytes: number; ckptMs: number; writeMs: number; restartMs: number; readMs: number; rssGrowMib: number }

async function measure(hog: string, mib: number, repeats: number): Promise<Row> {
  const k = await frozenHog(hog, mib);
  const img = path.join(TMP, `crfs-bench-${process.pid}.img`);
  const plain = path.join(TMP, `crfs-bench-${process.pid}.plain`);
  try {
    let ckptMs = Infinity, writeMs = Infinity, restartMs = Infinity, readMs = Infinity, bytes = 0, rssGrow = 0;
    for (let i = 0; i < repeats; i++) {
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      ckptMs = Math.min(ckptMs, timeMs(() => {
        const fd = fs.openSync(img, 'w');
        const sink = new FdSink(fd);
        bytes = writeCheckpoint(k, sink, { id: 1 }).bytes;
        fs.closeSync(fd);
      }));
      rssGrow = Math.max(rssGrow, process.memoryUsage().rss - rss0);
      writeMs = Math.min(writeMs, plainWrite(plain, bytes));
      // Each read starts with the other's garbage collected: otherwise the restart's own read pays for
      // freeing the baseline read's buffer (at 1 GiB about as long as the read itself).
      global.gc?.();
      readMs = Math.min(readMs, timeMs(() => { fs.readFileSync(img); }));
      global.gc?.();
      // As `crfs restart FILE` and sys_restart do: the bytes are read for this restart (checksummed on a
      // worker thread as they arrive) and given to it.
      restartMs = Math.min(restartMs, timeMs(() => {
        const image = readSummedFile(img);
        restoreKernel(image.bytes, { hostIo: new MemoryHostIo() }, { adoptImage: true, crcOf: image.crcOf });
      }));
      global.gc?.();
    }
    return { mib, bytes, ckptMs, writeMs, restartMs, readMs, rssGrowMib: rssGrow / 2 ** 20 };
  } finally {
    fs.rmSync(img, { force: true });
    fs.rmSync(plain, { force: true });
  }
}

export const pushSection: BenchSection = {
  title: 'Push-mode checkpoint and restart (issue 3)',
  async run(ctx: BenchContext): Promise<string> {
    const hog = buildHog();
    const sizes = ctx.quick ? [64] : [256, 1024];
    const rows: Row[] = [];
    for (const mib of sizes) {
      ctx.log(`push: ${mib} MiB resident`);
      rows.push(await measure(hog, mib, ctx.repeats));
    }
    const lines = [
      `A container running \`bench/programs/hog.c\` with the given memory resident, frozen; the image written to a file on ${TMP}`,
      'with `writeCheckpoint` + `FdSink`, next to a plain 1 MiB write loop of the same byte count, in the same process and run.',
      'Restart = read the file (`readSummedFile`: a worker thread computes the tail CRC of what has been read so far) + `restoreKernel`',
      '(decode, validate including the CRC, rebuild; the image given to it, `adoptImage`, as `crfs restart` and sys_restart do),',
      'next to reading the file once. Host memory = RSS growth',
      'during the checkpoint, against the container\'s resident memory. The read and the restart each start after gc(). Best of the repeats.',
      '',
      '| resident | image bytes | checkpoint | plain write | write/checkpoint (target ≥ 0.5) | restart | read | restart/read (target ≤ 2) | host RSS growth (target ≤ 10%) |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const ratio = r.writeMs / r.ckptMs, rr = r.restartMs / r.readMs, mem = (100 * r.rssGrowMib) / r.mib;
      lines.push(`| ${r.mib} MiB | ${r.bytes} | ${r.ckptMs.toFixed(0)} ms | ${r.writeMs.toFixed(0)} ms | ${ratio.toFixed(2)} | ${r.restartMs.toFixed(0)} ms | ${r.readMs.toFixed(0)} ms | ${rr.toFixed(2)} | ${r.rssGrowMib.toFixed(1)} MiB (${mem.toFixed(1)}%) |`);
    }
    return lines.join('\n') + '\n';
  },
};
