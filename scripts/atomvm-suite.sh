#!/usr/bin/env bash
# Run AtomVM's Erlang test suite (tests/erlang_tests, expectations in
# tests/test.c) on erl and on LAM, and print the tests where they differ.
#
#   scripts/atomvm-suite.sh SRC LAM [-j JOBS] [-t SECONDS] [-k DIR] [-v]
#
# SRC is a bare git copy of github:atomvm/AtomVM (read at HEAD) or a checkout
# of it; LAM is the lam-translate binary. Every test module is compiled with
# `erlc -DAVM_DISABLE_JIT` and each `start/0` runs in a VM process of its
# own, on erl and on LAM, through a small driver that prints `~w` of
# `catch M:start()`, so a hang or an abort costs only that test. Tests marked
# TEST_CASE_ATOMVM_ONLY are left out, and so are those whose erl result is
# not the value test.c expects (they need a newer OTP, or are not
# deterministic on erl): on the rest erl's result is the truth. Prints one
# line per test where LAM differs, then `N of M same`. A test that misses is
# run up to twice more, alone. -j runs JOBS tests at a time (default 2), -t
# limits each VM run (default 30 s), -k keeps the work directory in DIR
# (compiled tests, results per test), -v also lists the tests left out.
#
# AtomVM's files are read from SRC into a temporary directory only: they are
# not part of this project.
set -euo pipefail

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; exit 2; }
[ $# -ge 2 ] || usage
src=$1 lam=$2
shift 2
jobs=2 limit=30 keep= verbose=
while [ $# -gt 0 ]; do
    case $1 in
    -j) jobs=$2; shift 2 ;;
    -t) limit=$2; shift 2 ;;
    -k) keep=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    *) usage ;;
    esac
done
lam=$(realpath "$lam")
[ -x "$lam" ] || { echo "not an executable: $lam" >&2; exit 2; }
command -v erlc >/dev/null || { echo "erlc not found" >&2; exit 2; }

if [ -n "$keep" ]; then
    work=$(realpath -m "$keep")
    rm -rf "$work" && mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# The sources: tests/erlang_tests and tests/test.c, from a bare repository
# or a checkout.
if [ -d "$src/tests/erlang_tests" ] && [ -f "$src/tests/test.c" ]; then
    mkdir -p "$work/tests"
    cp -r "$src/tests/erlang_tests" "$src/tests/test.c" "$work/tests/"
elif git --git-dir="$src" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    git --git-dir="$src" archive HEAD tests/erlang_tests tests/test.c | tar -x -C "$work"
else
    echo "$src: neither a bare AtomVM repository nor a checkout with tests/erlang_tests" >&2
    exit 2
fi
tests=$work/tests/erlang_tests
ebin=$work/ebin
out=$work/results
mkdir -p "$ebin" "$out"

# code_load/: a module that tests load by path (relative to the directory
# they run in) or from a binary in a header, which the suite's own tool
# (to_hrl.erl) writes.
mkdir -p "$ebin/code_load"
erlc -o "$ebin/code_load" "$tests/code_load/export_test_module.erl" >/dev/null 2>&1 &&
    escript "$tests/to_hrl.erl" "$ebin/code_load/export_test_module.beam" \
        EXPORT_TEST_MODULE_DATA "$tests/code_load/export_test_module_data.hrl" >/dev/null 2>&1 || true

# Compile: test modules and the helper modules some of them call (.S files
# are BEAM assembly). A module that does not compile on this OTP is simply
# absent, and its test counts as left out.
(cd "$tests" && ls -- *.erl *.S 2>/dev/null) |
    xargs -P "$jobs" -I{} sh -c 'cd "$1" && erlc -DAVM_DISABLE_JIT -I . -o "$2" "$3" >/dev/null 2>&1 || true' _ "$tests" "$ebin" {}

# The driver: the same module runs each test on both VMs.
cat >"$work/avm_suite_driver.erl" <<'EOF'
-module(avm_suite_driver).
-export([main/1]).
%% As AtomVM's test.c does in BEAM mode: the test runs in a process that does
%% not trap exits, and its result is what start/0 returns or raises.
main([M]) ->
    process_flag(trap_exit, false),
    R = (catch (list_to_atom(M)):start()),
    io:format("~nAVM-SUITE-RESULT ~w~n", [R]),
    erlang:halt(0).
EOF
erlc -o "$ebin" "$work/avm_suite_driver.erl"

# The list of tests: module, expected value, whether BEAM runs it.
sed -nE 's/^\s*TEST_CASE(_EXPECTED|_ATOMVM_ONLY|_COND)?\(([a-z0-9_]+)(, *(-?[0-9]+))?.*/\2 \4 \1/p' \
    "$work/tests/test.c" |
    awk '{ print $1, ($2 ~ /^-?[0-9]+$/) ? $2 : 0, ($0 ~ /_ATOMVM_ONLY/) ? 1 : 0 }' >"$work/list"

# One test on one VM (erl or lam): the driver's result line, or what
# happened instead, in results/M.VM.
run_on() {
    local vm=$1 m=$2 work=$3 lam=$4 limit=$5 ebin=$3/ebin out=$3/results s=0 line
    local cmd=(erl -noshell -pa "$ebin" -run avm_suite_driver main "$m")
    [ "$vm" = lam ] && cmd=("$lam" run "$ebin/avm_suite_driver.beam" -pa "$ebin" -- "$m")
    (cd "$ebin" && timeout -k 5 "$limit" "${cmd[@]}" </dev/null \
        >"$out/$m.$vm.out" 2>"$out/$m.$vm.err") || s=$?
    line=$(grep -a '^AVM-SUITE-RESULT ' "$out/$m.$vm.out" | tail -n 1 || true)
    if [ -n "$line" ]; then
        echo "${line#AVM-SUITE-RESULT }"
    elif [ "$s" = 124 ] || [ "$s" = 137 ]; then
        echo "<timeout after ${limit}s>"
    else
        echo "<no result, exit $s: $(tail -c 300 "$out/$m.$vm.err" | tr '\n' ' ' | cut -c1-200)>"
    fi >"$out/$m.$vm"
}
export -f run_on

runnable() {
    awk '$3 == 0 { print $1, $2 }' "$work/list" | while read -r m expected; do
        [ -f "$ebin/$m.beam" ] && echo "$m $expected"
    done
}
# Every test on both VMs; then, up to twice more and one at a time, those
# where erl missed test.c's value or LAM missed erl's: a few tests time
# themselves (prime_smp wants a speed-up from a second scheduler), which a
# shared machine can spoil.
runnable | awk '{ print "erl", $1; print "lam", $1 }' |
    xargs -P "$jobs" -L 1 bash -c 'run_on "$3" "$4" "$0" "$1" "$2"' "$work" "$lam" "$limit" 2>/dev/null ||
    true
for _ in 1 2; do
    runnable | while read -r m expected; do
        if [ "$(cat "$out/$m.erl")" != "$expected" ]; then
            echo "erl $m"
        elif [ "$(cat "$out/$m.lam")" != "$(cat "$out/$m.erl")" ]; then
            echo "lam $m"
        fi
    done | xargs -P 1 -L 1 bash -c 'run_on "$3" "$4" "$0" "$1" "$2"' "$work" "$lam" "$limit" 2>/dev/null ||
        true
done

# Compare: on tests where erl gives test.c's value, LAM must give erl's result.
same=0 total=0 left=()
while read -r m expected only; do
    if [ "$only" = 1 ]; then
        left+=("$m: AtomVM only")
        continue
    fi
    if [ ! -f "$ebin/$m.beam" ]; then
        left+=("$m: does not compile on this OTP")
        continue
    fi
    erl_r=$(cat "$out/$m.erl") lam_r=$(cat "$out/$m.lam")
    if [ "$erl_r" != "$expected" ]; then
        left+=("$m: erl gives $erl_r, test.c expects $expected")
        continue
    fi
    total=$((total + 1))
    if [ "$erl_r" = "$lam_r" ]; then
        same=$((same + 1))
    else
        echo "$m: erl $erl_r lam $lam_r"
    fi
done <"$work/list"
if [ -n "$verbose" ]; then
    echo "left out (${#left[@]}):"
    printf '  %s\n' "${left[@]}"
fi
echo "$same of $total same"
