// SIGPIPE for a write to a pipe (or host stream) nobody reads: Linux's send_sig(SIGPIPE, current, 0).
import { SIGPIPE, SI_USER } from '../signal/constants';
import { sendSignalToTask } from '../signal/send';
import type { SignalKernel } from '../signal/signal-kernel';
import type { Task } from '../task';

/** Queue SIGPIPE on the writing thread, as the kernel sends it (si_code SI_USER, the writer's own pid and uid). */
export function raiseSigpipe(k: SignalKernel, t: Task): void {
  sendSignalToTask(k, t, SIGPIPE, { signo: SIGPIPE, code: SI_USER, pid: t.tgid, uid: t.uid });
}
