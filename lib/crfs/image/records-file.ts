// Records 301–308: file table, file descriptors, file names, open files and pipes.
import { enumOf, objref, pad, s32, u32, u64 } from './fields';
import { defineRecord } from './record-spec';

export const fileTable = defineRecord({
  type: 301, name: 'file_table', tree: 'files', objtype: 'file_table',
  meaning: 'a file descriptor table; fdt_nfds file_desc records follow, each after the file it names',
  fields: [s32('fdt_nfds', 'number of open descriptors', null), pad('_pad0', 4)],
});

export const fileDesc = defineRecord({
  type: 302, name: 'file_desc', tree: 'fds/<fd_nr>',
  meaning: 'one open descriptor of the preceding file table',
  fields: [
    objref('fd_objref', 'file', 'the open file', 'fd'),
    s32('fd_descriptor', 'the descriptor number', 'fd_nr'),
    u32('fd_close_on_exec', '1 if FD_CLOEXEC is set', 'coe'),
  ],
});

export const fileName = defineRecord({
  type: 303, name: 'file_name', variable: 'string', fields: [], tree: null,
  meaning: 'a path (NUL-terminated), meaning given by the record before it',
});

/** linux-cr file types in order, then crfs's: a directory, and a host resource re-bound at restart. */
export const FILE_TYPES = {
  ignore: 0, regular: 1, pipe: 2, fifo: 3, socket: 4, tty: 5, epoll: 6, eventfd: 7, directory: 8, external: 9,
} as const;

/** Which host resource an `external` file stands for. */
export const EXTERNAL_IDS = { none: 0, stdin: 1, stdout: 2, stderr: 3 } as const;

export const file = defineRecord({
  type: 304, name: 'file', tree: 'files/<objref>', objtype: 'file',
  meaning: 'an open file description (shared by dup and fork); a file_name record follows',
  fields: [
    enumOf('f_type', 'u32', FILE_TYPES, 'what the file is; a pipe end is told by f_mode', 'fd_type'),
    u32('f_mode', 'FMODE_READ (1) | FMODE_WRITE (2)'),
    u32('f_flags', 'open(2) flags as fcntl(F_GETFL) shows them (octal O_* bits)'),
    objref('f_credref', 'cred', 'credentials the file was opened with (0: the opener\'s)', null),
    u64('f_pos', 'file position'),
    u64('f_version', 'f_version (directory readdir cookie)'),
    objref('f_secref', 'security', 'LSM blob (always 0)', null),
    objref('pipe_objref', 'inode', 'the pipe (pipe and fifo files), else 0', 'pipe'),
    enumOf('external_id', 'u32', EXTERNAL_IDS, 'host resource an external file is re-bound to', 'external'),
  ],
  followedBy: [{ record: 'file_name', role: 'target', meaning: 'path of the file (empty for pipes; the host name for external files)' }],
});

export const pipe = defineRecord({
  type: 305, name: 'pipe', tree: 'pipes/<objref>', objtype: 'inode',
  meaning: 'a pipe (linux-cr pipe_buf): written before the first file that refers to it; its buffered bytes follow',
  fields: [
    u32('nr_bytes', 'bytes buffered in the pipe', 'size'),
    u32('capacity', 'pipe capacity (F_GETPIPE_SZ)'),
    u32('readers', 'open read ends'),
    u32('writers', 'open write ends'),
  ],
  followedBy: [{ record: 'buffer', role: 'contents', length: { field: 'nr_bytes', unit: 1 }, meaning: 'the buffered bytes, oldest first' }],
});

/** Never written; kept so numbers are documented and never reused. */
export const reservedFile = [
  { type: 306, name: 'tty', why: 'linux-cr tty: terminals are external in crfs' },
  { type: 307, name: 'tty_ldisc', why: 'linux-cr tty line discipline' },
  { type: 308, name: 'epoll_items', why: 'linux-cr epoll items: emukernel has no epoll yet' },
] as const;
