#!/usr/bin/env bash
# Makes the certificates of Tidal's external metrics API for the plain manifests: a CA and a
# serving certificate for the Service (SAN <service>.<namespace>.svc), signed by it, with openssl.
# Writes ca.crt, tls.crt and tls.key into the output folder; deploy/kustomization.yaml turns them
# into the Secret tidal-operator-certs and the APIService's caBundle. The CA's key is thrown away,
# so rotating means running this again and re-applying (the Secret's name hash rolls the pods).
#
# Usage: deploy/generate-certs.sh [--namespace NS] [--service NAME] [--days N] [--out DIR] [--force]
#   --namespace  namespace of the Service (default tidal-system)
#   --service    name of the Service (default tidal-operator)
#   --days       validity in days (default 365)
#   --out        output folder (default deploy/certs, which git ignores)
#   --force      overwrite certificates that are already there
set -euo pipefail

namespace=tidal-system
service=tidal-operator
days=365
out="$(cd "$(dirname "$0")" && pwd)/certs"
force=false
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --service) service=${2:?--service needs a value}; shift 2 ;;
    --days) days=${2:?--days needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --force) force=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "generate-certs: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
command -v openssl >/dev/null || { echo "generate-certs: openssl is not installed" >&2; exit 1; }
if [ -e "$out/tls.crt" ] && [ "$force" != true ]; then
  echo "generate-certs: $out/tls.crt exists; pass --force to replace it" >&2
  exit 1
fi

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
host="$service.$namespace.svc"

# CA: P-256, only for signing this one serving certificate.
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -sha256 -days "$days" -subj "/CN=tidal-metrics-api-ca" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$work/ca.crt" 2>/dev/null

# Serving certificate. The aggregator dials <service>.<namespace>.svc and checks that name.
openssl ecparam -name prime256v1 -genkey -noout -out "$work/tls.key"
openssl req -new -key "$work/tls.key" -subj "/CN=$host" -out "$work/tls.csr" 2>/dev/null
cat > "$work/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$service,DNS:$service.$namespace,DNS:$host,DNS:$host.cluster.local
EXT
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -sha256 -days "$days" -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null
openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null

install -m 644 "$work/ca.crt" "$out/ca.crt"
install -m 644 "$work/tls.crt" "$out/tls.crt"
install -m 600 "$work/tls.key" "$out/tls.key"
echo "generate-certs: wrote ca.crt, tls.crt and tls.key for $host into $out (valid $days days)" >&2
