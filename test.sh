#!/usr/bin/env bash
# The test command: installs what the tests need beyond the .NET SDK, then runs every test that
# runs without a board (hardware tests report "skipped: no board") and a seconds-long benchmark smoke.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (https://dot.net)" >&2
  exit 1
fi

# Debian packages some tests use; installed only when missing and when we may.
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# The NAT lab (server/PeerGate.NatLab) builds its routers with nftables; sbin may be off PATH.
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
# The NAT lab's relay test captures the relay's traffic in the server's namespace.
command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || [ -x /usr/bin/tcpdump ] || need+=(tcpdump)
# The dashboard's browser tests (server/PeerGate.Dashboard.Tests) drive Debian's chromium through Playwright.
[ -x /usr/bin/chromium ] || need+=(chromium)
# The multi-instance deployment tests start a PostgreSQL cluster of their own and HAProxy in front of the instances.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]}; tests that need them will report skipped" >&2
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build PeerGate.slnx -c Release -nologo -v quiet -clp:ErrorsOnly

log=$(mktemp)
results=$(mktemp -d)
trap 'rm -rf "$log" "$results"' EXIT
status=0
dotnet test PeerGate.slnx -c Release --no-build -nologo -v quiet --logger "console;verbosity=minimal" \
  --logger "trx;LogFilePrefix=peergate" --results-directory "$results" 2>&1 | tee "$log" || status=$?

# The server tests a second time on PostgreSQL (docs/storage.md): one cluster of their own for the run,
# a database per test server. Without PostgreSQL they report skipped, with the reason.
PEERGATE_TEST_STORAGE=postgres dotnet test server/PeerGate.Server.Tests -c Release --no-build -nologo -v quiet \
  --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=peergate-postgres" --results-directory "$results" \
  2>&1 | tee -a "$log" || status=$?

# The console logger names a skipped test but not why; every skip's reason (Assert.Inconclusive's
# message: no board, not root, no toolchain...) is in the trx files, one line per test here.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk 'BEGIN { RS = "<UnitTestResult " }
    /outcome="NotExecuted"/ {
      name = ""; why = "(no reason given)"
      if (match($0, /testName="[^"]*"/)) name = substr($0, RSTART + 10, RLENGTH - 11)
      if (match($0, /<Message>[^<]*/)) why = substr($0, RSTART + 9, RLENGTH - 9)
      sub(/^Assert\.Inconclusive\. /, "", why)
      print "  Skipped " name ": " why
    }' "$trx"
done

# Every benchmark at toy size, the UDP rendezvous beside Mosquitto and coturn included; those two
# run only where they are installed (nothing here installs them) and are reported skipped otherwise.
bench=0
if [ -f benchmarks/PeerGate.Benchmarks/bin/Release/net10.0/peergate-bench.dll ]; then
  dotnet benchmarks/PeerGate.Benchmarks/bin/Release/net10.0/peergate-bench.dll --smoke || bench=$?
fi

# One closing line for all test projects, last: "N passed, N failed, N skipped".
awk '
  /Passed!|Failed!/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) }
      if ($i == "Passed:")  { p += $(i+1) }
      if ($i == "Skipped:") { s += $(i+1) }
    }
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' FS='[ ,]+' "$log"

[ "$status" -eq 0 ] || exit "$status"
exit "$bench"
