#!/usr/bin/env bash
# Build the managed-crypto program for nanoFramework 1.x and run it on the real interpreter.
#   firmware/PeerGate.Interpreter/run.sh [--bench] [--out DIR]
# The toolchain is $PEERGATE_NANOFRAMEWORK, else shared/nanoframework beside the repository (the rule of
# tools/PeerGate.NanoGuard). Without --bench: the vectors and a few timings (what the test runs); with it, the
# measurement of docs/security.md. The interpreter's exit code means nothing: the program's last line,
# "crypto: N passed, M failed", is the result, and this script exits 1 unless it says 0 failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
nf=${PEERGATE_NANOFRAMEWORK:-$repo/../shared/nanoframework}
mode=RunMode.cs; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) mode=Bench/RunMode.cs; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--bench] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -x "$nf/bin/nf-compile" ] || { echo "no nanoFramework toolchain at $nf (set PEERGATE_NANOFRAMEWORK)" >&2; exit 3; }
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
mapfile -t sources < <(cd "$here" && find Crypto Handshake Vectors -name '*.cs' | sort)
(cd "$here" && "$nf/bin/nf-compile" "$out/PeerGate.Interpreter.exe" --ref nanoFramework.Runtime.Native \
  Program.cs "$mode" "${sources[@]}")
"$nf/bin/nf-pe" "$out/PeerGate.Interpreter.exe" "$out/PeerGate.Interpreter.pe" > "$out/nf-pe.log"
timeout_s=60; [ "$mode" = RunMode.cs ] || timeout_s=1800
"$nf/bin/nf-run" --timeout "$timeout_s" --lib nanoFramework.Runtime.Native "$out/PeerGate.Interpreter.pe" > "$out/run.log" 2>&1 || true
# The interpreter's own banner (assembly tables) stays in run.log; print from the program's first line on.
sed -n '/^Ready\.$/,$p' "$out/run.log" | sed '1d;/^Done\.$/d;/^Exiting\.$/d'
tail -n 5 "$out/run.log" | grep -q '^crypto: [0-9]* passed, 0 failed$'
