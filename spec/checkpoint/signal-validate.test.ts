// Restoring signal records Linux could never have produced fails with one line naming the record and its offset.
import test from 'ava';
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import { RAW_SIGINFO_ENTRY } from '../../lib/crfs/image/records-signal';
import { RecordValue, zeroRecord } from '../../lib/crfs/image/schema';
import { RestoreContext, RestoreError } from '../../lib/emukernel/checkpoint/context';
import type { Kernel } from '../../lib/emukernel/kernel';
import { restoreTaskSignals, signalRestorers } from '../../lib/emukernel/signal/checkpoint';
import { SIGINT, SIGKILL, SIGRTMIN, SIGSTOP, SIGUSR1, SIG_IGN, sigBit } from '../../lib/emukernel/signal/constants';
import { writePrologue } from '../image/sample-image';
import { FakeKernel, makeProcess } from '../signal/fixture';

const NO_KERNEL = Object.create(null) as Kernel;
const INF = (1n << 64n) - 1n;

/** Restores what `body` writes after the prologue; resolves to the RestoreError message (or '' if none). */
function restoreMessage(body: (w: ImageWriter) => void, task = false): string {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  body(w);
  w.finish();
  const r = new RestoreContext(NO_KERNEL, readImageItems(sink.bytes(), { validate: false }), signalRestorers);
  while (r.next().name !== 'sched');
  try {
    if (task) restoreTaskSignals(r, makeProcess(new FakeKernel(), 2));
    else r.takeObjects();
  } catch (e) {
    if (e instanceof RestoreError) return e.message;
    throw e;
  }
  return '';
}

function sighandWith(sig: number, act: Partial<RecordValue<'sighand'>['action'][number]>): (w: ImageWriter) => void {
  return (w) => {
    const sh = zeroRecord('sighand');
    sh.action[sig - 1] = { ...sh.action[sig - 1], ...act };
    w.objref('sighand', 1);
    w.record('sighand', sh);
  };
}

const rlimits = (): RecordValue<'signal'>['rlim'] => Array.from({ length: 16 }, () => ({ rlim_cur: INF, rlim_max: INF }));
const emptyPending: RecordValue<'sigpending'> = { nr_pending: 0, signal: 0n, siginfo: [] };
const si = (signo: number): RecordValue<'sigpending'>['siginfo'][number] =>
  ({ signo, _errno: 0, code: 0, pid: 1, uid: 0, sigval_int: 0, sigval_ptr: 0, utime: 0, stime: 0 });

function signalWith(v: Partial<RecordValue<'signal'>>, pending = emptyPending, raw?: Uint8Array): (w: ImageWriter) => void {
  return (w) => {
    w.objref('signal', 1);
    w.record('signal', { ...zeroRecord('signal'), rlim: rlimits(), ...v });
    if (raw) w.buffer(raw);
    w.record('sigpending', pending);
  };
}

function taskWith(v: Partial<RecordValue<'signal_task'>>, pending = emptyPending, raw?: Uint8Array): (w: ImageWriter) => void {
  return (w) => {
    w.record('signal_task', { ...zeroRecord('signal_task'), altstack_flags: 2, ...v });
    if (raw) w.buffer(raw);
    w.record('sigpending', pending);
  };
}

/** A siginfo_raw buffer whose entries point at `indices`. */
function rawBuffer(indices: number[]): Uint8Array {
  const b = new Uint8Array(indices.length * RAW_SIGINFO_ENTRY);
  const dv = new DataView(b.buffer);
  indices.forEach((idx, j) => dv.setUint32(j * RAW_SIGINFO_ENTRY, idx, true));
  return b;
}

const OFFSET = /^image: record '(\w+)' at offset \d+: /;

test('the well-formed baselines restore', (t) => {
  t.is(restoreMessage(sighandWith(SIGUSR1, { _sa_handler: 0x1000 })), '');
  t.is(restoreMessage(signalWith({})), '');
  t.is(restoreMessage(taskWith({})), '');
});

test('a handler table that catches or ignores SIGKILL or SIGSTOP is refused', (t) => {
  const m = restoreMessage(sighandWith(SIGKILL, { _sa_handler: 0x10500 }));
  t.regex(m, OFFSET);
  t.regex(m, /record 'sighand'.*signal 9 is caught or ignored$/);
  t.regex(restoreMessage(sighandWith(SIGSTOP, { _sa_handler: SIG_IGN })), /signal 19 is caught or ignored/);
});

test('unknown sa_flags and a sa_mask holding SIGKILL are refused', (t) => {
  t.regex(restoreMessage(sighandWith(SIGINT, { sa_flags: 0x04000000 })), /signal 2: unknown sa_flags 0x4000000/);
  t.regex(restoreMessage(sighandWith(SIGINT, { sa_flags: 2 ** 40 })), /signal 2: unknown sa_flags/);
  t.regex(restoreMessage(sighandWith(SIGINT, { sa_mask: sigBit(SIGKILL) })), /signal 2: sa_mask holds SIGKILL or SIGSTOP/);
});

test('blocked masks with SIGKILL/SIGSTOP, unknown flags and impossible altstacks are refused', (t) => {
  t.regex(restoreMessage(taskWith({ blocked: sigBit(SIGSTOP) }), true), /record 'signal_task'.*blocked mask holds SIGKILL/);
  t.regex(restoreMessage(taskWith({ flags: 1, saved_blocked: sigBit(SIGKILL) }), true), /saved_blocked mask holds/);
  t.regex(restoreMessage(taskWith({ saved_blocked: 4n }), true), /saved_blocked set without its flag/);
  t.regex(restoreMessage(taskWith({ flags: 2 }), true), /unknown flags 0x2/);
  t.regex(restoreMessage(taskWith({ altstack_flags: 1 }), true), /altstack_flags 0x1 is not/);
  t.regex(restoreMessage(taskWith({ altstack_size: 4096 }), true), /disabled altstack with a base or size/);
});

test('pending sets Linux could not hold are refused', (t) => {
  const pend = (signal: bigint, ...signos: number[]): RecordValue<'sigpending'> => ({ nr_pending: signos.length, signal, siginfo: signos.map(si) });
  t.regex(restoreMessage(taskWith({}, pend(1n, 65)), true), /record 'sigpending'.*signo 65 out of range 1..64/);
  t.regex(restoreMessage(taskWith({}, pend(0n, 0)), true), /signo 0 out of range/);
  t.regex(restoreMessage(taskWith({}, pend(0n, SIGUSR1)), true), /signal 10 queued but not in the pending set/);
  t.regex(restoreMessage(taskWith({}, pend(sigBit(SIGINT), SIGINT, SIGINT)), true), /standard signal 2 queued twice/);
  t.is(restoreMessage(taskWith({}, pend(sigBit(SIGRTMIN), SIGRTMIN, SIGRTMIN)), true), '', 'RT signals queue');
  t.regex(restoreMessage(signalWith({}, pend(0n, SIGUSR1))), /record 'sigpending'.*not in the pending set/);
});

test('raw siginfo entries out of order or beyond the queue are refused', (t) => {
  const two: RecordValue<'sigpending'> = { nr_pending: 2, signal: sigBit(SIGRTMIN), siginfo: [si(SIGRTMIN), si(SIGRTMIN)] };
  t.is(restoreMessage(taskWith({ nr_raw_siginfo: 2 }, two, rawBuffer([0, 1])), true), '');
  t.regex(restoreMessage(taskWith({ nr_raw_siginfo: 2 }, two, rawBuffer([1, 0])), true), /record 'buffer'.*entry 1: index 0 out of order/);
  t.regex(restoreMessage(taskWith({ nr_raw_siginfo: 1 }, two, rawBuffer([2])), true), /record 'buffer'.*index 2 beyond nr_pending 2/);
  const dirty = rawBuffer([0]);
  dirty[4] = 1;
  t.regex(restoreMessage(signalWith({ nr_raw_siginfo: 1 }, two, dirty)), /reserved word not zero/);
});

test('a signal record with impossible limits or group state is refused', (t) => {
  const rl = rlimits();
  rl[7] = { rlim_cur: 2048n, rlim_max: 1024n };
  t.regex(restoreMessage(signalWith({ rlim: rl })), /record 'signal'.*rlimit 7: soft limit 2048 above hard limit 1024/);
  t.regex(restoreMessage(signalWith({ group_exit_signal: 65 })), /group_exit_signal 65 out of range/);
  t.regex(restoreMessage(signalWith({ flags: 2, stop_report: 0 })), /stop_report 0 out of range/);
  t.regex(restoreMessage(signalWith({ stop_report: 19 })), /stop_report 19 without its flag/);
  t.regex(restoreMessage(signalWith({ group_exit_code: 9 })), /group_exit_code 9 without its flag/);
  t.regex(restoreMessage(signalWith({ flags: 16 })), /unknown flags 0x10/);
});
