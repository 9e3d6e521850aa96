#!/bin/sh
# The experiment of docs/system-plan.md: boots OTP's own kernel and stdlib
# applications on LAM (LAM_OTP_SYSTEM=1), with a stand-in init and
# erl_prim_loader in the probe; OTP's user and standard_error use LAM's fd
# ports.
# Usage: scripts/system/run.sh [boot_probe|real_init_probe]  (from the repository root)
set -e
probe=${1:-boot_probe}
out=$(mktemp -d)
erl -noshell -eval '
  {ok, [K]} = file:consult(code:lib_dir(kernel) ++ "/ebin/kernel.app"),
  {ok, [S]} = file:consult(code:lib_dir(stdlib) ++ "/ebin/stdlib.app"),
  ok = file:write_file("'"$out"'/apps.hrl",
         io_lib:format("-define(KERNEL, ~p).~n-define(STDLIB, ~p).~n", [K, S])),
  halt().'
cp scripts/system/*.erl "$out"
(cd "$out" && erlc *.erl)
BINDIR=$(dirname "$(erl -noshell -eval 'io:format("~s", [code:priv_dir(erts)]), halt().')")/bin
export BINDIR
echo "input line" | LAM_OTP_SYSTEM=1 target/release/lam-translate run --schedulers 1 --pa "$out" "$out/$probe.beam"
