// Records 501–506: the container's root filesystem carried inside the image, and the inodes open files name.
import { arrayOf, enumOf, pad, u32, u64, x64 } from './fields';
import { defineRecord } from './record-spec';

/*
 * linux-cr never saved a filesystem's contents (it expected the files to still be there at restart),
 * so it has no numbers for them; 501–510 is crfs's own range, above linux-cr's last group (451 fs),
 * taken in order and never reused. Root-filesystem inodes are not shared objects: they are named by
 * their inode number (st_ino), which restart keeps, so files and cwds refer to them by `ino`.
 */

export const rootfs = defineRecord({
  type: 501, name: 'rootfs', tree: 'rootfs',
  meaning: 'the container\'s root filesystem (crfs carries it inside the image, after the ns objects and before the task tree). '
    + 'nr_inodes rootfs_inode records follow, each with its contents, interleaved with nr_dentries rootfs_dentry records: a walk '
    + 'from the root in readdir order writes an inode the first time a name leads to it, then the name; inodes no name leads to '
    + '(open but unlinked) come last, in inode-number order, then removed directories only a cwd still holds. Numbers 501–510 are crfs\'s own: linux-cr never saved file contents',
  fields: [
    u32('nr_inodes', 'rootfs_inode records in this section', 'nr_inodes'),
    u32('nr_dentries', 'rootfs_dentry records in this section', 'nr_dentries'),
    u64('root_ino', 'inode number of the root directory (the first rootfs_inode)', 'root_ino'),
    u64('next_ino', 'the next inode number to hand out: numbers are never reused and pipes draw from them too', 'next_ino'),
  ],
});

export const rootfsInode = defineRecord({
  type: 502, name: 'rootfs_inode', tree: 'rootfs/inodes/<ino>',
  meaning: 'one inode of the root filesystem: its attributes as stat reports them; a string follows (the symlink target, '
    + 'empty for anything else), then nr_extents rootfs_extent records (regular files)',
  fields: [
    u64('ino', 'inode number (st_ino), kept across restart', 'ino'),
    u32('mode', 'st_mode: type and permission bits', 'mode'),
    u32('uid', 'owner', 'uid'),
    u32('gid', 'group', 'gid'),
    u32('nlink', 'hard links (0: open but unlinked)', 'nlink'),
    u64('rdev', 'device number of a character or block device node (Linux new_encode_dev)', 'rdev', 'hex'),
    u64('size', 'st_size of a regular file (0 for other types)', 'size'),
    x64('atime_ns', 'last access, ns since the epoch on the container clock; times are two\'s complement (before 1970: above 2^63)', 'atime_ns'),
    x64('mtime_ns', 'last modification, ns since the epoch', 'mtime_ns'),
    x64('ctime_ns', 'last status change, ns since the epoch', 'ctime_ns'),
    x64('btime_ns', 'creation (statx btime), ns since the epoch', 'btime_ns'),
    u64('next_cookie', 'directories: the readdir position the next new entry gets (0 and 1 are . and ..)', 'next_cookie'),
    u32('nr_extents', 'rootfs_extent records that follow (allocated runs of blocks of a regular file)', null),
    u32('flags', 'bit 0 (unlisted): a removed directory only some task\'s cwd still holds; the kernel no longer counts it (statfs f_ffree)', 'flags', 'hex'),
  ],
  followedBy: [{ record: 'string', role: 'target', meaning: 'the symlink target; empty for an inode that is not a symlink' }],
});

/** rootfs_inode flags. */
export const INODE_UNLISTED = 1;

/** What a run of allocated blocks holds (tmpfs: written pages vs fallocate'd unwritten ones). */
export const EXTENT_STATES = { data: 1, unwritten: 2 } as const;

export const rootfsExtent = defineRecord({
  type: 503, name: 'rootfs_extent', tree: null,
  meaning: 'a run of allocated 4096-byte blocks of the preceding regular file; blocks outside every extent are holes '
    + '(zeros, not counted in st_blocks, skipped by SEEK_DATA). Extents ascend and do not overlap',
  fields: [
    u64('offset', 'byte offset of the first block (a multiple of 4096)'),
    u64('length', 'bytes of the run (a multiple of 4096; may reach past EOF for unwritten blocks)'),
    enumOf('state', 'u32', EXTENT_STATES, 'data: written blocks, their bytes follow; unwritten: fallocate\'d, reads as zeros, counted in st_blocks but a hole to SEEK_DATA'),
    pad('_pad0', 4),
    u64('nr_bytes', 'bytes that follow: the part of a data run before EOF; 0 for unwritten runs'),
  ],
  followedBy: [{ record: 'buffer', role: 'contents', length: { field: 'nr_bytes', unit: 1 }, meaning: 'the file bytes at offset, nr_bytes of them' }],
});

export const rootfsDentry = defineRecord({
  type: 504, name: 'rootfs_dentry', tree: 'rootfs/inodes/<parent_ino>/entries/<cookie>',
  meaning: 'one directory entry: a name in directory parent_ino for inode child_ino, both written before it; '
    + 'entries of a directory come in readdir order; the name follows',
  fields: [
    u64('parent_ino', 'the directory holding the entry'),
    u64('child_ino', 'the inode the entry names'),
    u64('cookie', 'the entry\'s readdir position (getdents64 reports d_off = cookie + 1)'),
  ],
  followedBy: [{ record: 'string', role: 'name', meaning: 'the entry\'s name (one path component)' }],
});

export const inodeRef = defineRecord({
  type: 505, name: 'inode_ref', tree: 'inode',
  meaning: 'the root-filesystem inode of the record before it, by number: after a file\'s file_name (regular files, '
    + 'directories, symlinks, device nodes) and after an fs record\'s cwd string; the dentry name follows',
  fields: [u64('ino', 'the inode (a rootfs_inode of this image; 0: none, for a cwd not yet resolved)', 'ino')],
  followedBy: [{ record: 'string', role: 'name', meaning: 'last component of the name it was opened by (shown with " (deleted)" once unlinked)' }],
});

export const pipeInode = defineRecord({
  type: 506, name: 'pipe_inode', tree: null,
  meaning: 'the pipefs inode and ring layout of the pipe before it (after its buffer): what fstat shows, and how the '
    + 'buffered bytes sit in the 16 page slots, so a restarted pipe merges writes and fills up exactly as before',
  fields: [
    u64('ino', 'st_ino of the pipe (drawn from the root filesystem\'s numbers)', 'ino'),
    x64('atime_ns', 'last read, ns since the epoch', 'atime_ns'),
    x64('mtime_ns', 'last write, ns since the epoch', 'mtime_ns'),
    x64('ctime_ns', 'last change, ns since the epoch', 'ctime_ns'),
    u32('first_offset', 'offset in its page of the oldest slot\'s first unread byte'),
    u32('nr_slots', 'occupied slots, oldest first', null),
    arrayOf('slots', 'nr_slots', [u32('len', 'bytes in the slot')], 'bytes per occupied slot; they add up to the pipe\'s nr_bytes', null),
  ],
});
