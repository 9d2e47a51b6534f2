#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Throwaway: proves the bundled jobs (contrib/jobs/cert-renew, contrib/jobs/tpm2)
# end to end before `crossroot job run` exists, by standing in for the runner
# with `crossroot run` and the runner contract's binds and environment.  To be
# turned into TAP tests on the real runner.  TAP output.
#
# Run as root on a host prepared like this (once):
#   contrib/install-deps.sh && make
#   useradd -m crjob && crossroot setup --user crjob
#   runuser -u crjob -- build/crossroot create jobbox --arch amd64 --include openssl,ca-certificates
#   runuser -u crjob -- build/crossroot run jobbox --root -- apt-get install -y \
#       certbot tpm2-tools tpm2-openssl libtss2-tcti-swtpm0 swtpm swtpm-tools
# (`create --include certbot` fails today: the resolver does not take
# python3-acme's versioned Provides of python3-acme-abi-2.)
#   JOBS_USER=crjob JOBS_CONTAINER=jobbox tests/e2e/jobs-standin.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
user=${JOBS_USER:-crjob}
box=${JOBS_CONTAINER:-jobbox}
uhome=$(getent passwd "$user" | cut -d: -f6)
work=$(mktemp -d /tmp/jobs-standin.XXXXXX)
chmod 755 "$work"
cp "$top/build/crossroot" "$work/crossroot"
CR=$work/crossroot
# shellcheck source=tests/e2e/jobs-lib.sh
. "$here/jobs-lib.sh"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
check() {
	local d=$1
	shift
	if "$@" >/dev/null; then ok "$d"; else not_ok "$d"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "want: $2" "got:  $3"; fi; }

cleanup() {
	pebble_stop
	rm -rf "$work" "$uhome/.local/state/crossroot/jobs"
}
trap cleanup EXIT

as_user() { runuser -u "$user" -- "$@"; }

# job JOBDIR STATE [NAME=VALUE...] -- ARGS: what `crossroot job run` will do,
# for the setting types of JOBDIR/job.conf: text -> JOB_SET_NAME; file and
# dir -> bound at /job/set/NAME (ro or rw as declared); command -> run on
# the host after exit 0 when the script created $JOB_STATE/changed.
# Prints the job's stdout and stderr; returns its exit status.
job() {
	local jobdir=$1 st=$2 name value type mode up cmd="" rc
	local -a opts=()
	local -A set=()
	shift 2
	mkdir -p "$st"
	chown "$user:" "$st"
	chmod 700 "$st"
	rm -f "$st/changed"
	# A later NAME=VALUE overrides an earlier one, as --set does.
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		set[${1%%=*}]=${1#*=}
		shift
	done
	for name in "${!set[@]}"; do
		value=${set[$name]} up=JOB_SET_${name^^}
		read -r type mode < <(awk -v n="$name" '$1 == "setting" && $2 == n { print $3, $4 }' "$jobdir/job.conf")
		case "$type" in
		text) opts+=(--env "$up=$value") ;;
		file | dir)
			[ "$mode" = rw ] && opts+=(--bind "$value:/job/set/$name") || opts+=(--bind "$value:/job/set/$name:ro")
			opts+=(--env "$up=/job/set/$name")
			;;
		command) cmd=$value ;;
		*) echo "job: no setting $name in $jobdir/job.conf" >&2 && return 125 ;;
		esac
	done
	[ "${1:-}" = -- ] && shift
	timeout 600 runuser -u "$user" -- "$CR" run "$box" --bind "$jobdir:/job/lib:ro" \
		--bind "$st:/job/state" --env JOB_NAME="$(basename "$jobdir")" \
		--env JOB_STATE=/job/state --env HOME=/job/state --cwd /job/state \
		"${opts[@]}" -- /job/lib/run "$@"
	rc=$?
	if [ $rc -eq 0 ] && [ -e "$st/changed" ] && [ -n "$cmd" ]; then
		sh -c "$cmd" || rc=1
	fi
	return $rc
}

# The TLSA 3 1 1 data of a PEM certificate, computed on the host.
tlsa_cert() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
tlsa_key() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }

# A fingerprint of everything in an output directory: names, link targets, contents.
snapshot() { (cd "$1" && find . -printf '%p %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }

CRJ=$top/contrib/jobs/cert-renew
TPJ=$top/contrib/jobs/tpm2
crs=$uhome/.local/state/crossroot/jobs/cert-renew
tps=$uhome/.local/state/crossroot/jobs/tpm2
mkdir -p "$work/keys" "$work/out"
chown "$user:" "$work/out"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/keys/key1.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/keys/key2.pem" 2>/dev/null
chown -R "$user:" "$work/keys"
want=$(tlsa_key "$work/keys/key1.pem")
out=$work/out

pebble_start "$work/pebble" "$user" || { not_ok "pebble starts"; echo "1..$n"; exit 1; }
ok "pebble starts ($PEBBLE_URL)"
common=(domains="a.test www.a.test" server="$PEBBLE_URL" webroot="$PEBBLE_WEBROOT" output="$out"
	ca="$PEBBLE_CA" reload="touch $work/reloaded")

# --- cert-renew: first run from the key ---
t0=$(date +%s.%N)
res=$(job "$CRJ" "$crs" "${common[@]}" key="$work/keys/key1.pem" -- 2>&1)
rc=$?
diag "first run took $(echo "$(date +%s.%N) - $t0" | bc) s" "$res"
expect_eq "cert-renew: first run exits 0" 0 $rc
check "cert-renew: first run prints the TLSA 3 1 1 data of the key" grep -q "TLSA 3 1 1 association data: $want" <<<"$res"
expect_eq "cert-renew: state keeps that TLSA" "$want" "$(cat "$crs/tlsa" 2>/dev/null)"
check "cert-renew: state keeps the CSR in DER" openssl req -inform DER -in "$crs/csr.der" -noout -verify -out /dev/null 2>/dev/null
expect_eq "cert-renew: cert.pem -> current/cert.pem" current/cert.pem "$(readlink "$out/cert.pem")"
expect_eq "cert-renew: issued cert has the key's TLSA" "$want" "$(tlsa_cert "$out/cert.pem")"
check "cert-renew: the issued cert verifies with the chain" openssl verify -partial_chain -CAfile "$out/chain.pem" "$out/cert.pem"
check "cert-renew: the reload command ran" test -e "$work/reloaded"
first=$(readlink "$out/current")
rm -f "$work/reloaded"

# --- renew when not due: nothing happens ---
res=$(job "$CRJ" "$crs" "${common[@]}" -- renew 2>&1)
rc=$?
expect_eq "cert-renew: renew when not due exits 0" 0 $rc
check "cert-renew: renew when not due says so" grep -q "not due" <<<"$res"
check "cert-renew: ... and does not reload" test ! -e "$work/reloaded"

# --- second issue for the same key, with tlsa set (listed twice: every value must match) ---
sleep 1
res=$(job "$CRJ" "$crs" "${common[@]}" tlsa="$want ${want^^}" -- issue 2>&1)
rc=$?
diag "$res"
expect_eq "cert-renew: second issue exits 0" 0 $rc
second=$(readlink "$out/current")
check "cert-renew: current switched to a new dated directory ($first -> $second)" test "$first" != "$second" -a -d "$out/$second" -a -f "$out/$first/cert.pem"
expect_eq "cert-renew: second cert has the same TLSA" "$want" "$(tlsa_cert "$out/cert.pem")"
check "cert-renew: the two certs differ" test "$(openssl x509 -in "$out/$first/cert.pem" -noout -serial)" != "$(openssl x509 -in "$out/$second/cert.pem" -noout -serial)"
check "cert-renew: reload ran again" test -e "$work/reloaded"
rm -f "$work/reloaded"

res=$(job "$CRJ" "$crs" output="$out" -- show 2>&1)
check "cert-renew: show prints the TLSA and the dates" grep -q "TLSA 3 1 1: $want" <<<"$res"
grep -q notAfter <<<"$res" || not_ok "cert-renew: show prints notAfter"

# --- failures leave everything as it was ---
before=$(snapshot "$out")
csrbefore=$(sha256sum <"$crs/csr.der")
res=$(job "$CRJ" "$crs" "${common[@]}" tlsa=0000000000000000000000000000000000000000000000000000000000000000 -- issue 2>&1)
rc=$?
check "cert-renew: a wrong tlsa fails (rc $rc)" test $rc -ne 0
check "cert-renew: ... naming the setting" grep -q "setting tlsa" <<<"$res"
diag "$res"
expect_eq "cert-renew: ... and leaves output untouched" "$before" "$(snapshot "$out")"

openssl req -new -key "$work/keys/key2.pem" -subj /CN=a.test -addext "subjectAltName=DNS:a.test,DNS:www.a.test" \
	-out "$work/keys/other.csr" 2>/dev/null && chown "$user:" "$work/keys/other.csr"
res=$(job "$CRJ" "$crs" "${common[@]}" csr="$work/keys/other.csr" -- issue 2>&1)
rc=$?
check "cert-renew: a CSR of another key fails (rc $rc)" test $rc -ne 0
diag "$res"
expect_eq "cert-renew: ... and leaves output untouched" "$before" "$(snapshot "$out")"
expect_eq "cert-renew: ... and the CSR in state" "$csrbefore" "$(sha256sum <"$crs/csr.der")"
check "cert-renew: ... and does not reload" test ! -e "$work/reloaded"

url=$PEBBLE_URL
pebble_stop
mkdir -p "$work/webroot2" && chown "$user:" "$work/webroot2"
res=$(job "$CRJ" "$crs" "${common[@]}" server="$url" webroot="$work/webroot2" ca=/etc/ssl/certs/ca-certificates.crt -- issue 2>&1)
rc=$?
check "cert-renew: with pebble stopped it fails (rc $rc)" test $rc -ne 0
check "cert-renew: ... showing certbot's log" grep -q "letsencrypt.log" <<<"$res"
diag "$(tail -n 5 <<<"$res")"
expect_eq "cert-renew: ... and leaves output untouched" "$before" "$(snapshot "$out")"
check "cert-renew: ... and leaves no staging directory" test -z "$(find "$out" -maxdepth 1 -name '.*' ! -name . )"
check "cert-renew: ... and does not reload" test ! -e "$work/reloaded"

# --- tpm2 on swtpm: every run starts a new simulator on the same state ---
tpm=(tpm=swtpm)
res=$(job "$TPJ" "$tps" "${tpm[@]}" -- init 2>&1)
rc=$?
diag "$res"
expect_eq "tpm2: init exits 0" 0 $rc
check "tpm2: init creates the SRK" grep -q "created and persisted at 0x81000001" <<<"$res"
res=$(job "$TPJ" "$tps" "${tpm[@]}" -- init 2>&1)
check "tpm2: a second init finds it" grep -q "storage key present at 0x81000001" <<<"$res"
res=$(job "$TPJ" "$tps" "${tpm[@]}" -- status 2>&1)
diag "$res"
expect_eq "tpm2: one persistent handle, 0x81000001" "- 0x81000001" "$(grep '^- 0x' <<<"$res")"
check "tpm2: status shows TPM_PT_HR_TRANSIENT_MIN" grep -q "TPM_PT_HR_TRANSIENT_MIN: 0x3" <<<"$res"

inbefore=$(sha256sum <"$work/keys/key1.pem")
t0=$(date +%s.%N)
res=$(job "$TPJ" "$tps" "${tpm[@]}" in="$work/keys/key1.pem" -- wrap key1.tss 2>&1)
rc=$?
diag "wrap took $(echo "$(date +%s.%N) - $t0" | bc) s" "$res"
expect_eq "tpm2: wrap exits 0" 0 $rc
expect_eq "tpm2: wrap writes a TSS2 PRIVATE KEY" "-----BEGIN TSS2 PRIVATE KEY-----" "$(head -n 1 "$tps/key1.tss" 2>/dev/null)"
expect_eq "tpm2: wrap leaves IN unchanged" "$inbefore" "$(sha256sum <"$work/keys/key1.pem")"
res=$(job "$TPJ" "$tps" "${tpm[@]}" in="$work/keys/key1.pem" -- wrap key1.tss 2>&1)
check "tpm2: wrap never overwrites a key file (rc $?)" grep -q "exists" <<<"$res"

echo "signed in the TPM" >"$tps/msg" && chown "$user:" "$tps/msg"
res=$(job "$TPJ" "$tps" "${tpm[@]}" -- sign key1.tss msg msg.sig 2>&1)
rc=$?
expect_eq "tpm2: sign exits 0" 0 $rc
openssl pkey -in "$work/keys/key1.pem" -pubout -out "$work/keys/key1.pub"
check "tpm2: the signature verifies with the original public key" \
	openssl pkeyutl -verify -pubin -inkey "$work/keys/key1.pub" -rawin -digest sha256 -in "$tps/msg" -sigfile "$tps/msg.sig"

res=$(job "$TPJ" "$tps" "${tpm[@]}" domains="a.test www.a.test" -- csr key1.tss key1.csr 2>&1)
rc=$?
diag "$res"
expect_eq "tpm2: csr exits 0" 0 $rc
check "tpm2: openssl req -verify accepts the CSR" openssl req -in "$tps/key1.csr" -noout -verify
expect_eq "tpm2: the CSR has key1's TLSA" "$want" "$(openssl req -in "$tps/key1.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)"

res=$(job "$TPJ" "$tps" "${tpm[@]}" -- genkey gen.tss ecc256 2>&1)
rc=$?
diag "$res"
expect_eq "tpm2: genkey exits 0" 0 $rc
job "$TPJ" "$tps" "${tpm[@]}" -- pubkey gen.tss gen.pub >/dev/null 2>&1
gen_tlsa=$(openssl pkey -pubin -in "$tps/gen.pub" -outform DER | sha256sum | cut -d' ' -f1)
printf '%s\n' "[req]" "distinguished_name = dn" "req_extensions = ext" "prompt = no" "[dn]" "CN = b.test" \
	"[ext]" "subjectAltName = DNS:b.test, DNS:mail.b.test" >"$work/keys/b.conf"
chown "$user:" "$work/keys/b.conf"
res=$(job "$TPJ" "$tps" "${tpm[@]}" conf="$work/keys/b.conf" -- csr gen.tss gen.csr 2>&1)
rc=$?
diag "$res"
expect_eq "tpm2: csr with setting conf exits 0" 0 $rc
check "tpm2: openssl req -verify accepts the generated key's CSR" openssl req -in "$tps/gen.csr" -noout -verify
job "$TPJ" "$tps" "${tpm[@]}" -- sign gen.tss msg gen.sig >/dev/null 2>&1
check "tpm2: an ECDSA signature by the generated key verifies" \
	openssl pkeyutl -verify -pubin -inkey "$tps/gen.pub" -rawin -digest sha256 -in "$tps/msg" -sigfile "$tps/gen.sig"
check "tpm2: no swtpm left running" test -z "$(pgrep -u "$user" swtpm)"
check "tpm2: the simulator's state is in the job's state" test -n "$(ls "$tps/swtpm")"

# --- TPM key -> CSR -> cert-renew ---
pebble_start "$work/pebble" "$user" || { not_ok "pebble starts again"; echo "1..$n"; exit 1; }
common=(domains="a.test www.a.test" server="$PEBBLE_URL" webroot="$PEBBLE_WEBROOT" output="$out"
	ca="$PEBBLE_CA" reload="touch $work/reloaded")
cp "$tps/key1.csr" "$work/keys/key1-tpm.csr" && chown "$user:" "$work/keys/key1-tpm.csr"
res=$(job "$CRJ" "$crs" "${common[@]}" csr="$work/keys/key1-tpm.csr" tlsa="$want" -- issue 2>&1)
rc=$?
diag "$res"
expect_eq "cert-renew: the TPM-signed CSR of the wrapped key is issued" 0 $rc
expect_eq "cert-renew: ... with the TLSA unchanged" "$want" "$(tlsa_cert "$out/cert.pem")"
expect_eq "cert-renew: three dated directories now" 3 "$(find "$out" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)"

crs2=$work/state-b
out2=$work/out-b
mkdir -p "$out2" && chown "$user:" "$out2"
cp "$tps/gen.csr" "$work/keys/gen.csr" && chown "$user:" "$work/keys/gen.csr"
b=(domains="b.test mail.b.test" server="$PEBBLE_URL" webroot="$PEBBLE_WEBROOT" output="$out2" ca="$PEBBLE_CA")
res=$(job "$CRJ" "$crs2" "${b[@]}" csr="$work/keys/gen.csr" -- 2>&1)
rc=$?
diag "$res"
expect_eq "cert-renew: a key made in the TPM: first certificate" 0 $rc
res=$(job "$CRJ" "$crs2" "${b[@]}" tlsa="$gen_tlsa" -- issue 2>&1)
rc=$?
expect_eq "cert-renew: a key made in the TPM: second certificate" 0 $rc
expect_eq "cert-renew: ... with the TPM key's TLSA" "$gen_tlsa" "$(tlsa_cert "$out2/cert.pem")"
expect_eq "cert-renew: ... two dated directories" 2 "$(find "$out2" -mindepth 1 -maxdepth 1 -type d | wc -l)"

res=$(job "$CRJ" "$crs2" "${b[@]}" key="$work/keys/key2.pem" -- rekey 2>&1)
rc=$?
diag "$res"
expect_eq "cert-renew: rekey to another key exits 0" 0 $rc
check "cert-renew: ... and prints the new TLSA to publish" grep -q "association data: $(tlsa_key "$work/keys/key2.pem")" <<<"$res"
expect_eq "cert-renew: ... the new cert has the new key" "$(tlsa_key "$work/keys/key2.pem")" "$(tlsa_cert "$out2/cert.pem")"
expect_eq "cert-renew: ... and state keeps it" "$(tlsa_key "$work/keys/key2.pem")" "$(cat "$crs2/tlsa")"

echo "1..$n"
[ $failed -eq 0 ]
