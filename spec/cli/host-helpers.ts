// Looking at a background crfs host from its tests: its pid from the runtime directory, and whether a process lives.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The pid in `rt`/host.pid, or null when there is none. */
export function hostPid(rt: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(rt, 'host.pid'), 'utf8').split(' ')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` runs (a zombie waiting for its reaper counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
