#!/usr/bin/env bash
# PeerGate maker tool (Linux/macOS): runs peergate-flash (tools/PeerGate.Flash) with the same arguments
# and exit code. ./flash.sh help lists the commands; see docs/flashing.md. flash.cmd is the Windows twin.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for built in Release Debug; do
    tool="${here}/tools/PeerGate.Flash/bin/${built}/net10.0/peergate-flash.dll"
    [[ -f "${tool}" ]] && exec dotnet "${tool}" "$@"
done
exec dotnet run --project "${here}/tools/PeerGate.Flash" -c Release -v quiet -- "$@"
