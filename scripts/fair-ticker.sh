#!/usr/bin/env bash
# How late a 100 ms ticker wakes while another process loops on one long
# native, on one scheduler: LAM (--schedulers 1) next to `erl +S 1`.
#
#   scripts/fair-ticker.sh [LAM] [HOG:SIZE ...]
#
# LAM is the lam-translate binary (default target/release/lam-translate).
# Each HOG:SIZE names a hog of fixtures/fair_natives.erl (reverse, length,
# member, keyfind, term_to_binary, binary_to_term, phash2, binary_copy,
# list_to_binary, iolist_to_binary, iolist_size, binary_to_list, append,
# subtract, characters_to_binary, characters_to_list,
# binary_to_term_compressed) and its list length;
# the default is the two of issue 16 (reverse:200000 and
# term_to_binary:5000000) and the other natives that yield mid-call, on
# lists of millions. For each it prints the worst lateness over
# FAIR_TICKS ticks (default 20) on both VMs. These are wall-clock figures:
# on a loaded machine both sides are late by the load too.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lam=${1:-$root/target/release/lam-translate}
[ $# -gt 0 ] && shift
hogs=("$@")
[ ${#hogs[@]} -gt 0 ] || hogs=(reverse:200000 term_to_binary:5000000
    binary_to_term:2000000 phash2:5000000 list_to_binary:5000000
    iolist_to_binary:5000000 iolist_size:5000000 binary_to_list:5000000
    binary_copy:5000000 append:5000000 subtract:5000000
    characters_to_binary:2000000 characters_to_list:2000000
    binary_to_term_compressed:2000000)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
erlc -o "$work" "$root/fixtures/fair_natives.erl"

for h in "${hogs[@]}"; do
    export FAIR_HOG=${h%%:*} FAIR_SIZE=${h##*:}
    printf 'erl +S 1: '
    erl +S 1 -noshell -pa "$work" -eval 'fair_natives:measure(), halt().'
    printf 'LAM -S 1: '
    (ulimit -v 8000000; "$lam" run --schedulers 1 "$work/fair_natives.beam" \
        --entry fair_natives:measure)
done
