#!/bin/bash
# The bundled jobs with the real runner, as the unprivileged test user, in
# the containers `crossroot job run` creates on first use: cert-renew against
# pebble (Debian's ACME test server, real http-01 validation on 127.0.0.1)
# and tpm2 against swtpm, then the chain TPM key -> CSR -> certificate.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/jobs-lib.sh
. "$(dirname "$0")/jobs-lib.sh"
command -v pebble >/dev/null || prereq_fail "pebble is not installed (contrib/install-deps.sh installs it)"
command -v openssl >/dev/null || prereq_fail "openssl is not installed"
setup_mapped
export CROSSROOT_JOBS_DIR=$TESTS_DIR/../contrib/jobs
jobrun() { as_user env CROSSROOT_JOBS_DIR="$CROSSROOT_JOBS_DIR" "$CR" job run "$@"; }
trap 'pebble_stop; _e2e_cleanup' EXIT

# The TLSA 3 1 1 association data of a certificate, a key, a CSR, computed on the host.
tlsa_cert() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
tlsa_key() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }
tlsa_csr() { openssl req -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
# Names, link targets and contents of everything in a directory.
snapshot() { (cd "$1" && find . -printf '%p %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }

work=$E2E_DIR/jobs
mkdir -p "$work/keys" "$work/out" "$work/out-b"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/keys/key1.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/keys/key2.pem" 2>/dev/null
openssl req -new -key "$work/keys/key2.pem" -subj /CN=a.test -addext "subjectAltName=DNS:a.test,DNS:www.a.test" \
	-out "$work/keys/other.csr" 2>/dev/null
chown -R "$TEST_USER:" "$work"
chmod 700 "$work/keys"
want=$(tlsa_key "$work/keys/key1.pem")
out=$work/out
crs=$TEST_HOME/.local/state/crossroot/jobs/cert-renew
tps=$TEST_HOME/.local/state/crossroot/jobs/tpm2

pebble_start "$work/pebble" "$TEST_USER" || prereq_fail "pebble starts"

# --- cert-renew: the first run creates the container and the CSR ---
start=$(date +%s)
res=$(jobrun cert-renew --set domains="a.test www.a.test" --set server="$PEBBLE_URL" --set webroot="$PEBBLE_WEBROOT" \
	--set output="$out" --set ca="$PEBBLE_CA" --set reload="touch $work/reloaded" --set key="$work/keys/key1.pem" 2>&1)
rc=$?
diag "first run, container created: $(($(date +%s) - start)) s"
expect_eq "cert-renew: the first run exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
expect_match "... creating the job's container on first use" "creating its container job-cert-renew \(bookworm amd64, with certbot,openssl,ca-certificates\)" "$res"
expect_match "... which is listed" '^job-cert-renew +amd64 ' "$(as_user "$CR" list)"
expect_match "... printing the TLSA 3 1 1 data to publish" "association data: $want" "$res"
expect_eq "... the key's, as the CSR kept in state has" "$want" \
	"$(openssl req -inform DER -in "$crs/csr.der" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)"
expect_eq "cert.pem links through current" current/cert.pem "$(readlink "$out/cert.pem")"
expect_eq "the certificate carries the fixed key (TLSA 3 1 1 as openssl computes it)" "$want" "$(tlsa_cert "$out/cert.pem")"
check "it verifies with its chain" sh -c "openssl verify -partial_chain -CAfile '$out/chain.pem' '$out/cert.pem' >/dev/null"
check "the reload command ran on the host" test -e "$work/reloaded"
settings=$TEST_HOME/.config/crossroot/job-settings/cert-renew
check "the settings are saved" grep -q "^domains=a.test www.a.test\$" "$settings"
check "... but not the private key: later runs never see it" sh -c "! grep -q '^key=' '$settings'"
first=$(readlink "$out/current")
rm -f "$work/reloaded"

# --- later runs use the saved settings ---
res=$(jobrun cert-renew 2>&1); rc=$?
expect_eq "renew when not due exits 0" 0 "$rc"
expect_match "... says so" "not due" "$res"
check "... and does not reload" test ! -e "$work/reloaded"
sleep 1
res=$(jobrun cert-renew --set tlsa="$want ${want^^}" -- issue 2>&1); rc=$?
expect_eq "a second certificate for the same key: exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
second=$(readlink "$out/current")
check "current switched to a new dated directory ($first -> $second), the old one kept" \
	test "$first" != "$second" -a -d "$out/$second" -a -f "$out/$first/cert.pem"
expect_eq "... the TLSA 3 1 1 is the same" "$want" "$(tlsa_cert "$out/cert.pem")"
check "... for another certificate" test "$(openssl x509 -in "$out/$first/cert.pem" -noout -serial)" != \
	"$(openssl x509 -in "$out/$second/cert.pem" -noout -serial)"
check "... and reload ran again" test -e "$work/reloaded"
rm -f "$work/reloaded"
expect_match "show prints the TLSA" "TLSA 3 1 1: $want" "$(jobrun cert-renew -- show 2>&1)"
log=$(ls "$crs/logs" | tail -n 1)
expect_match "each run is logged in the job's state" "TLSA 3 1 1: $want" "$(cat "$crs/logs/$log")"

# --- failures leave every earlier file and link as it was ---
before=$(snapshot "$out")
res=$(jobrun cert-renew --set tlsa=0000000000000000000000000000000000000000000000000000000000000000 -- issue 2>&1)
rc=$?
check "a wrong expected TLSA fails (exit $rc)" test "$rc" -ne 0
expect_match "... naming the setting" "setting tlsa" "$res"
expect_eq "... and output is untouched" "$before" "$(snapshot "$out")"
csr_before=$(sha256sum <"$crs/csr.der")
res=$(jobrun cert-renew --set tlsa= --set csr="$work/keys/other.csr" -- issue 2>&1); rc=$?
check "a CSR of another key fails (exit $rc)" test "$rc" -ne 0
expect_eq "... output untouched" "$before" "$(snapshot "$out")"
expect_eq "... the CSR in state too" "$csr_before" "$(sha256sum <"$crs/csr.der")"
check "... and no reload" test ! -e "$work/reloaded"
url=$PEBBLE_URL
pebble_stop
as_user mkdir "$work/webroot2"
res=$(jobrun cert-renew --set server="$url" --set webroot="$work/webroot2" --set ca=/etc/ssl/certs/ca-certificates.crt \
	-- issue 2>&1); rc=$?
check "with the ACME server stopped the run fails (exit $rc)" test "$rc" -ne 0
expect_match "... showing certbot's log" "letsencrypt.log" "$res"
expect_eq "... output untouched" "$before" "$(snapshot "$out")"
check "... no staging directory left" test -z "$(find "$out" -mindepth 1 -maxdepth 1 -name '.*')"
check "... and no reload" test ! -e "$work/reloaded"

# --- tpm2 on swtpm, its state kept between runs ---
res=$(jobrun tpm2 --set tpm=swtpm -- init 2>&1); rc=$?
expect_eq "tpm2 init (creating its container) exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
expect_match "... and makes the storage key" "created and persisted at 0x81000001" "$res"
expect_match "a second init finds it" "storage key present at 0x81000001" "$(jobrun tpm2 -- init 2>&1)"
res=$(jobrun tpm2 -- status 2>&1)
expect_eq "one persistent handle, 0x81000001" "- 0x81000001" "$(grep '^- 0x' <<<"$res")"
expect_match "status shows TPM_PT_HR_TRANSIENT_MIN" "TPM_PT_HR_TRANSIENT_MIN: 0x3" "$res"
in_before=$(sha256sum <"$work/keys/key1.pem")
res=$(jobrun tpm2 --set in="$work/keys/key1.pem" -- wrap key1.tss 2>&1); rc=$?
expect_eq "wrap exits 0" 0 "$rc"
expect_eq "... writing a TSS2 PRIVATE KEY" "-----BEGIN TSS2 PRIVATE KEY-----" "$(head -n 1 "$tps/key1.tss" 2>&1)"
expect_eq "... leaving the PEM key unchanged" "$in_before" "$(sha256sum <"$work/keys/key1.pem")"
echo "signed in the TPM" >"$tps/msg" && chown "$TEST_USER:" "$tps/msg"
res=$(jobrun tpm2 -- sign key1.tss msg msg.sig 2>&1); rc=$?
expect_eq "a signature through the tpm2 provider: exit 0" 0 "$rc"
openssl pkey -in "$work/keys/key1.pem" -pubout -out "$work/keys/key1.pub"
check "... verifies with the original public key" \
	openssl pkeyutl -verify -out /dev/null -pubin -inkey "$work/keys/key1.pub" -rawin -digest sha256 -in "$tps/msg" -sigfile "$tps/msg.sig"
res=$(jobrun tpm2 --set domains="a.test www.a.test" -- csr key1.tss key1.csr 2>&1); rc=$?
expect_eq "a CSR signed in the TPM: exit 0" 0 "$rc"
check "... openssl req -verify accepts it" sh -c "openssl req -in '$tps/key1.csr' -noout -verify 2>&1 | grep -q 'verify OK'"
expect_eq "... it has the wrapped key's TLSA" "$want" "$(tlsa_csr "$tps/key1.csr")"
res=$(jobrun tpm2 -- genkey gen.tss ecc256 2>&1); rc=$?
expect_eq "a key generated in the TPM: exit 0" 0 "$rc"
res=$(jobrun tpm2 --set domains="b.test mail.b.test" -- csr gen.tss gen.csr 2>&1); rc=$?
expect_eq "... and its CSR" 0 "$rc"
gen_tlsa=$(tlsa_csr "$tps/gen.csr")
check "no swtpm is left running" test -z "$(pgrep -f 'swtpm socket')"

# --- TPM key -> CSR -> certificate, TLSA unchanged ---
pebble_start "$work/pebble" "$TEST_USER" || prereq_fail "pebble starts again"
res=$(jobrun cert-renew --set server="$PEBBLE_URL" --set webroot="$PEBBLE_WEBROOT" --set ca="$PEBBLE_CA" \
	--set csr="$tps/key1.csr" --set tlsa="$want" -- issue 2>&1); rc=$?
expect_eq "the TPM-signed CSR of the wrapped key is issued" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
expect_eq "... with the TLSA unchanged" "$want" "$(tlsa_cert "$out/cert.pem")"
expect_eq "... in a third dated directory" 3 "$(find "$out" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)"

# An instance (JOB@NAME): settings and state of its own, the same container.
b=(--set domains="b.test mail.b.test" --set server="$PEBBLE_URL" --set webroot="$PEBBLE_WEBROOT"
	--set output="$work/out-b" --set ca="$PEBBLE_CA")
res=$(jobrun cert-renew@b "${b[@]}" --set csr="$tps/gen.csr" 2>&1); rc=$?
expect_eq "cert-renew@b: a certificate for the key made in the TPM" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
expect_eq "... in the job's container: no other was made" "job-cert-renew job-tpm2" \
	"$(as_user "$CR" list | awk '$1 ~ /^job-/ { print $1 }' | sort | xargs)"
expect_eq "... the other instance's certificate untouched" "$want" "$(tlsa_cert "$out/cert.pem")"

# The same job in an arm64 container: the jobs do not depend on the arch.
start=$(date +%s)
as_user "$CR" create certs-arm64 --arch arm64 --include certbot,openssl,ca-certificates --quiet >/dev/null ||
	prereq_fail "create an arm64 container with certbot"
diag "arm64 container with certbot bootstrapped in $(($(date +%s) - start)) s"
res=$(jobrun cert-renew@b --container certs-arm64 --set tlsa="$gen_tlsa" -- issue 2>&1); rc=$?
expect_eq "cert-renew in an arm64 container: a second certificate" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$res"
expect_eq "... with the TPM key's TLSA" "$gen_tlsa" "$(tlsa_cert "$work/out-b/cert.pem")"
expect_eq "... two dated directories" 2 "$(find "$work/out-b" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)"
res=$(jobrun cert-renew@b --container certs-arm64 --set tlsa= --set key="$work/keys/key2.pem" -- rekey 2>&1); rc=$?
expect_eq "rekey to another key exits 0" 0 "$rc"
expect_match "... printing the new TLSA to publish" "association data: $(tlsa_key "$work/keys/key2.pem")" "$res"
expect_eq "... and the new certificate has the new key" "$(tlsa_key "$work/keys/key2.pem")" "$(tlsa_cert "$work/out-b/cert.pem")"

pebble_stop
done_testing
