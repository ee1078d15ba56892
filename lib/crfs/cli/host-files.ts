// The host files a `crfs run` container starts with: the program's own directory, copied into memfs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from 'pino';

/** The emulated root is in memory: a directory full of large files is skipped beyond these limits. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES = 512 * 1024 * 1024;

/** Where imported files go: anything with the kernel's importHostFile(hostPath, guestPath). */
export interface HostFileSink {
  importHostFile(hostPath: string, guestPath: string): void;
}

/**
 * Copies the ELF and every other regular file of its directory (not recursively, symlinks followed)
 * into the container root at the same absolute paths, so a program can execve its siblings by the
 * paths it was given, as under qemu. Unreadable or oversized files are skipped with a log line; the ELF
 * itself is always imported. Returns the ELF's absolute guest path. Throws only if the ELF's import fails.
 */
export function importProgramDirectory(sink: HostFileSink, elfHostPath: string, log: Logger): string {
  const elfAbs = path.resolve(elfHostPath);
  sink.importHostFile(elfAbs, elfAbs);
  const dir = path.dirname(elfAbs);
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    log.warn({ dir, err: (e as Error).message }, 'cannot list the program directory; importing the program only');
    return elfAbs;
  }
  let total = fs.statSync(elfAbs).size;
  for (const name of names) {
    const file = path.join(dir, name);
    if (file === elfAbs) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    if (st.size > MAX_FILE_BYTES || total + st.size > MAX_TOTAL_BYTES) {
      log.info({ file, size: st.size }, 'not imported into the container: too large');
      continue;
    }
    try {
      sink.importHostFile(file, file);
      total += st.size;
    } catch (e) {
      log.info({ file, err: (e as Error).message }, 'not imported into the container');
    }
  }
  return elfAbs;
}
