// siginfo_t in user memory: the 128-byte riscv64 layout, union member chosen as Linux's siginfo_layout does.
import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGIO, SIGSEGV, SIGSYS, SIGTRAP, SI_KERNEL, SI_SIGIO, SI_TIMER, SI_USER } from './constants';
import type { SigInfo } from './pending';

export const SIGINFO_SIZE = 128;

/** Offsets (glibc 2.36 riscv64 siginfo_t, checked with offsetof). */
const SI_SIGNO = 0, SI_ERRNO = 4, SI_CODE = 8, SI_PID = 16, SI_UID = 20, SI_VALUE = 24, SI_STATUS = 24,
  SI_UTIME = 32, SI_STIME = 40, SI_ADDR = 16, SI_BAND = 16, SI_FD = 24;

type Layout = 'kill' | 'rt' | 'timer' | 'chld' | 'fault' | 'poll';

/** Which union member `code` selects for `sig`. */
function layoutOf(sig: number, code: number): Layout {
  if (code > SI_USER && code < SI_KERNEL) {
    switch (sig) {
      case SIGILL: case SIGFPE: case SIGSEGV: case SIGBUS: case SIGTRAP: case SIGSYS: return 'fault';
      case SIGCHLD: return 'chld';
      case SIGIO: return 'poll';
      default: return 'kill';
    }
  }
  if (code === SI_TIMER) return 'timer';
  if (code === SI_SIGIO) return 'poll';
  return code < 0 ? 'rt' : 'kill';
}

function setU64(dv: DataView, off: number, v: number): void {
  dv.setBigUint64(off, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
}

/** The siginfo_t bytes for `info`: fields that do not apply are zero, as copy_siginfo_to_user leaves them. */
export function encodeSigInfo(info: SigInfo): Uint8Array {
  if (info.raw) {
    const b = info.raw.slice(0, SIGINFO_SIZE);
    new DataView(b.buffer).setInt32(SI_SIGNO, info.signo, true);
    return b;
  }
  const b = new Uint8Array(SIGINFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(SI_SIGNO, info.signo, true);
  dv.setInt32(SI_ERRNO, info.errno ?? 0, true);
  dv.setInt32(SI_CODE, info.code, true);
  switch (layoutOf(info.signo, info.code)) {
    case 'fault':
      setU64(dv, SI_ADDR, info.addr ?? 0);
      break;
    case 'chld':
      dv.setInt32(SI_PID, info.pid, true);
      dv.setUint32(SI_UID, info.uid >>> 0, true);
      dv.setInt32(SI_STATUS, info.status ?? 0, true);
      setU64(dv, SI_UTIME, info.utime ?? 0);
      setU64(dv, SI_STIME, info.stime ?? 0);
      break;
    case 'poll':
      setU64(dv, SI_BAND, info.value ?? 0);
      dv.setInt32(SI_FD, info.status ?? 0, true);
      break;
    case 'timer':
      dv.setInt32(SI_PID, info.pid, true);
      dv.setInt32(SI_UID, info.uid, true);
      setU64(dv, SI_VALUE, info.value ?? 0);
      break;
    case 'rt':
      dv.setInt32(SI_PID, info.pid, true);
      dv.setUint32(SI_UID, info.uid >>> 0, true);
      setU64(dv, SI_VALUE, info.value ?? 0);
      break;
    case 'kill':
      dv.setInt32(SI_PID, info.pid, true);
      dv.setUint32(SI_UID, info.uid >>> 0, true);
      break;
  }
  return b;
}

/** A siginfo_t that user space passed to rt_sigqueueinfo, kept verbatim (signo is set by the kernel). */
export function decodeUserSigInfo(bytes: Uint8Array, sig: number): SigInfo {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = bytes.slice(0, SIGINFO_SIZE);
  new DataView(raw.buffer).setInt32(SI_SIGNO, sig, true);
  return {
    signo: sig,
    errno: dv.getInt32(SI_ERRNO, true),
    code: dv.getInt32(SI_CODE, true),
    pid: dv.getInt32(SI_PID, true),
    uid: dv.getUint32(SI_UID, true),
    value: Number(dv.getBigUint64(SI_VALUE, true)),
    raw,
  };
}
