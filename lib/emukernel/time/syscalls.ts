// Time on the virtual clock: clock_gettime, sleeps, gettimeofday, times.
import { EFAULT, EINVAL } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU64, BLOCKED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { readTimespecBig, readTimespecNs, restartDeadline, writeTimespecNs } from './timespec';

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
  CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
  CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;
const TIMER_ABSTIME = 1;

function processCpuNs(t: Task): number {
  let n = t.proc.deadInstructions;
  for (const th of t.proc.threads) n += th.cpu.instret;
  return n;
}

/** The clock's current value in ns, or null for an unknown clock id. */
function clockNow(k: Kernel, t: Task, clk: number): bigint | null {
  switch (clk) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
      return k.clock.realtimeNs(k.instructions);
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
      return BigInt(k.nowNs());
    case CLOCK_PROCESS_CPUTIME_ID: return BigInt(processCpuNs(t));
    case CLOCK_THREAD_CPUTIME_ID: return BigInt(t.cpu.instret);
    default: return null;
  }
}

function sysClockGettime(k: Kernel, t: Task): SyscallOutcome {
  const v = clockNow(k, t, argInt(t, 0));
  if (v === null) return -EINVAL;
  return writeTimespecNs(t, argU64(t, 1), v) ? 0 : -EFAULT;
}

function sysClockGetres(k: Kernel, t: Task): SyscallOutcome {
  if (clockNow(k, t, argInt(t, 0)) === null) return -EINVAL;
  const addr = argU64(t, 1);
  if (addr === 0) return 0;
  return writeTimespecNs(t, addr, 1n) ? 0 : -EFAULT;
}

function sysGettimeofday(k: Kernel, t: Task): SyscallOutcome {
  const tv = argU64(t, 0);
  if (tv !== 0) {
    const ns = k.clock.realtimeNs(k.instructions);
    if (!t.mm.writeU64(tv, ns / 1000000000n) || !t.mm.writeU64(tv + 8, (ns % 1000000000n) / 1000n)) return -EFAULT;
  }
  const tz = argU64(t, 1);
  if (tz !== 0 && !t.mm.write(tz, new Uint8Array(8))) return -EFAULT;
  return 0;
}

/** Sleep until an absolute monotonic deadline; restartable because the deadline is absolute. */
function sleepUntil(k: Kernel, t: Task, deadlineNs: number): SyscallOutcome {
  if (deadlineNs <= k.nowNs()) return 0;
  t.sleepOn([], deadlineNs, 0);
  return BLOCKED;
}

function sysNanosleep(k: Kernel, t: Task): SyscallOutcome {
  const req = readTimespecNs(t, argU64(t, 0));
  if (req === null) return -EFAULT;
  if (req < 0) return -EINVAL;
  return sleepUntil(k, t, restartDeadline(k, t, NR.nanosleep, req));
}

function sysClockNanosleep(k: Kernel, t: Task): SyscallOutcome {
  const clk = argInt(t, 0), flags = argInt(t, 1);
  if (clk === CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (clockNow(k, t, clk) === null) return -EINVAL;
  if (flags & TIMER_ABSTIME) {
    const abs = readTimespecBig(t, argU64(t, 2));
    if (abs === null) return -EFAULT;
    if (abs < 0n) return -EINVAL;
    const isReal = clk === CLOCK_REALTIME || clk === CLOCK_REALTIME_COARSE || clk === CLOCK_TAI || clk === CLOCK_REALTIME_ALARM;
    return sleepUntil(k, t, Number(isReal ? abs - k.clock.realtimeBaseNs : abs));
  }
  const req = readTimespecNs(t, argU64(t, 2));
  if (req === null) return -EFAULT;
  if (req < 0) return -EINVAL;
  return sleepUntil(k, t, restartDeadline(k, t, NR.clock_nanosleep, req));
}

/** times(2): clock ticks at CLK_TCK = 100. */
function sysTimes(k: Kernel, t: Task): SyscallOutcome {
  const ticks = (ns: number): bigint => BigInt(Math.floor(ns / 1e7));
  const addr = argU64(t, 0);
  if (addr !== 0) {
    let children = 0;
    const buf = new DataView(new ArrayBuffer(32));
    buf.setBigInt64(0, ticks(processCpuNs(t)), true);
    for (const c of t.proc.children) if (c.state === 'zombie') children += c.deadInstructions;
    buf.setBigInt64(16, ticks(children), true);
    if (!t.mm.write(addr, new Uint8Array(buf.buffer))) return -EFAULT;
  }
  return Number(ticks(k.nowNs()));
}

function sysGetrusage(_k: Kernel, t: Task): SyscallOutcome {
  const who = argInt(t, 0);
  if (who !== 0 && who !== -1 && who !== 1) return -EINVAL;
  const ns = who === 1 ? t.cpu.instret : who === 0 ? processCpuNs(t) : 0;
  const buf = new DataView(new ArrayBuffer(144));
  const us = Math.floor(ns / 1000);
  buf.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  buf.setBigInt64(8, BigInt(us % 1e6), true);
  return t.mm.write(argU64(t, 1), new Uint8Array(buf.buffer)) ? 0 : -EFAULT;
}

export const timeSyscalls: SyscallTable = {
  [NR.clock_gettime]: sysClockGettime,
  [NR.clock_getres]: sysClockGetres,
  [NR.gettimeofday]: sysGettimeofday,
  [NR.nanosleep]: sysNanosleep,
  [NR.clock_nanosleep]: sysClockNanosleep,
  [NR.times]: sysTimes,
  [NR.getrusage]: sysGetrusage,
};
