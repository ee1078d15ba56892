// One host per runtime directory: a lock file holding the host's pid and process start time.
import * as fs from 'node:fs';

/** Field 22 of /proc/PID/stat (start time), so a reused pid is not taken for the lock's owner; undefined if no such process. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: the fields after it start past the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The pid of the live process holding `lock`, or null (no lock, unreadable, or its owner died). */
export function lockOwner(lock: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(lock, 'utf8');
  } catch {
    return null;
  }
  const [pid, start] = text.trim().split(' ');
  const n = Number(pid);
  return Number.isSafeInteger(n) && n > 0 && start !== undefined && startTime(n) === start ? n : null;
}

/** A lock just created by another process that has not written its pid yet. */
function beingWritten(lock: string): boolean {
  try {
    const st = fs.statSync(lock);
    return st.size === 0 && Date.now() - st.mtimeMs < 2000;
  } catch {
    return false;
  }
}

/**
 * Takes `lock` for this process: true when taken, false when a live process holds it. A lock left by
 * a dead process is replaced. Throws when the file cannot be written at all.
 */
export function acquireLock(lock: string): boolean {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockOwner(lock) !== null || beingWritten(lock)) return false;
      fs.rmSync(lock, { force: true });
      continue;
    }
    try {
      fs.writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ''}\n`);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  }
  return false;
}

/** Removes `lock` if this process holds it. Never throws. */
export function releaseLock(lock: string): void {
  if (lockOwner(lock) === process.pid) fs.rmSync(lock, { force: true });
}
