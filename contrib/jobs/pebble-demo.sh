#!/bin/bash
# Try the bundled cert-renew job without a real CA: start pebble (Debian's
# ACME test server) on 127.0.0.1, make a key, and let `crossroot job run
# cert-renew@demo` issue two certificates for it.  Both carry the same key,
# so the DANE TLSA 3 1 1 value printed for each is the same.  Run it as
# yourself, after root's setup (the quick start does it); it needs the
# packages pebble and openssl (contrib/install-deps.sh installs them).
#
#   contrib/jobs/pebble-demo.sh [DIR]     (DIR keeps the key and the certificates;
#                                          default ~/crossroot-pebble-demo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cr=${CROSSROOT:-crossroot}
dir=${1:-$HOME/crossroot-pebble-demo}
for tool in pebble pebble-challtestsrv openssl curl; do
	command -v "$tool" >/dev/null || { echo "pebble-demo: $tool is missing: sudo apt-get install pebble openssl curl" >&2; exit 1; }
done
# shellcheck source=tests/e2e/jobs-lib.sh
. "$here/../../tests/e2e/jobs-lib.sh"

mkdir -p "$dir/certs"
pebble_start "$(mktemp -d /tmp/crossroot-pebble.XXXXXX)"
trap pebble_stop EXIT
echo "== pebble runs at $PEBBLE_URL"
[ -e "$dir/key.pem" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null
chmod 600 "$dir/key.pem"

echo "== first run: the job's container is created once (a few minutes), then the CSR and a certificate"
"$cr" job run cert-renew@demo --set domains="demo.test www.demo.test" --set server="$PEBBLE_URL" \
	--set webroot="$PEBBLE_WEBROOT" --set output="$dir/certs" --set ca="$PEBBLE_CA" --set key="$dir/key.pem" \
	-- issue
first=$(openssl x509 -in "$dir/certs/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
sleep 1
echo "== second run: only the saved settings (the server and webroot of this pebble)"
"$cr" job run cert-renew@demo -- issue
second=$(openssl x509 -in "$dir/certs/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
echo "== $dir/certs:"
ls -l "$dir/certs"
echo "TLSA 3 1 1 of the first certificate:  $first"
echo "TLSA 3 1 1 of the second certificate: $second"
[ "$first" = "$second" ] && echo "== the same: the DANE record would not have to change"
