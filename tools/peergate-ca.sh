#!/bin/sh
# A private CA for PeerGate's TLS, and server certificates it signs, with openssl alone.
#   tools/peergate-ca.sh ca DIR                    DIR/ca.pem (what devices pin) and DIR/ca.key
#   tools/peergate-ca.sh server DIR NAME [NAME...] DIR/server.pem and DIR/server.key for each NAME
#                                                  (an IP address or a DNS name), signed by DIR/ca.key
# Keys are written owner-only (umask 077). Keep ca.key off the server: it signs certificates devices trust.
set -eu
umask 077
usage() { sed -n '2,6p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2; shift 2
mkdir -p "$dir"
case $cmd in
  ca)
    [ ! -e "$dir/ca.key" ] || { echo "$dir/ca.key exists; not overwritten" >&2; exit 1; }
    openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=PeerGate private CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.pem"
    chmod 644 "$dir/ca.pem"
    echo "CA: $dir/ca.pem (pin this on devices); key: $dir/ca.key" ;;
  server)
    [ $# -ge 1 ] || usage
    san=""
    for name in "$@"; do
      case $name in
        *[!0-9.:a-fA-F]*) entry="DNS:$name" ;;
        *) entry="IP:$name" ;;
      esac
      san="${san:+$san,}$entry"
    done
    openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$dir/server.key"
    openssl req -new -key "$dir/server.key" -subj "/CN=$1" -out "$dir/server.csr"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 397 -sha256 -extfile "$dir/server.ext" -out "$dir/server.pem"
    rm -f "$dir/server.csr" "$dir/server.ext"
    chmod 644 "$dir/server.pem"
    echo "server: $dir/server.pem for $san; key: $dir/server.key (mode 600)" ;;
  *) usage ;;
esac
