// Objects the driver itself saves and restores: utsname, the namespace set, credentials.
import { zeroRecord } from '../../crfs/image/schema';
import type { ObjType } from '../../crfs/image/record-spec';
import type { Kernel } from '../kernel';
import type { Task } from '../task';
import type { CheckpointContext, ObjectRestorer, RestoreContext } from './context';

/** What a restored `cred` record becomes: the ids a Task carries. */
export interface RestoredCred { uid: number; gid: number }

/** One token object per distinct credential set, so tasks with equal creds share one `cred` objref. */
const credTokens = new WeakMap<CheckpointContext, Map<string, object>>();

/** The namespace set (only utsname is per-container here); the kernel object itself is its identity. */
export function checkpointNs(ctx: CheckpointContext, k: Kernel): number {
  const uts = ctx.shared('uts_ns', k.utsname, () => ctx.w.record('uts_ns', { ...k.utsname }));
  return ctx.shared('ns', k, () => ctx.w.record('ns', { uts_objref: uts, ipc_objref: 0, net_objref: 0 }));
}

/** The task's `cred` objref, writing the cred (and nothing else: no user namespaces here) on first sight. */
export function checkpointCred(ctx: CheckpointContext, t: Task): number {
  let tokens = credTokens.get(ctx);
  if (!tokens) { tokens = new Map(); credTokens.set(ctx, tokens); }
  const key = `${t.uid}:${t.gid}`;
  let tok = tokens.get(key);
  if (!tok) { tok = {}; tokens.set(key, tok); }
  return ctx.shared('cred', tok, () => {
    ctx.w.record('cred', {
      ...zeroRecord('cred'), uid: t.uid, suid: t.uid, euid: t.uid, fsuid: t.uid, gid: t.gid, sgid: t.gid, egid: t.gid, fsgid: t.gid,
    });
  });
}

function restoreUts(r: RestoreContext): object {
  const u = r.record('uts_ns');
  Object.assign(r.k.utsname, u);
  return r.k.utsname;
}

function restoreNs(r: RestoreContext): object {
  const n = r.record('ns');
  if (n.uts_objref !== 0) r.object('uts_ns', n.uts_objref, "record 'ns'");
  return { ns: true };
}

function restoreCred(r: RestoreContext): RestoredCred {
  const c = r.record('cred');
  return { uid: c.euid, gid: c.egid };
}

export const taskRestorers: Partial<Record<ObjType, ObjectRestorer>> = {
  uts_ns: restoreUts,
  ns: restoreNs,
  cred: restoreCred,
};
