// Records 1–9 (head, arch, container, buffer, string, objref, parent) and 9001/9999 (tail, error).
import { enumOf, objref, pad, s32, u16, u32, u64, x64 } from './fields';
import { OBJ_TYPES, defineRecord } from './record-spec';

/**
 * linux-cr's arch ids as in user-cr's final checkpoint_hdr.h (x86_32=1, x86_64=2, s390x=3, ppc32=4,
 * ppc64=5). An ARM port also existed with an id not in that header, so 6 is left to it and riscv64
 * takes 7: an id no linux-cr image can carry.
 */
export const ARCH_IDS = { x86_32: 1, x86_64: 2, s390x: 3, ppc32: 4, ppc64: 5, riscv64: 7 } as const;

export const head = defineRecord({
  type: 1, name: 'head', tree: '.',
  meaning: 'image header: always the first record; three string records follow (release, version, machine)',
  fields: [
    x64('magic', 'CHECKPOINT_MAGIC_HEAD, 0x00feed0cc0a2d200', null, 'hex'),
    enumOf('arch_id', 'u16', ARCH_IDS, 'architecture the image was taken on', 'arch'),
    u16('major', 'kernel version: major'),
    u16('minor', 'kernel version: minor'),
    u16('patch', 'kernel version: patch'),
    u16('rev', 'image format version (FORMAT_VERSION)', 'format_version'),
    pad('_pad_const', 6), // struct ckpt_const is aligned(8) in linux-cr
    u16('task_comm_len', 'kernel constant: bytes of a task comm (16)', null),
    u16('at_vector_size', 'kernel constant: auxv words saved (AT_VECTOR_SIZE)', null),
    u16('signal_nsig', 'kernel constant: number of signals (64)', null),
    u16('uts_sysname_len', 'kernel constant: utsname field size (65)', null),
    u16('uts_nodename_len', 'kernel constant: utsname field size (65)', null),
    u16('uts_release_len', 'kernel constant: utsname field size (65)', null),
    u16('uts_version_len', 'kernel constant: utsname field size (65)', null),
    u16('uts_machine_len', 'kernel constant: utsname field size (65)', null),
    u16('uts_domainname_len', 'kernel constant: utsname field size (65)', null),
    u16('rlimit_nlimits', 'kernel constant: number of rlimits (16)', null),
    u16('n_tty_buf_size', 'kernel constant: tty buffer size (4096)', null),
    u16('tty_termios_ncc', 'kernel constant: termios control chars (19)', null),
    x64('time', 'host CLOCK_REALTIME when the checkpoint was taken, ns', 'time'),
    x64('uflags', 'flags given to sys_checkpoint', 'flags', 'hex'),
    u32('page_size', 'bytes per page (4096)'),
    pad('_pad0', 4),
  ],
  followedBy: [
    { record: 'string', role: 'release', meaning: 'utsname release of the checkpointing kernel' },
    { record: 'string', role: 'version', meaning: 'utsname version of the checkpointing kernel' },
    { record: 'string', role: 'machine', meaning: 'utsname machine (riscv64)' },
  ],
});

export const headArch = defineRecord({
  type: 2, name: 'head_arch', tree: 'arch',
  meaning: 'arch-dependent image header (riscv64)',
  fields: [
    x64('isa', 'misa-style extension bits the harts implement (bit n = letter A+n)', 'isa', 'hex'),
    u32('xlen', 'integer register width in bits (64)'),
    u32('flen', 'floating-point register width in bits (64)'),
  ],
});

export const container = defineRecord({
  type: 3, name: 'container', tree: '.',
  meaning: 'container section: the checkpointed container as a whole',
  fields: [
    u32('checkpoint_id', 'the id sys_checkpoint returned', 'id'),
    s32('init_pid', 'container-visible pid of the container init', 'init_pid'),
  ],
});

export const parent = defineRecord({
  type: 9, name: 'parent', tree: 'parent',
  meaning: "incremental image (crfs addition): the image whose pages this one's pgref records name; right after the container record. An image without it is complete",
  fields: [
    u32('parent_id', "the parent's checkpoint_id (its container record)", 'id'),
    u32('parent_checksum', "the parent's tail checksum", 'checksum', 'hex'),
    u64('parent_bytes', "the parent image's length in bytes, tail included", 'bytes'),
  ],
});

export const buffer = defineRecord({
  type: 4, name: 'buffer', variable: 'bytes', fields: [], tree: null,
  meaning: 'raw bytes (page addresses, page contents, pipe contents); meaning given by the record before it',
});

export const string = defineRecord({
  type: 5, name: 'string', variable: 'string', fields: [], tree: null,
  meaning: 'a NUL-terminated UTF-8 string; meaning given by the record before it',
});

export const objrefRecord = defineRecord({
  type: 6, name: 'objref', tree: null,
  meaning: 'announces that the next record defines shared object `objref` of type `objtype`',
  fields: [
    enumOf('objtype', 'u32', OBJ_TYPES, 'shared object type (linux-cr obj_type)'),
    s32('objref', 'the object reference: counts up from 1 in order of first sight'),
  ],
});

/** `objref(...)` fields are declared here so that record files need not know the enum. */
export { objref };

export const tail = defineRecord({
  type: 9001, name: 'tail', tree: null,
  meaning: 'image trailer: always the last record',
  fields: [
    x64('magic', 'CHECKPOINT_MAGIC_TAIL, 0x002d2a0cc0deef00', null, 'hex'),
    u32('nr_records', 'records before the tail'),
    u32('checksum', 'CRC-32 (ISO-HDLC, as zlib) of every byte before the tail record', null, 'hex'),
  ],
});

export const error = defineRecord({
  type: 9999, name: 'error', tree: 'error',
  meaning: 'the checkpoint failed: a string record with the message follows, then the tail',
  fields: [s32('errno', 'the errno sys_checkpoint returned (positive)'), pad('_pad0', 4)],
  followedBy: [{ record: 'string', role: 'message', meaning: 'what could not be saved, naming it' }],
});

/** Never written; kept so numbers are documented and never reused. */
export const reservedBase = [
  { type: 7, name: 'lsm_info', why: 'linux-cr LSM info: crfs has no LSM' },
  { type: 8, name: 'security', why: 'linux-cr LSM security blob: crfs has no LSM' },
] as const;
