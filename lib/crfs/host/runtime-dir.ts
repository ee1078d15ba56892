// The background host's per-user runtime directory: its socket, lock, log and the booted programs' output.
//
// The directory's mode (0700, owned by the user) is the whole access control of the host: only its
// owner can reach the socket, so only the owner of a container can checkpoint it.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the host lives: $CRFS_RUNTIME_DIR, /run/crfs for root, $XDG_RUNTIME_DIR/crfs, else /tmp/crfs-<uid>. */
export function runtimeDirPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CRFS_RUNTIME_DIR) return path.resolve(env.CRFS_RUNTIME_DIR);
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return '/run/crfs';
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'crfs');
  return `/tmp/crfs-${uid}`;
}

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export class RuntimeDirError extends Error {}

/** The files of a runtime directory. */
export interface RuntimeDir {
  readonly dir: string;
  /** The control socket (newline-delimited JSON, lib/crfs/host/protocol.ts). */
  readonly socket: string;
  /** `<pid> <start time>` of the running host: at most one host per directory. */
  readonly lock: string;
  /** The host's own stderr (its log, FUSE errors). */
  readonly log: string;
}

export function runtimeFiles(dir: string): RuntimeDir {
  return { dir, socket: path.join(dir, 'host.sock'), lock: path.join(dir, 'host.pid'), log: path.join(dir, 'host.log') };
}

/** Where the container whose init is `pid` has its stdout and stderr appended, and its exit status written. */
export function programFiles(dir: string, pid: number): { stdout: string; stderr: string; status: string } {
  return { stdout: path.join(dir, `${pid}.out`), stderr: path.join(dir, `${pid}.err`), status: path.join(dir, `${pid}.status`) };
}

/**
 * Checks that `dir` is a directory only its owner, this user, can enter (not a symlink, mode
 * without group or other bits). Throws RuntimeDirError otherwise: someone else's directory could
 * hold someone else's socket.
 */
function checkPrivate(dir: string, st: fs.Stats): void {
  if (!st.isDirectory()) throw new RuntimeDirError(`runtime directory ${dir}: not a directory`);
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid) throw new RuntimeDirError(`runtime directory ${dir}: owned by uid ${st.uid}, not by this user (${uid})`);
  if ((st.mode & 0o077) !== 0) {
    throw new RuntimeDirError(`runtime directory ${dir}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets other users in; make it 0700`);
  }
}

/**
 * The runtime directory, checked private; created (mode 0700) when `create`, else null when it does
 * not exist (so no host can be running). Throws RuntimeDirError for an unsafe or unusable directory.
 */
export function openRuntimeDir(create: boolean, env: NodeJS.ProcessEnv = process.env): RuntimeDir | null {
  const dir = runtimeDirPath(env);
  const files = runtimeFiles(dir);
  if (Buffer.byteLength(files.socket) > MAX_SOCKET_PATH) {
    throw new RuntimeDirError(`runtime directory ${dir}: path too long for a unix socket (set CRFS_RUNTIME_DIR to a shorter one)`);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RuntimeDirError(`runtime directory ${dir}: ${(e as Error).message}`);
    if (!create) return null;
    try {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw new RuntimeDirError(`runtime directory ${dir}: cannot create: ${(e2 as Error).message}`);
    }
    st = fs.lstatSync(dir);
  }
  checkPrivate(dir, st);
  return files;
}
