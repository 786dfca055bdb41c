#!/usr/bin/env bash
# Coverage-guided fuzzing of the pure pipeline (parse -> classify -> route -> thread keys ->
# clean body -> sanitise -> quote history) with AFL++ through cargo-afl, on the stable
# toolchain. See docs/SECURITY.md.
#
# Usage: scripts/fuzz.sh [SECONDS]    fuzz for SECONDS (default $OUTLOUD_FUZZ_SECONDS or 600)
#
# Installs cargo-afl from the Rust registry if missing and builds AFL++ with it (once), builds
# fuzz/ (the core, linked from src/), seeds from tests/fixtures (every .eml, and the body
# fixtures wrapped in a minimal header), then runs afl-fuzz for the time given. Every crash is
# copied to tests/fixtures/fuzz/crash-<sha256>.eml, where tests/fuzz_regressions.rs replays it
# (a finding stays a failing test until fixed); the script then exits 1. AFL's own output
# (queue, hangs) stays in $OUTLOUD_FUZZ_OUT (default var/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs="${1:-${OUTLOUD_FUZZ_SECONDS:-600}}"
out="${OUTLOUD_FUZZ_OUT:-$root/var/fuzz}"
# The fuzz build has its own flags; keep it apart from the main build's artifacts.
export CARGO_TARGET_DIR="${OUTLOUD_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
AFL_VERSION=0.18.2

say() { echo "fuzz: $*" >&2; }

if ! cargo afl --version 2>/dev/null | grep -q "$AFL_VERSION"; then
  say "installing cargo-afl $AFL_VERSION (Rust registry)"
  cargo install cargo-afl --locked --version "$AFL_VERSION" >&2
fi
# AFL++ (afl-fuzz and its runtime) is built from the source cargo-afl ships, once per version.
afl_help=$(cargo afl fuzz -h 2>&1 || true)
if [[ "$afl_help" != *"afl-fuzz ["* ]]; then
  say "building AFL++ (once)"
  cargo afl config --build --force >&2
fi

say "building the fuzz target"
(cd fuzz && cargo afl build --release --locked --bin pipeline >&2)
target="$CARGO_TARGET_DIR/release/pipeline"

seeds="$out/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
# Small seeds fuzz faster; the mail fixtures are all well under AFL's 1 MB input limit.
find tests/fixtures -name '*.eml' -size -64k -print0 | while IFS= read -r -d '' f; do
  cp "$f" "$seeds/$(sha256sum "$f" | cut -c1-16).eml"
done
n=0
for f in tests/fixtures/bodies/*/input.txt tests/fixtures/quotes/*/input.txt; do
  [ -f "$f" ] || continue
  [ "$n" -lt 200 ] || break
  { printf 'From: Ann <ann@corp.example>\r\nTo: eng@corp.example\r\nSubject: Re: seed\r\n\r\n'
    head -c 16384 "$f"; } > "$seeds/body-$n.eml"
  n=$((n + 1))
done
say "$(ls "$seeds" | wc -l) seeds; fuzzing for ${secs}s"

# No terminal UI, no CPU frequency or core-dump checks (shared machines, CI), no pinning to
# a core other engineers may be using.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_SKIP_CRASHES=1
rm -rf "$out/findings"
cargo afl fuzz -i "$seeds" -o "$out/findings" -V "$secs" -t 5000 -- "$target" >"$out/afl.log" 2>&1 ||
  { tail -30 "$out/afl.log" >&2; say "afl-fuzz failed (log: $out/afl.log)"; exit 2; }

stats="$out/findings/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats" |
    sed 's/^/fuzz:   /' >&2
fi
crashes=0
for f in "$out"/findings/default/crashes/id:*; do
  [ -f "$f" ] || continue
  dest="tests/fixtures/fuzz/crash-$(sha256sum "$f" | cut -c1-16).eml"
  cp "$f" "$dest"
  say "crash saved as $dest (replayed by tests/fuzz_regressions.rs)"
  crashes=$((crashes + 1))
done
hangs=$(find "$out/findings/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
[ "$hangs" -eq 0 ] || say "$hangs slow inputs in $out/findings/default/hangs (timeouts on a loaded machine, or real): check them"
if [ "$crashes" -gt 0 ]; then
  say "$crashes crash(es): fix them; the regression test fails until then"
  exit 1
fi
say "no crash in ${secs}s"
