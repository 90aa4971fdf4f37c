#!/usr/bin/env bash
# The run command. Builds PeerGate and starts the server on http://127.0.0.1:5080 with its SQLite
# database in ./data. With --demo it also provisions and starts three virtual devices that walk a
# two-level allocation chain, authenticate and register, each printing what it does; then one
# device sets its permit table, a stranger is refused and a permitted device connects to it.
#
#   ./run.sh [--demo] [--port N] [--data DIR]
set -euo pipefail
cd "$(dirname "$0")"

port=5080
data=./data
demo=0
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1 ;;
    --port) port=$2; shift ;;
    --data) data=$2; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

command -v dotnet >/dev/null 2>&1 || { echo "run.sh: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "Building..."
dotnet build PeerGate.slnx -c Release -nologo -v quiet -clp:ErrorsOnly

out=bin/Release/net10.0
server_dll=server/PeerGate.Server/$out/peergate-server.dll
op_dll=server/PeerGate.Operator/$out/peergate-op.dll
device_dll=firmware/PeerGate.VirtualDevice/$out/virtual-device.dll
url=http://127.0.0.1:$port
mkdir -p "$data"

# GET /health over bash's /dev/tcp, so the script needs no curl.
healthy() {
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status
  read -r -t 5 status <&3 || true
  exec 3<&-
  [[ "$status" == *" 200"* ]]
}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

dotnet "$server_dll" --urls "$url" --PeerGate:DataDirectory="$data" &
pids+=($!)

# Bounded wait for the server to answer.
for _ in $(seq 1 60); do
  if healthy; then break; fi
  kill -0 "${pids[0]}" 2>/dev/null || { echo "run.sh: the server did not start" >&2; exit 1; }
  sleep 0.5
done
healthy || { echo "run.sh: the server did not answer on $url within 30 s" >&2; exit 1; }
echo "PeerGate server on $url (data in $data; admin token in $data/admin-token)"

if [ "$demo" -eq 0 ]; then
  wait "${pids[0]}"
  exit
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
  device run --image "$demo_dir/device$n.efuse" --config "$demo_dir/device$n.conf" --state "$demo_dir/device$n.state" --listen-port $((7400 + n)) \
    2>&1 | sed -u "s/^/device$n | /" &
  pids+=($!)
done

sleep 5
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
echo "Devices keep their registrations fresh; Ctrl-C stops everything."
wait "${pids[0]}"
