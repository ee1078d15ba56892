#!/usr/bin/env bash
# The walk-through (`make demo`): runs every example on emukernel (`crfs run`) and under qemu-riscv64,
# shows what each printed and whether stdout, stderr and exit status agree. Exits 1 if any run disagrees.
# Needs no input; the example list is examples/cases.tsv; temporary files are removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

CRFS=(node dist/lib/crfs/cli/main.js)
SHOW_LINES=${DEMO_SHOW_LINES:-12}
work=$(mktemp -d "${TMPDIR:-/tmp}/crfs-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CRFS_LOG=${CRFS_LOG:-error}

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'; else B='' G='' R='' D='' N=''; fi

heading() { printf '\n%s== %s ==%s\n' "$B" "$1" "$N"; }

# Prints at most SHOW_LINES lines of a file, indented, and says how many were left out.
show_head() {
  local file=$1 label=$2 total
  total=$(wc -l <"$file")
  [ -s "$file" ] || return 0
  printf '  %s%s:%s\n' "$D" "$label" "$N"
  head -n "$SHOW_LINES" "$file" | sed 's/^/    /'
  if [ "$total" -gt "$SHOW_LINES" ]; then printf '    %s... %d more lines%s\n' "$D" $((total - SHOW_LINES)) "$N"; fi
}

# run_one OUTDIR CMD... : runs CMD with stdin /dev/null, leaves stdout, stderr and status in OUTDIR.
# The subshell absorbs bash's "Segmentation fault" notice so it does not clutter the demo.
run_one() {
  local out=$1
  shift
  mkdir -p "$out"
  ( ulimit -c 0; "$@" <"/dev/null" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/status" ) 2>/dev/null
}

for f in "${CRFS[1]}" build/examples/hello; do
  if [ ! -e "$f" ]; then echo "demo: $f is missing; run 'make build' first" >&2; exit 2; fi
done

heading "crfs demo: every example on emukernel next to qemu-riscv64"
echo "emukernel: ${CRFS[*]} run PROGRAM ARGS...    reference: qemu-riscv64 PROGRAM ARGS..."
echo "Both start in $(pwd) with the same environment and stdin from /dev/null."

pass=0 fail=0 skip=0
summary=()
while IFS=$'\t' read -r name prog args; do
  case "$name" in ''|'#'*) continue ;; esac
  program=build/examples/$prog
  tmp="$work/tmp-$name"
  mkdir -p "$tmp"
  read -r -a argv <<<"${args//\{tmp\}/$tmp}"
  heading "$name: $program ${args//\{tmp\}/\$TMP}"
  if [ "$name" = exec ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ]; then
    echo "  skipped: qemu needs binfmt_misc to execve a riscv64 program (see scripts/setup.sh)"
    skip=$((skip + 1)); summary+=("skip  $name"); continue
  fi
  run_one "$work/$name.emu" "${CRFS[@]}" run "$program" "${argv[@]}"
  run_one "$work/$name.qemu" qemu-riscv64 "$program" "${argv[@]}"
  show_head "$work/$name.emu/stdout" "stdout (emukernel)"
  show_head "$work/$name.emu/stderr" "stderr (emukernel)"
  printf '  exit status: emukernel %s, qemu-riscv64 %s\n' "$(cat "$work/$name.emu/status")" "$(cat "$work/$name.qemu/status")"
  same=1
  if ! cmp -s "$work/$name.emu/status" "$work/$name.qemu/status"; then
    same=0
    printf '  %sexit status differs%s\n' "$R" "$N"
  fi
  for part in stdout stderr; do
    if ! cmp -s "$work/$name.emu/$part" "$work/$name.qemu/$part"; then
      same=0
      printf '  %s%s differs%s (--- qemu-riscv64, +++ emukernel):\n' "$R" "$part" "$N"
      diff -u --label qemu-riscv64 --label emukernel "$work/$name.qemu/$part" "$work/$name.emu/$part" | head -n 40 | sed 's/^/    /'
    fi
  done
  if [ "$same" = 1 ]; then
    printf '  %sagree: stdout, stderr and exit status are byte-identical%s\n' "$G" "$N"
    pass=$((pass + 1)); summary+=("ok    $name")
  else
    fail=$((fail + 1)); summary+=("FAIL  $name")
  fi
done <examples/cases.tsv

heading "summary"
printf '  %s\n' "${summary[@]}"
printf '  %d agree, %d disagree, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ]
