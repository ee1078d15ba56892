// What a record type declaration holds, and `defineRecord`, which lays it out once at load time.
import { Field, StructLayout, StructValue, layoutStruct } from './fields';

/**
 * A record that must come right after this one (linux-cr writes strings and buffers as their own
 * records). `length` ties a buffer's payload length to a field of this record; a zero count omits it.
 */
export interface FollowSpec {
  readonly record: 'string' | 'buffer' | 'file_name';
  /** What the follower holds, named for the decoder's items and the tree (e.g. `cwd`, `pages`). */
  readonly role: string;
  readonly length?: { readonly field: string; readonly unit: number | 'page' };
  readonly meaning: string;
}

export interface RecordSpec<T extends number = number, N extends string = string, Fs extends readonly Field[] = readonly Field[]> {
  readonly type: T;
  readonly name: N;
  readonly meaning: string;
  readonly fields: Fs;
  /** `string`/`bytes`: the payload is a NUL-terminated string or raw bytes rather than fields. */
  readonly variable?: 'string' | 'bytes';
  /** Set when an objref record may announce this record as a shared object of this type. */
  readonly objtype?: string;
  readonly followedBy: readonly FollowSpec[];
  /** Where it shows in the crfs tree (a directory or file name pattern), or null. */
  readonly tree: string | null;
  readonly layout: StructLayout;
}

export type RecordValueOf<R> = R extends RecordSpec<number, string, infer Fs> ? StructValue<Fs> : never;

interface RecordInput<T extends number, N extends string, Fs extends readonly Field[]> {
  type: T;
  name: N;
  meaning: string;
  fields: Fs;
  variable?: 'string' | 'bytes';
  objtype?: string;
  followedBy?: readonly FollowSpec[];
  tree?: string | null;
}

/** Declares one record type; throws on a malformed declaration (a schema bug caught at load). */
export function defineRecord<const T extends number, const N extends string, const Fs extends readonly Field[]>(
  r: RecordInput<T, N, Fs>,
): RecordSpec<T, N, Fs> {
  const layout = layoutStruct(r.fields);
  for (const f of r.followedBy ?? []) {
    if (f.length && !r.fields.some((g) => g.name === f.length?.field)) {
      throw new Error(`schema: record '${r.name}' follower '${f.role}' sizes by unknown field '${f.length.field}'`);
    }
  }
  return {
    type: r.type, name: r.name, meaning: r.meaning, fields: r.fields, variable: r.variable, objtype: r.objtype,
    followedBy: r.followedBy ?? [], tree: r.tree === undefined ? null : r.tree, layout,
  };
}

/** linux-cr's shared object types (enum obj_type, final layout), in its order; numbers only grow. */
export const OBJ_TYPES = {
  ignore: 0, inode: 1, file_table: 2, file: 3, mm: 4, fs: 5, sighand: 6, signal: 7, ns: 8, uts_ns: 9,
  ipc_ns: 10, mnt_ns: 11, user_ns: 12, cred: 13, user: 14, groupinfo: 15, sock: 16, tty: 17,
  security_ptr: 18, security: 19, net_ns: 20, netdev: 21,
} as const;
export type ObjType = keyof typeof OBJ_TYPES;
