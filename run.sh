#!/usr/bin/env bash
# The run command. Builds PeerGate and starts the server on http://127.0.0.1:5080 with its SQLite
# database in ./data. With --demo it also provisions and starts three virtual devices that walk a
# two-level allocation chain, authenticate and register, each printing what it does; then one
# device sets its permit table, a stranger is refused and a permitted device connects to it.
#
#   ./run.sh [--demo] [--port N] [--data DIR] [--device-port-base N] [--no-build]
#
# --no-build skips the build and uses the Release binaries already built (it fails if one is
# missing). The devices of --demo listen on the three ports after --device-port-base (7400).
# INT, TERM, EXIT or any failure stops every process the script started (devices, their log
# filters, the server): TERM first, KILL after 10 s.
set -euo pipefail
cd "$(dirname "$0")"

port=5080
data=./data
demo=0
build=1
device_port_base=7400
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1 ;;
    --port) port=$2; shift ;;
    --data) data=$2; shift ;;
    --device-port-base) device_port_base=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

command -v dotnet >/dev/null 2>&1 || { echo "run.sh: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for value in "$port" "$device_port_base"; do
  [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 65532 ] || { echo "run.sh: a port is a number from 1 to 65532 (got $value)" >&2; exit 2; }
done

out=bin/Release/net10.0
server_dll=server/PeerGate.Server/$out/peergate-server.dll
op_dll=server/PeerGate.Operator/$out/peergate-op.dll
device_dll=firmware/PeerGate.VirtualDevice/$out/virtual-device.dll
url=http://127.0.0.1:$port

# Something already accepting on 127.0.0.1:PORT (bash's /dev/tcp, so the script needs no curl).
listening() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1; exec 3<&-; }

# GET /health on our port.
healthy() {
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status
  read -r -t 5 status <&3 || true
  exec 3<&-
  [[ "$status" == *" 200"* ]]
}

port_taken() {
  local what="something else listens there"
  healthy && what="another PeerGate server answers there"
  echo "run.sh: port $1 is in use ($what); pick another with $2" >&2
  exit 1
}

# Before anything is started: the ports must be free, or the health check would find the other server.
listening "$port" && port_taken "$port" --port
if [ "$demo" -eq 1 ]; then
  for n in 1 2 3; do
    listening $((device_port_base + n)) && port_taken $((device_port_base + n)) --device-port-base
  done
fi

if [ "$build" -eq 1 ]; then
  echo "Building..."
  # No build servers stay behind once the build is done.
  dotnet build PeerGate.slnx -c Release -nologo -v quiet -clp:ErrorsOnly -nodeReuse:false -p:UseSharedCompilation=false
fi
for dll in "$server_dll" "$op_dll" "$device_dll"; do
  [ -f "$dll" ] || { echo "run.sh: $dll is missing; build first (drop --no-build)" >&2; exit 1; }
done

# Owner-only from the start: the database holds device and group keys.
(umask 077; mkdir -p "$data")
work=$(mktemp -d "${TMPDIR:-/tmp}/peergate-run.XXXXXX")

# Every process started in the background, by pid: the server, each device and its log filter.
pids=()
stopping=0
cleanup() {
  [ "$stopping" -eq 1 ] && return
  stopping=1
  local pid alive
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Bounded: 10 s for all of them to go, then KILL for whatever is left.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

# Errors (an unhandled exception's stack trace) go to a file; the script says what went wrong.
dotnet "$server_dll" --urls "$url" --PeerGate:DataDirectory="$data" 2>"$work/server.err" &
pids+=($!)
server=${pids[0]}

server_failed() {
  if grep -qi "address already in use" "$work/server.err" 2>/dev/null; then
    echo "run.sh: port $port is in use (taken while the server started); pick another with --port" >&2
  else
    echo "run.sh: the server did not start: $(head -n 1 "$work/server.err" 2>/dev/null)" >&2
  fi
  exit 1
}

# Bounded wait for our server to answer: a health answer only counts while our process lives.
for _ in $(seq 1 60); do
  kill -0 "$server" 2>/dev/null || server_failed
  if healthy; then break; fi
  sleep 0.5
done
kill -0 "$server" 2>/dev/null || server_failed
healthy || { echo "run.sh: the server did not answer on $url within 30 s" >&2; exit 1; }
echo "PeerGate server on $url (data in $data; admin token in $data/admin-token)"

# Interruptible waits: a trap runs at once in `wait`, only after a foreground command ends.
pause() { sleep "$1" & local p=$!; pids+=($p); wait "$p" || true; }

# The server ended by itself: say why, without its stack trace.
server_ended() {
  local status=0
  wait "$server" || status=$?
  [ "$status" -eq 0 ] && exit 0
  echo "run.sh: the server stopped (exit $status): $(head -n 1 "$work/server.err" 2>/dev/null)" >&2
  exit 1
}

if [ "$demo" -eq 0 ]; then
  server_ended
fi

op() { dotnet "$op_dll" --server "$url" --token-file "$data/admin-token" "$@"; }
device() { dotnet "$device_dll" "$@"; }
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F'; }

demo_dir=$data/demo
if [ ! -f "$demo_dir/provisioned" ]; then
  echo
  echo "== Provisioning the demo: chain acme -> sensor-v2 -> this server; a group and three devices"
  mkdir -p "$demo_dir"
  op alloc service-entry --url "$url" --level 1
  op alloc entry set --level 1 --key acme --role allocation --url "$url" --next-level 2
  op alloc entry set --level 2 --key sensor-v2 --role authentication --url "$url"

  group_key=$(random_hex 32)
  op enroll group demo-lab --key "$group_key" >/dev/null
  for n in 1 2 3; do
    id=$(random_hex 6)
    if [ "$n" -eq 1 ]; then
      # Individually enrolled: the server stores this device's own key.
      key=$(random_hex 32)
      op enroll device "$id" --key "$key" >/dev/null
      device burn --image "$demo_dir/device$n.efuse" --device-id "$id" --key "$key" >/dev/null
    else
      # Group enrolled: the factory derives the key; the server only knows the group key.
      key=$(device derive-key --group-key "$group_key" --device-id "$id")
      device burn --image "$demo_dir/device$n.efuse" --device-id "$id" --key "$key" --group demo-lab >/dev/null
    fi
    delegated=false; [ "$n" -eq 3 ] && delegated=true
    cat > "$demo_dir/device$n.conf" <<CONF
ServiceUrl=$url
AllocationKeys=acme,sensor-v2
DelegatedAllocation=$delegated
Discoverable=$([ "$n" -eq 1 ] && echo true || echo false)
Kind=sensor
Capabilities=temperature
Attributes=room=lab
CONF
    echo "device$n: Device ID $id ($([ "$n" -eq 1 ] && echo individual || echo "group demo-lab")$([ "$delegated" = true ] && echo ", delegated allocation"))"
  done
  touch "$demo_dir/provisioned"
fi

echo
echo "== Starting three virtual devices"
for n in 1 2 3; do
  # A named pipe instead of `run | sed`, so both processes are known by pid and stopped.
  fifo=$work/device$n.log
  mkfifo "$fifo"
  sed -u "s/^/device$n | /" "$fifo" &
  pids+=($!)
  dotnet "$device_dll" run --image "$demo_dir/device$n.efuse" --config "$demo_dir/device$n.conf" --state "$demo_dir/device$n.state" \
    --listen-port $((device_port_base + n)) >"$fifo" 2>&1 &
  pids+=($!)
done

pause 5
echo
echo "== What the server knows (peergate-op devices)"
op devices

terminal_of() { op devices | awk -v id="$1" '$1 == id { print $2 }'; }
device_id_of() { device info --image "$demo_dir/device$1.efuse" | awk '$1 == "device-id" { print $2 }'; }
t1=$(terminal_of "$(device_id_of 1)")
t2=$(terminal_of "$(device_id_of 2)")
as_device() { local n=$1; shift; device "$@" --image "$demo_dir/device$n.efuse" --config "$demo_dir/device$n.conf" --state "$demo_dir/device$n.state"; }

echo
echo "== device2 lets its group in: permit create group:demo-lab"
as_device 2 permit create group:demo-lab
echo
echo "== device1 ($t1, not in the group) calls device2: refused before device2 hears of it"
as_device 1 connect "$t2" --message "hello from device1" || true
echo
echo "== device3 (in the group) calls device2: permitted, encrypted, echoed back"
as_device 3 connect "$t2" --message "hello from device3" || true
echo
echo "== The connection-attempt log (peergate-op attempts)"
op attempts --limit 5
echo
echo "== Sessions with both end notices (peergate-op sessions)"
op sessions
echo
echo "The same, live in a browser: $url/dashboard (log in with the token in $data/admin-token);"
echo "the API reference: $url/reference/v1."
echo "Devices keep their registrations fresh; Ctrl-C stops everything."
server_ended
