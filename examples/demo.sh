#!/usr/bin/env bash
# The walk-through (`make demo`): first every example on emukernel (`crfs run`) next to qemu-riscv64, one
# line each (stdout, stderr and exit status must agree); then journey 1 of PRODUCT.md: a pipeline is
# checkpointed while it runs, its mount is inspected with ls, archived with tar, released with `done`,
# and restarted from the tar, and the output before the cut plus the restarted output must equal the
# uninterrupted run. Exits 1 if anything disagrees. Needs no input; temporary files and mounts are
# removed on exit, also on failure.
set -uo pipefail
cd "$(dirname "$0")/.."

CRFS=(node dist/lib/crfs/cli/main.js)
work=$(mktemp -d "${TMPDIR:-/tmp}/crfs-demo.XXXXXX")
DEMO_ROOT=/tmp/crfs-demo
MNT=$DEMO_ROOT/checkpoint-1
bg_pid=
cleanup() {
  if [ -n "$bg_pid" ]; then kill "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; fi
  if grep -q " $MNT fuse" /proc/mounts 2>/dev/null; then fusermount -uz "$MNT" 2>/dev/null; fi
  rm -rf "$work"
  rmdir "$MNT" "$DEMO_ROOT" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export CRFS_LOG=${CRFS_LOG:-error}

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'; else B='' G='' R='' D='' N=''; fi

heading() { printf '\n%s== %s ==%s\n' "$B" "$1" "$N"; }
# Shows a command, then runs it with its output indented.
show() { printf '%s$ %s%s\n' "$D" "$*" "$N"; "$@" 2>&1 | sed 's/^/    /'; }

# run_one OUTDIR CMD... : runs CMD with stdin /dev/null, leaves stdout, stderr and status in OUTDIR.
# The subshell absorbs bash's "Segmentation fault" notice so it does not clutter the demo.
run_one() {
  local out=$1
  shift
  mkdir -p "$out"
  ( ulimit -c 0; "$@" <"/dev/null" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/status" ) 2>/dev/null
}

for f in "${CRFS[1]}" build/examples/hello build/examples/pipeline; do
  if [ ! -e "$f" ]; then echo "demo: $f is missing; run 'make build' first" >&2; exit 2; fi
done

heading "every example on emukernel next to qemu-riscv64"
echo "emukernel: ${CRFS[*]} run PROGRAM ARGS...    reference: qemu-riscv64 PROGRAM ARGS..."

pass=0 fail=0 skip=0
while IFS=$'\t' read -r name prog args; do
  case "$name" in ''|'#'*) continue ;; esac
  program=build/examples/$prog
  tmp="$work/tmp-$name"
  mkdir -p "$tmp"
  read -r -a argv <<<"${args//\{tmp\}/$tmp}"
  if [ "$name" = exec ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ]; then
    printf '  skip   %-16s (qemu needs binfmt_misc to execve a riscv64 program)\n' "$name"
    skip=$((skip + 1)); continue
  fi
  run_one "$work/$name.emu" "${CRFS[@]}" run "$program" "${argv[@]}"
  run_one "$work/$name.qemu" qemu-riscv64 "$program" "${argv[@]}"
  differs=()
  for part in status stdout stderr; do
    cmp -s "$work/$name.emu/$part" "$work/$name.qemu/$part" || differs+=("$part")
  done
  lines=$(wc -l <"$work/$name.emu/stdout")
  if [ ${#differs[@]} -eq 0 ]; then
    printf '  %sok%s     %-16s exit %s, %s stdout lines, identical to qemu\n' "$G" "$N" "$name" "$(cat "$work/$name.emu/status")" "$lines"
    pass=$((pass + 1))
  else
    printf '  %sFAIL%s   %-16s %s differ from qemu\n' "$R" "$N" "$name" "${differs[*]}"
    fail=$((fail + 1))
  fi
done <examples/cases.tsv
printf '  %d agree, %d disagree, %d skipped\n' "$pass" "$fail" "$skip"

heading "journey 1: checkpoint a running pipeline as a filesystem, archive it, restart it"
out=$work/journey
mkdir -p "$out" "$DEMO_ROOT"
CUT=3000000
echo "The pipeline (producer | filter | consumer writing a file) runs in the background; at $CUT instructions"
echo "crfs freezes it and mounts the checkpoint at $MNT (lazy mode: the tasks stay frozen until done is"
echo "written, and each file is generated from them when it is read; --mode copy would let them run on)."
printf '%s$ %s run --checkpoint-at %s --mount %s build/examples/pipeline 2000 %s &%s\n' "$D" "${CRFS[*]}" "$CUT" "$MNT" "$out/pipeline.out" "$N"
"${CRFS[@]}" run --checkpoint-at "$CUT" --mount "$MNT" build/examples/pipeline 2000 "$out/pipeline.out" \
  </dev/null >"$out/original.stdout" 2>"$out/original.stderr" &
bg_pid=$!
for _ in $(seq 600); do
  grep -qx "$MNT" "$out/original.stderr" 2>/dev/null && grep -q " $MNT fuse" /proc/mounts && break
  if ! kill -0 "$bg_pid" 2>/dev/null; then echo "demo: the checkpoint did not mount:" >&2; cat "$out/original.stderr" >&2; exit 1; fi
  sleep 0.1
done
grep -q " $MNT fuse" /proc/mounts || { echo "demo: no mount at $MNT after 60 s" >&2; exit 1; }
# Frozen: what the pipeline printed so far is the output before the cut.
cp "$out/original.stdout" "$out/before.stdout"
echo "mounted; the pipeline has printed $(wc -l <"$out/before.stdout") lines so far."
show ls "$MNT"
(cd "$MNT" && show ls -l task-*/fds)
shared=
for f in "$MNT"/task-1/files/*/f_pos; do
  if [ "$(stat -c %h "$f")" -gt 1 ]; then shared=${f#"$MNT"/task-1/}; break; fi
done
if [ -n "$shared" ]; then
  echo "A file the tasks share (inherited across fork) is one inode, hard-linked from each task:"
  (cd "$MNT" && show ls -li task-*/"$shared")
fi
show tar cf "$out/checkpoint-1.tar" -C "$MNT" .
echo "archived: $(stat -c %s "$out/checkpoint-1.tar") bytes"
printf '%s$ echo 1 > %s/done%s\n' "$D" "$MNT" "$N"
echo 1 >"$MNT/done"
wait "$bg_pid"; status=$?; bg_pid=
echo "the original thawed and ran to its end (exit $status, $(wc -l <"$out/original.stdout") lines): that is the reference."
printf '%s$ %s restart %s%s\n' "$D" "${CRFS[*]}" "checkpoint-1.tar" "$N"
"${CRFS[@]}" restart "$out/checkpoint-1.tar" </dev/null >"$out/restarted.stdout" 2>"$out/restarted.stderr"
rstatus=$?
cat "$out/before.stdout" "$out/restarted.stdout" >"$out/combined.stdout"
echo "restarted from the tar: exit $rstatus, $(wc -l <"$out/restarted.stdout") more lines; the last ones:"
tail -n 3 "$out/restarted.stdout" | sed 's/^/    /'
journey_ok=1
if [ "$rstatus" -ne "$status" ] || ! diff -u --label original --label 'before cut + restarted' "$out/original.stdout" "$out/combined.stdout" >"$out/diff"; then
  journey_ok=0
  printf '  %sthe restarted run differs from the original%s (exit %s vs %s):\n' "$R" "$N" "$rstatus" "$status"
  head -n 40 "$out/diff" | sed 's/^/    /'
  sed 's/^/    /' "$out/restarted.stderr"
else
  printf '  %sagree: output before the cut + restarted output = the uninterrupted run, byte for byte%s\n' "$G" "$N"
fi

heading "summary"
printf '  examples: %d agree with qemu, %d disagree, %d skipped\n' "$pass" "$fail" "$skip"
printf '  journey 1 (mount, tar, done, restart from the tar): %s\n' "$([ "$journey_ok" = 1 ] && echo ok || echo FAIL)"
[ "$fail" -eq 0 ] && [ "$journey_ok" = 1 ]
