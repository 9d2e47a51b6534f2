# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Helpers for the end-to-end tests of the bundled jobs (sourced by bash).
#
# pebble_start DIR [OWNER] starts a private ACME server for cert-renew:
# Debian's pebble, with real http-01 validation.  pebble's validation
# authority resolves every name to 127.0.0.1 through pebble-challtestsrv's
# DNS and fetches http://NAME:PORT/.well-known/acme-challenge/TOKEN from a
# small HTTP server that serves a webroot, the one a job writes its
# challenge files into.  Everything listens on 127.0.0.1 only, on free
# ports chosen at start; pebble_stop ends every process it started.
#
# Exported after pebble_start:
#   PEBBLE_URL      the ACME directory (https://127.0.0.1:PORT/dir)
#   PEBBLE_CA       PEM file of the CA that signed pebble's listener cert
#                   (give it to certbot as REQUESTS_CA_BUNDLE)
#   PEBBLE_WEBROOT  the directory served for http-01 (owned by OWNER)
#   PEBBLE_MGMT     pebble's management API (roots/0 is the issuing root)
#   PEBBLE_LOG      directory of the three servers' logs
#
# Needs on the host: pebble (ships pebble-challtestsrv), openssl, python3,
# curl, util-linux (setpriv).  Debian's /usr/bin/python3 is named: a python3
# earlier in root's PATH (pyenv shims) may not run as OWNER.

_pebble_pids=""
_pebble_dir=""

# A TCP and UDP port on 127.0.0.1 that nothing uses now.  Another process
# could take it before ours binds: _pebble_wait_up turns that into a clear
# failure instead of a hang.
_pebble_free_port() {
	/usr/bin/python3 -c '
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); u.close(); continue
    print(port)
    break
'
}

# _pebble_wait_up WHAT PID COMMAND...: poll COMMAND for up to 15 s while PID lives.
_pebble_wait_up() {
	local what=$1 pid=$2
	shift 2
	for _ in $(seq 150); do
		"$@" >/dev/null 2>&1 && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "pebble_start: $what exited; its log:" >&2
			tail -n 20 "$PEBBLE_LOG/$what.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "pebble_start: $what did not answer within 15 s" >&2
	return 1
}

# A throwaway CA and a cert for 127.0.0.1/localhost signed by it: pebble
# ships none for its listener, and a self-signed leaf as trust anchor is
# refused by stricter verifiers.
_pebble_make_tls() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=crossroot jobs test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		2>/dev/null || return 1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/listener.key" -out "$d/listener.csr" -subj "/CN=localhost" 2>/dev/null || return 1
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		"basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" >"$d/listener.ext"
	openssl x509 -req -in "$d/listener.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/listener.ext" -out "$d/listener.pem" 2>/dev/null
}

# pebble_start DIR [OWNER]: DIR is created (or must be empty); OWNER (a user
# name) gets the webroot, and the HTTP server that serves it runs as OWNER.
pebble_start() {
	local dir=$1 owner=${2:-} api mgmt http tlsalpn dns dnsmgmt pid
	if [ -n "$_pebble_pids" ]; then
		echo "pebble_start: already started; call pebble_stop first" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	if [ -n "$(ls -A "$dir")" ]; then
		echo "pebble_start: $dir is not empty" >&2
		return 1
	fi
	dir=$(cd "$dir" && pwd)
	_pebble_dir=$dir
	chmod 755 "$dir"
	export PEBBLE_LOG="$dir/log" PEBBLE_WEBROOT="$dir/webroot"
	mkdir -p "$PEBBLE_LOG" "$PEBBLE_WEBROOT" "$dir/tls"
	_pebble_make_tls "$dir/tls" || { echo "pebble_start: openssl could not make the listener cert" >&2; return 1; }
	export PEBBLE_CA="$dir/tls/ca.pem"
	chmod 644 "$PEBBLE_CA"
	if [ -n "$owner" ]; then
		chown "$owner:" "$PEBBLE_WEBROOT" || return 1
	fi

	api=$(_pebble_free_port) mgmt=$(_pebble_free_port) http=$(_pebble_free_port)
	tlsalpn=$(_pebble_free_port) dns=$(_pebble_free_port) dnsmgmt=$(_pebble_free_port)
	cat >"$dir/pebble.json" <<-EOF
	{
	  "pebble": {
	    "listenAddress": "127.0.0.1:$api",
	    "managementListenAddress": "127.0.0.1:$mgmt",
	    "certificate": "$dir/tls/listener.pem",
	    "privateKey": "$dir/tls/listener.key",
	    "httpPort": $http,
	    "tlsPort": $tlsalpn,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": false
	  }
	}
	EOF

	# Every A query answers 127.0.0.1; no AAAA, so the VA never tries ::1.
	# Its own challenge servers are off: the webroot server answers http-01.
	pebble-challtestsrv -dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
		-management "127.0.0.1:$dnsmgmt" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
		>"$PEBBLE_LOG/challtestsrv.log" 2>&1 &
	pid=$!
	_pebble_pids="$pid"
	_pebble_wait_up challtestsrv "$pid" curl -s -o /dev/null "http://127.0.0.1:$dnsmgmt/" || { pebble_stop; return 1; }

	if [ -n "$owner" ]; then
		setpriv --reuid="$owner" --regid="$(id -g "$owner")" --init-groups \
			/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$PEBBLE_WEBROOT" "$http" \
			>"$PEBBLE_LOG/webroot.log" 2>&1 &
	else
		/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$PEBBLE_WEBROOT" "$http" \
			>"$PEBBLE_LOG/webroot.log" 2>&1 &
	fi
	pid=$!
	_pebble_pids="$_pebble_pids $pid"
	_pebble_wait_up webroot "$pid" curl -s -o /dev/null "http://127.0.0.1:$http/" || { pebble_stop; return 1; }

	# No sleep before validation, and no random nonce rejection: certbot
	# retries a bad nonce only once, which makes runs flaky.
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
		pebble -config "$dir/pebble.json" -dnsserver "127.0.0.1:$dns" \
		>"$PEBBLE_LOG/pebble.log" 2>&1 &
	pid=$!
	_pebble_pids="$_pebble_pids $pid"
	export PEBBLE_URL="https://127.0.0.1:$api/dir" PEBBLE_MGMT="https://127.0.0.1:$mgmt"
	_pebble_wait_up pebble "$pid" curl -sf --cacert "$PEBBLE_CA" -o /dev/null "$PEBBLE_URL" || { pebble_stop; return 1; }
	return 0
}

# pebble_stop: ends the servers (TERM, then KILL after 3 s) and removes
# the directory pebble_start filled.  Safe to call twice.
pebble_stop() {
	local pid alive
	for pid in $_pebble_pids; do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in $(seq 30); do
		alive=""
		for pid in $_pebble_pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $_pebble_pids; do
		# Gone already after TERM is the usual case, not an error (callers may run under set -e).
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	_pebble_pids=""
	[ -n "$_pebble_dir" ] && rm -rf "$_pebble_dir"
	_pebble_dir=""
	unset PEBBLE_URL PEBBLE_MGMT
	return 0
}
