#!/usr/bin/env bash
# Builds lam-translate with profile-guided optimisation (PGO): an
# instrumented build runs the project's own benchmark programs
# (benches/programs/, timed by erl/bench_tc.erl as `cargo bench --bench vm`
# times them), then the release build is made again with the profile.
# The interpreter's run loop is one large function whose layout and
# register allocation LLVM otherwise decides without knowing which arms
# are hot; the public corpus (../shared/corpus), never used for training,
# is what the result is measured on (docs/corpus-speed.md, "PGO").
#
# usage: scripts/pgo-build.sh        prints the path of the binary built
# env:   PGO_DIR  where the builds, the raw profiles and the merged one go
#                 (default target/pgo; the binary is PGO_DIR/use/release/lam-translate)
# needs: erlc (and elixirc for the .ex programs, skipped without it), and
#        rustup's llvm-tools component, added when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${PGO_DIR:-$ROOT/target/pgo}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata
if [ ! -x "$profdata" ]; then
  # The profile format is LLVM's own: the llvm-profdata of rustc's LLVM
  # reads it, a system one of another version may not.
  rustup component add llvm-tools
fi

rm -rf "$DIR/raw" "$DIR/train"
mkdir -p "$DIR/raw" "$DIR/train"
RUSTFLAGS="-Cprofile-generate=$DIR/raw" cargo build --release --target-dir "$DIR/gen" >&2

erlc -o "$DIR/train" erl/bench_tc.erl
for f in benches/programs/*.erl; do erlc -o "$DIR/train" "$f"; done
if command -v elixirc >/dev/null; then
  for f in benches/programs/*.ex; do elixirc -o "$DIR/train" "$f" >/dev/null; done
fi
for beam in "$DIR"/train/bench_*.beam; do
  m=$(basename "$beam" .beam)
  [ "$m" = bench_tc ] && continue
  echo "training: $m" >&2
  LLVM_PROFILE_FILE="$DIR/raw/%m-%p.profraw" "$DIR/gen/release/lam-translate" run \
    "$DIR/train/bench_tc.beam" -pa "$DIR/train" --entry bench_tc:main -- "$m" >&2
done

"$profdata" merge -o "$DIR/merged.profdata" "$DIR"/raw/*.profraw
RUSTFLAGS="-Cprofile-use=$DIR/merged.profdata" cargo build --release --target-dir "$DIR/use" >&2
echo "$DIR/use/release/lam-translate"
