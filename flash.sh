#!/usr/bin/env bash
# PeerGate maker tool (Linux/macOS): runs peergate-flash (tools/PeerGate.Flash) with the same arguments
# and exit code. ./flash.sh help lists the commands; see docs/flashing.md. flash.cmd is the Windows twin.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tool="${here}/tools/PeerGate.Flash/bin/Release/net10.0/peergate-flash.dll"
if [[ -f "${tool}" ]]; then
    exec dotnet "${tool}" "$@"
fi
exec dotnet run --project "${here}/tools/PeerGate.Flash" -c Release -v quiet -- "$@"
