#!/usr/bin/env bash
# PeerGate maker tool (Linux/macOS): flash nanoFramework, deploy the app, write the configuration and
# burn the identity into eFuse. flash.cmd is the Windows twin with the same commands and flags.
#
#   ./flash.sh <firmware|deploy|config|identity|all> --port PORT --target TARGET [options]
#   ./flash.sh help
#
# --dry-run prints every command and runs nothing. Burning eFuse is irreversible: identity shows a
# summary first and only goes on after you type the port name or BURN (or pass --confirm with it).
# See docs/flashing.md and docs/provisioning-hardware.md.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly DEFAULT_IMAGE="${SCRIPT_DIR}/firmware/PeerGate.Device.Esp32/bin/Release/PeerGate.Device.Esp32.bin"

# Where the application expects its files on the internal flash volume (BoardConfig defaults).
readonly DEVICE_CONFIG_PATH='I:\\peergate.conf'
readonly DEVICE_KEY_PATH='I:\\peergate.key'
readonly DEVICE_CA_PATH='I:\\peergate-ca.pem'

command_name=""
port=""
target=""
dry_run=0
image="${DEFAULT_IMAGE}"
config_file=""
service_url=""
allocation_keys=""
group_id=""
wifi_ssid=""
wifi_password_file=""
key_file=""
generate_key=0
group_key_file=""
derivation="v2"
derivation_given=0
device_id=""
ca_file=""
udp_server=""
allow_plain_http=0
burn_key=0
key_block="BLOCK_KEY0"
confirm=""
work_dir=""

usage() {
    cat <<'EOF'
usage: flash.sh <command> --port PORT --target TARGET [options]

commands
  firmware   flash the nanoFramework firmware            (nanoff --update)
  deploy     deploy PeerGate.Device.Esp32.bin            (nanoff --deploy)
  config     write peergate.conf, the Device Key and CA to I:, Wi-Fi to the device
  identity   burn a custom Device ID (--device-id) and/or the Device Key (--burn-key) into eFuse
             IRREVERSIBLE; shows a summary and asks you to type the port name or BURN
  all        firmware, deploy, config, then identity when --device-id or --burn-key is given
  help       this text

common options
  --port PORT            serial port, e.g. /dev/ttyUSB0 (ESP32) or /dev/ttyACM0 (S3/C3 USB)
  --target TARGET        nanoFramework target: ESP32_REV3, ESP32_PSRAM_REV3, ESP32_S3_QUAD,
                         ESP32_S3_OCTAL, ESP32_C3, ESP32_C6_THREAD, ... (nanoff --listtargets --platform esp32)
  --dry-run              print every command, run nothing, write nothing
  --work-dir DIR         where generated files go (default: a private temporary folder)

deploy
  --image FILE           default firmware/PeerGate.Device.Esp32/bin/Release/PeerGate.Device.Esp32.bin

config
  --config FILE          peergate.conf to upload as is; otherwise it is generated from:
  --service-url URL      first hop of the allocation chain (http:// or https://)
  --allocation-keys K    comma-separated, level 1 first (1 to 4 keys)
  --group-id ID          enrollment group (F3), written as GroupId
  --wifi-ssid SSID       Wi-Fi network; stored with nanoff --networkdeployment
  --wifi-password-file F file holding the Wi-Fi password (kept off the command line)
  --key-file FILE        the 32-byte Device Key to upload
  --generate-key         make a random 32-byte Device Key into --key-file (enroll it on the server)
  --group-key-file FILE  derive the Device Key from the 32-byte group key (see --derivation);
                         needs --device-id (the factory MAC or the custom ID, upper-case hex)
  --derivation v1|v2     how the group key derives the Device Key, as the server shows for the group
                         (peergate-op groups): v2 (default) HMAC-SHA256(group key, "PeerGate-device-key-v2" 0x00 Device ID);
                         v1, for groups enrolled before v2, HMAC-SHA256(group key, Device ID)
  --ca-file FILE         PEM of the private CA that signed the server certificate (pinned by the device)
  --udp-server IP:PORT   the server's UDP rendezvous address (IPv4), written as UdpServer: the board
                         keeps its NAT mapping open there once registered (docs/rendezvous.md)
  --allow-plain-http     LAB ONLY: written as AllowPlainHttp=true, so the board talks plain http:// to
                         servers on other hosts (no TLS: anyone on the path reads and changes it)

identity
  --device-id HEX        custom Device ID (12 to 64 hex digits) to burn into the eFuse user block
  --burn-key             burn --key-file into an eFuse key block with purpose HMAC_UP (S2/S3/C3/C6 only)
  --key-block BLOCK      key block for --burn-key (default BLOCK_KEY0)
  --confirm TEXT         answer to the confirmation (the port name or BURN) for unattended runs
EOF
}

fail() {
    echo "flash.sh: $*" >&2
    exit 1
}

# Prints a command the way it would run, then runs it unless --dry-run.
run() {
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    if [[ "${dry_run}" -eq 0 ]]; then
        "$@"
    fi
}

# Writes stdin to a file, or in a dry run only says which file it would write; with "show" as the
# third argument (files without secrets) the dry run also prints the lines it would write.
write_file() {
    local path="$1"
    local description="$2"
    local show="${3:-}"
    if [[ "${dry_run}" -eq 1 ]]; then
        echo "+ write ${path} (${description})"
        if [[ "${show}" == "show" ]]; then
            sed 's/^/    /'
        else
            cat >/dev/null
        fi
    else
        (umask 077 && cat >"${path}")
        echo "+ wrote ${path} (${description})"
    fi
}

# IPv4:PORT, each octet 0 to 255 and the port 1 to 65535, as the device reads UdpServer.
is_udp_server() {
    # No leading zeros: some parsers read 010 as octal.
    [[ "$1" =~ ^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2}):([1-9][0-9]{0,4})$ ]] || return 1
    local i
    for i in 1 2 3 4; do
        (( 10#${BASH_REMATCH[i]} <= 255 )) || return 1
    done
    (( 10#${BASH_REMATCH[5]} >= 1 && 10#${BASH_REMATCH[5]} <= 65535 ))
}

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || fail "$1 needs a value"
}

parse_args() {
    [[ $# -ge 1 ]] || { usage >&2; exit 2; }
    command_name="$1"
    shift
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --port) need_value "$@"; port="$2"; shift 2 ;;
            --target) need_value "$@"; target="$2"; shift 2 ;;
            --dry-run) dry_run=1; shift ;;
            --work-dir) need_value "$@"; work_dir="$2"; shift 2 ;;
            --image) need_value "$@"; image="$2"; shift 2 ;;
            --config) need_value "$@"; config_file="$2"; shift 2 ;;
            --service-url) need_value "$@"; service_url="$2"; shift 2 ;;
            --allocation-keys) need_value "$@"; allocation_keys="$2"; shift 2 ;;
            --group-id) need_value "$@"; group_id="$2"; shift 2 ;;
            --wifi-ssid) need_value "$@"; wifi_ssid="$2"; shift 2 ;;
            --wifi-password-file) need_value "$@"; wifi_password_file="$2"; shift 2 ;;
            --key-file) need_value "$@"; key_file="$2"; shift 2 ;;
            --generate-key) generate_key=1; shift ;;
            --group-key-file) need_value "$@"; group_key_file="$2"; shift 2 ;;
            --derivation) need_value "$@"; derivation="$2"; derivation_given=1; shift 2 ;;
            --device-id) need_value "$@"; device_id="$2"; shift 2 ;;
            --ca-file) need_value "$@"; ca_file="$2"; shift 2 ;;
            --udp-server) need_value "$@"; is_udp_server "$2" || fail "--udp-server must be IPv4:PORT (port 1 to 65535), e.g. 192.0.2.10:5090"; udp_server="$2"; shift 2 ;;
            --allow-plain-http) allow_plain_http=1; shift ;;
            --burn-key) burn_key=1; shift ;;
            --key-block) need_value "$@"; key_block="$2"; shift 2 ;;
            --confirm) need_value "$@"; confirm="$2"; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) fail "unknown option $1 (see ./flash.sh help)" ;;
        esac
    done
    # Checked before any step runs, so "all" never flashes a board whose settings would be refused.
    if [[ -n "${config_file}" && ( -n "${udp_server}" || "${allow_plain_http}" -eq 1 ) ]]; then
        fail "--udp-server and --allow-plain-http write a generated peergate.conf; with --config put UdpServer and AllowPlainHttp in ${config_file}"
    fi
}

# ---------------------------------------------------------------------------------------------
# Tools

check_nanoff() {
    if ! command -v nanoff >/dev/null 2>&1; then
        local hint="nanoff is not installed: dotnet tool install -g nanoff (and put ~/.dotnet/tools on PATH)"
        [[ "${dry_run}" -eq 1 ]] && { echo "warning: ${hint}" >&2; return; }
        fail "${hint}"
    fi
}

# esptool v4 installs espefuse.py, v5 installs espefuse; both accept the commands used here.
espefuse_tool() {
    if command -v espefuse >/dev/null 2>&1; then
        echo espefuse
    elif command -v espefuse.py >/dev/null 2>&1; then
        echo espefuse.py
    else
        local hint="espefuse is not installed: python3 -m pip install esptool"
        if [[ "${dry_run}" -eq 1 ]]; then
            echo "warning: ${hint}" >&2
            echo espefuse.py
        else
            fail "${hint}"
        fi
    fi
}

require_port() {
    [[ -n "${port}" ]] || fail "--port is required (nanoff --listports shows the ports)"
}

require_target() {
    [[ -n "${target}" ]] || fail "--target is required, e.g. ESP32_REV3, ESP32_S3_QUAD, ESP32_C3"
    [[ "${target}" =~ ^[A-Z0-9_]+$ ]] || fail "--target must look like ESP32_S3_QUAD"
}

# Chips with the HMAC peripheral can hold the Device Key in an eFuse key block (F2).
target_has_hmac_peripheral() {
    case "${target}" in
        ESP32_S2*|ESP32_S3*|ESP32_C3*|ESP32_C5*|ESP32_C6*|ESP32_H2*|ESP32_P4*) return 0 ;;
        *) return 1 ;;
    esac
}

# The eFuse block that holds user data: BLOCK3 on the original ESP32, BLOCK_USR_DATA on the newer chips.
user_data_block() {
    if target_has_hmac_peripheral; then
        echo BLOCK_USR_DATA
    else
        echo BLOCK3
    fi
}

ensure_work_dir() {
    if [[ -z "${work_dir}" ]]; then
        if [[ "${dry_run}" -eq 1 ]]; then
            work_dir="/tmp/peergate-flash.DRYRUN"
        else
            work_dir="$(mktemp -d "${TMPDIR:-/tmp}/peergate-flash.XXXXXX")"
        fi
    elif [[ "${dry_run}" -eq 0 ]]; then
        mkdir -p "${work_dir}"
    fi
}

# ---------------------------------------------------------------------------------------------
# Steps

step_firmware() {
    require_port
    require_target
    check_nanoff
    echo "== firmware: nanoFramework ${target} on ${port}"
    run nanoff --target "${target}" --serialport "${port}" --update
}

step_deploy() {
    require_port
    require_target
    check_nanoff
    if [[ "${dry_run}" -eq 0 && ! -f "${image}" ]]; then
        fail "no ${image}: build firmware/PeerGate.Device.Esp32 first (docs/flashing.md)"
    fi

    echo "== deploy: ${image}"
    run nanoff --target "${target}" --serialport "${port}" --deploy --image "${image}"
}

json_escape() {
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '%s' "${s}"
}

is_device_id() {
    [[ "$1" =~ ^([0-9A-F]{2}){6,32}$ ]]
}

prepare_key() {
    [[ "${derivation_given}" -eq 0 || -n "${group_key_file}" ]] || fail "--derivation needs --group-key-file"
    if [[ -n "${group_key_file}" ]]; then
        [[ -n "${key_file}" ]] || fail "--group-key-file needs --key-file (where the derived key is written)"
        is_device_id "${device_id}" || fail "--group-key-file needs --device-id: 12 to 64 upper-case hex digits"
        [[ "${dry_run}" -eq 1 || -f "${group_key_file}" ]] || fail "no group key file ${group_key_file}"
        # The message the group key signs; the server builds the same bytes (AuthProofs.GroupDerivationMessage).
        local label
        case "${derivation}" in
            v2) label='PeerGate-device-key-v2\000' ;;
            v1) label='' ;;
            *) fail "--derivation must be v1 or v2" ;;
        esac
        if [[ "${derivation}" == "v2" ]]; then
            echo "+ derive ${key_file} = HMAC-SHA256(group key, \"PeerGate-device-key-v2\" 0x00 \"${device_id}\") (derivation v2)"
        else
            echo "+ derive ${key_file} = HMAC-SHA256(group key, \"${device_id}\") (derivation v1)"
        fi
        if [[ "${dry_run}" -eq 0 ]]; then
            local group_hex
            group_hex="$(xxd -p -c 256 "${group_key_file}")"
            [[ ${#group_hex} -eq 64 ]] || fail "the group key file must hold exactly 32 bytes"
            # printf expands the label's \000 into the zero byte; the Device ID is hex digits only.
            (umask 077 && printf "${label}%s" "${device_id}" \
                | openssl dgst -sha256 -mac HMAC -macopt "hexkey:${group_hex}" -binary >"${key_file}")
        fi
    elif [[ "${generate_key}" -eq 1 ]]; then
        [[ -n "${key_file}" ]] || fail "--generate-key needs --key-file (where the new key is written)"
        [[ "${dry_run}" -eq 1 || ! -e "${key_file}" ]] || fail "${key_file} exists; refusing to overwrite a Device Key"
        echo "+ generate ${key_file} (32 random bytes; enroll this key on the server)"
        if [[ "${dry_run}" -eq 0 ]]; then
            (umask 077 && head -c 32 /dev/urandom >"${key_file}")
        fi
    fi

    if [[ -n "${key_file}" && "${dry_run}" -eq 0 ]]; then
        [[ -f "${key_file}" ]] || fail "no Device Key file ${key_file}"
        [[ "$(wc -c <"${key_file}" | tr -d ' ')" -eq 32 ]] || fail "${key_file} must hold exactly 32 bytes"
    fi
}

step_config() {
    require_port
    check_nanoff
    ensure_work_dir
    echo "== config: files for I: and Wi-Fi (work folder ${work_dir})"
    prepare_key

    local conf="${work_dir}/peergate.conf"
    if [[ -n "${config_file}" ]]; then
        [[ "${dry_run}" -eq 1 || -f "${config_file}" ]] || fail "no config file ${config_file}"
        conf="${config_file}"
    else
        [[ -n "${service_url}" ]] || fail "config needs --config FILE or --service-url and --allocation-keys"
        [[ "${service_url}" =~ ^https?://. ]] || fail "--service-url must start with http:// or https://"
        [[ -n "${allocation_keys}" ]] || fail "config needs --allocation-keys (level 1 first)"
        if [[ "${service_url}" == http://* && "${allow_plain_http}" -eq 0 ]]; then
            echo "warning: the board refuses a plain http:// server on another host without --allow-plain-http (lab only)" >&2
        fi
        if [[ "${allow_plain_http}" -eq 1 ]]; then
            echo "warning: --allow-plain-http: lab only; the board will talk to plain http:// servers without TLS" >&2
        fi
        {
            echo "# written by flash.sh config"
            echo "ServiceUrl=${service_url}"
            echo "AllocationKeys=${allocation_keys}"
            [[ -z "${group_id}" ]] || echo "GroupId=${group_id}"
            [[ -z "${udp_server}" ]] || echo "UdpServer=${udp_server}"
            [[ "${allow_plain_http}" -eq 0 ]] || echo "# lab only: plain http:// to servers on other hosts"
            [[ "${allow_plain_http}" -eq 0 ]] || echo "AllowPlainHttp=true"
        } | write_file "${conf}" "peergate.conf" show
    fi

    local files="${work_dir}/files.json"
    {
        printf '{"SerialPort":"%s","Files":[' "$(json_escape "${port}")"
        printf '{"DestinationFilePath":"%s","SourceFilePath":"%s"}' "${DEVICE_CONFIG_PATH}" "$(json_escape "${conf}")"
        if [[ -n "${key_file}" ]]; then
            printf ',{"DestinationFilePath":"%s","SourceFilePath":"%s"}' "${DEVICE_KEY_PATH}" "$(json_escape "${key_file}")"
        fi
        if [[ -n "${ca_file}" ]]; then
            printf ',{"DestinationFilePath":"%s","SourceFilePath":"%s"}' "${DEVICE_CA_PATH}" "$(json_escape "${ca_file}")"
        fi
        printf ']}\n'
    } | write_file "${files}" "file deployment list"
    run nanoff --filedeployment "${files}"

    if [[ -n "${wifi_ssid}" ]]; then
        [[ -n "${wifi_password_file}" ]] || fail "--wifi-ssid needs --wifi-password-file"
        local password=""
        if [[ "${dry_run}" -eq 0 ]]; then
            [[ -f "${wifi_password_file}" ]] || fail "no password file ${wifi_password_file}"
            password="$(head -n 1 "${wifi_password_file}")"
        fi

        local network="${work_dir}/network.json"
        printf '{"WirelessClient":{"SSID":"%s","Password":"%s"}}\n' \
            "$(json_escape "${wifi_ssid}")" "$(json_escape "${password}")" \
            | write_file "${network}" "Wi-Fi settings; holds the password, deleted after use"
        run nanoff --serialport "${port}" --networkdeployment "${network}"
        if [[ "${dry_run}" -eq 0 ]]; then
            rm -f "${network}"
        fi
    fi
}

# Reads the confirmation: the exact port name or BURN.
confirm_burn() {
    local answer="${confirm}"
    if [[ -z "${answer}" ]]; then
        if [[ "${dry_run}" -eq 1 ]]; then
            echo "(dry run: would ask you to type ${port} or BURN)"
            return 0
        fi

        [[ -t 0 ]] || fail "no terminal to confirm on; pass --confirm ${port} after reading the summary"
        read -r -p "Type the port name (${port}) or BURN to burn these eFuses forever: " answer
    fi

    if [[ "${answer}" != "${port}" && "${answer}" != "BURN" ]]; then
        fail "not confirmed; nothing was burned"
    fi
}

step_identity() {
    require_port
    require_target
    if [[ -z "${device_id}" && "${burn_key}" -eq 0 ]]; then
        fail "identity needs --device-id HEX and/or --burn-key"
    fi

    local tool
    tool="$(espefuse_tool)"
    ensure_work_dir
    local block
    block="$(user_data_block)"

    if [[ -n "${device_id}" ]]; then
        is_device_id "${device_id}" || fail "--device-id must be 12 to 64 upper-case hex digits (an even count)"
        if ! target_has_hmac_peripheral && [[ ${#device_id} -gt 48 ]]; then
            fail "on the original ESP32 use at most 24 bytes (48 hex digits): BLOCK3 under 3/4 coding holds 24"
        fi
    fi

    if [[ "${burn_key}" -eq 1 ]]; then
        target_has_hmac_peripheral || fail "${target} has no HMAC peripheral: keep the Device Key in the flash file (config --key-file)"
        [[ -n "${key_file}" ]] || fail "--burn-key needs --key-file"
        [[ "${dry_run}" -eq 1 || "$(wc -c <"${key_file}" | tr -d ' ')" -eq 32 ]] || fail "${key_file} must hold exactly 32 bytes"
        [[ "${key_block}" =~ ^BLOCK_KEY[0-5]$ ]] || fail "--key-block must be BLOCK_KEY0 .. BLOCK_KEY5"
    fi

    echo "== identity: eFuse on ${port} (${target})"
    echo "Current eFuse state (check that the blocks below are still empty):"
    run "${tool}" -p "${port}" summary

    echo
    echo "About to burn, IRREVERSIBLY:"
    if [[ -n "${device_id}" ]]; then
        echo "  - Device ID ${device_id} into ${block}, then write-protect ${block}"
        echo "    (never read-protected: the firmware must be able to read it)"
    fi
    if [[ "${burn_key}" -eq 1 ]]; then
        echo "  - the 32-byte Device Key from ${key_file} into ${key_block}, purpose HMAC_UP"
        echo "    (read-protected by espefuse: only the HMAC peripheral can use it afterwards)"
    fi
    confirm_burn

    if [[ -n "${device_id}" ]]; then
        local id_file="${work_dir}/device-id.bin"
        printf '%s' "${device_id}" | xxd -r -p | write_file "${id_file}" "Device ID, ${#device_id} hex digits"
        run "${tool}" -p "${port}" burn_block_data "${block}" "${id_file}"
        run "${tool}" -p "${port}" write_protect_efuse "${block}"
    fi

    if [[ "${burn_key}" -eq 1 ]]; then
        run "${tool}" -p "${port}" burn_key "${key_block}" "${key_file}" HMAC_UP
    fi
}

main() {
    parse_args "$@"
    if [[ "${dry_run}" -eq 1 ]]; then
        echo "dry run: printing commands only; nothing is run or written"
    fi

    case "${command_name}" in
        firmware) step_firmware ;;
        deploy) step_deploy ;;
        config) step_config ;;
        identity) step_identity ;;
        all)
            step_firmware
            step_deploy
            step_config
            if [[ -n "${device_id}" || "${burn_key}" -eq 1 ]]; then
                step_identity
            else
                echo "== identity: skipped (no --device-id or --burn-key); the factory MAC is the Device ID"
            fi
            ;;
        help|-h|--help) usage ;;
        *) usage >&2; fail "unknown command ${command_name}" ;;
    esac
}

main "$@"
