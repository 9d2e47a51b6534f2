#!/bin/bash
# Streams and images: export to stdout and create from stdin; export
# --format oci loaded and run by podman; create --from-oci of what podman
# saves (oci-archive and docker-archive), whiteouts honoured; damaged,
# foreign and hostile images refused.
. "$(dirname "$0")/lib.sh"
setup_mapped
chmod a+rwx "$E2E_DIR"
command -v podman >/dev/null || prereq_fail "podman is not installed (contrib/install-deps.sh)"
command -v script >/dev/null || prereq_fail "script (bsdutils) is not installed"

# podman with a store of its own in the test directory: the host's images
# are never seen or touched, and the store goes with the test.
PM_STORE=$E2E_DIR/podman
# runc, not crun: crun refuses hosts whose cgroup v2 hierarchy holds controllers
# while v1 has the rest ("hybrid mode").  The limits are lowered, never raised:
# root without CAP_SYS_RESOURCE (a container) cannot raise them to podman's defaults.
pm() { podman --root "$PM_STORE/root" --runroot "$PM_STORE/run" --storage-driver overlay --runtime runc "$@"; }
pm_run() { pm run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none "$@"; }
registered=
binfmt_was_mounted=$(grep -w binfmt_misc /proc/self/mounts)
_streams_cleanup() {
	if [ -d "$PM_STORE" ]; then
		pm rm -af >/dev/null 2>&1
		pm rmi -af >/dev/null 2>&1
		umount -R "$PM_STORE/root/overlay" 2>/dev/null
	fi
	# Only the entries this test registered go, and binfmt_misc's mount if it made it.
	for e in $registered; do echo -1 >"/proc/sys/fs/binfmt_misc/$e"; done
	if [ -z "$binfmt_was_mounted" ] && [ "$(ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -cv '^register$\|^status$')" = 0 ]; then
		umount /proc/sys/fs/binfmt_misc 2>/dev/null
	fi
	_e2e_cleanup
}
trap _streams_cleanup EXIT
containers=$TEST_HOME/.local/share/crossroot/containers
no_container() { ! ls -A "$containers" | grep -q -- "$1"; }
# The tree at $1 listed with name, type, mode, owner, size, link target and content digest.
tree_listing() {
	(cd "$1" && find . -path ./proc -prune -o -printf '%p %y %m %u:%g %s %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort -k2)
}

create_container c arm64
as_user "$CR" run c --root -- /bin/sh -c \
	'mkdir /opq && echo a >/opq/a && echo b >/opq/b && echo w >/whiteme && echo k >/keepme && chown 1234:4321 /keepme'

# --- export to stdout, create from stdin ---------------------------------------------------
as_user sh -c '"$1" export c - | "$1" create c2 --arch arm64 --from-tar -' sh "$CR" >/dev/null
expect_eq "export c - | create c2 --from-tar - exits 0" 0 $?
expect_eq "... and the copy is the same file by file (types, modes, owners, contents)" \
	"$(tree_listing "$containers/c/rootfs")" "$(tree_listing "$containers/c2/rootfs")"
out=$(as_user sh -c '"$1" export c - 2>/dev/null | tar -tvf - --numeric-owner' sh "$CR")
expect_match "stdout holds a plain tar and nothing else" ' 1234/4321 .* \./keepme$' "$out"
zstd -q -c "$E2E_DIR/rootfs/rootfs-arm64.tar" >"$E2E_DIR/r.tar.zst" && chmod a+r "$E2E_DIR/r.tar.zst"
as_user sh -c '"$1" create cz --arch arm64 --from-tar - <"$2"' sh "$CR" "$E2E_DIR/r.tar.zst" >/dev/null
expect_eq "a zstd tarball on stdin is told by its content" aarch64 "$(as_user "$CR" run cz -- /bin/uname -m)"
out=$(as_user script -qec "$CR export c -; echo rc=\$?" /dev/null)
expect_match "export to a terminal is refused" "refusing to write a tarball to a terminal" "$out"
expect_match "... as bad usage (exit status 2)" 'rc=2' "$out"
out=$(as_user bash -c '"$1" export c - 2>"$2/epipe.err" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' bash "$CR" "$E2E_DIR")
expect_eq "export to a pipe closed early exits 1" 1 "$out"
expect_match "... saying why" "exporting 'c' to stdout: .*Broken pipe" "$(cat "$E2E_DIR/epipe.err")"
err=$(as_user sh -c '"$1" export c - >&-' sh "$CR" 2>&1); rc=$?
expect_eq "export to a closed stdout exits 1 (the tarball would be lost)" 1 "$rc"
expect_match "... saying so" "stdout is closed: the tarball would be lost" "$err"
err=$(as_user sh -c '"$1" create closed-stdin --arch arm64 --from-tar - <&-' sh "$CR" 2>&1); rc=$?
expect_eq "create --from-tar - with stdin closed exits 1" 1 "$rc"
expect_match "... saying so" "stdin is closed: nothing to import" "$err"
out=$(as_user script -qec "$CR create tty-stdin --arch arm64 --from-tar -; echo rc=\$?" /dev/null </dev/null)
expect_match "create --from-tar - from a terminal is refused (exit 2)" "refusing to read a tarball from a terminal.*rc=2" \
	"$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')"
# A file another user put at the name export writes first is never written into.
mkdir -m 1777 "$E2E_DIR/shared"
printf planted >"$E2E_DIR/shared/out.tar.part" && chown nobody "$E2E_DIR/shared/out.tar.part" &&
	chmod 666 "$E2E_DIR/shared/out.tar.part"
as_user "$CR" export c "$E2E_DIR/shared/out.tar"
expect_eq "export beside another user's out.tar.part exits 0" 0 $?
expect_eq "... the tarball is the user's, not the other's" "$TEST_USER" "$(stat -c %U "$E2E_DIR/shared/out.tar")"
expect_eq "... and the planted file holds what it held" planted "$(cat "$E2E_DIR/shared/out.tar.part")"
expect_eq "... and no temporary file is left" "out.tar out.tar.part" "$(ls "$E2E_DIR/shared" | xargs)"
err=$(as_user sh -c 'echo not a tarball | "$1" create bad-stdin --arch arm64 --from-tar -' sh "$CR" 2>&1); rc=$?
expect_eq "garbage on stdin is refused" 1 "$rc"
expect_match "... naming stdin" "creating 'bad-stdin': stdin: " "$err"
check "... and no container is left" no_container bad-stdin

# --- export --format oci ------------------------------------------------------------------
as_user "$CR" export --format oci c "$E2E_DIR/c.tar"
expect_eq "export --format oci to NAME.tar exits 0" 0 $?
as_user "$CR" export --format oci c "$E2E_DIR/c-layout"
expect_eq "export --format oci to a directory exits 0" 0 $?
platform() {
	python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
blob = lambda digest: json.load(open(d + "/blobs/sha256/" + digest.split(":")[1]))
desc = json.load(open(d + "/index.json"))["manifests"][0]
config = blob(blob(desc["digest"])["config"]["digest"])
p = desc["platform"]
print("%s/%s/%s %s/%s/%s %s" % (p["os"], p["architecture"], p.get("variant", "-"), config["os"],
      config["architecture"], config.get("variant", "-"), desc["annotations"]["org.opencontainers.image.ref.name"]))
PY
}
expect_eq "the layout's index and config say linux/arm64/v8, the name localhost/c:latest" \
	"linux/arm64/v8 linux/arm64/v8 localhost/c:latest" "$(platform "$E2E_DIR/c-layout")"
check "... and its blobs match their digests" sh -c "cd '$E2E_DIR/c-layout/blobs/sha256' && for f in *; do echo \"\$f  \$f\"; done | sha256sum --quiet -c"
create_container hf armhf
as_user "$CR" export --format oci hf "$E2E_DIR/hf-layout"
expect_eq "an armhf container exports as linux/arm/v7" "linux/arm/v7 linux/arm/v7 localhost/hf:latest" \
	"$(platform "$E2E_DIR/hf-layout")"
err=$(as_user "$CR" export --format oci c "$E2E_DIR/c-layout" 2>&1); rc=$?
expect_eq "exporting over an existing directory fails" 1 "$rc"
expect_match "... saying so" "exists already" "$err"
err=$(as_user "$CR" export --format oci c "$E2E_DIR/c.tar.gz" 2>&1); rc=$?
expect_eq "an OCI archive named .tar.gz is bad usage" 2 "$rc"

# podman loads it and runs it under the host's binfmt entry for arm64.
out=$("$CR" binfmt register 2>&1) || prereq_fail "crossroot binfmt register: $out"
registered=$(printf '%s\n' "$out" | awk '$2 == "registered" { print $3 }')
grep -q '^enabled' /proc/sys/fs/binfmt_misc/crossroot-aarch64 2>/dev/null ||
	ls /proc/sys/fs/binfmt_misc | grep -q aarch64 || prereq_fail "no binfmt entry for arm64 host-wide"
out=$(pm load -i "$E2E_DIR/c.tar" 2>&1)
expect_match "podman load accepts the oci-archive" "Loaded image.*localhost/c:latest" "$out"
expect_eq "podman sees linux/arm64" "linux/arm64" \
	"$(pm image inspect --format '{{.Os}}/{{.Architecture}}' localhost/c:latest)"
out=$(pm_run --rm --arch arm64 localhost/c:latest /bin/sh -c 'uname -m' 2>&1)
expect_eq "podman run --arch arm64 of it prints aarch64" aarch64 "$out"
out=$(as_user "$CR" export --format oci c - | pm load 2>&1)
expect_match "an oci-archive on stdout loads too" "Loaded image.*localhost/c:latest" "$out"

# An image of two more layers: one deletes a file (whiteout) and recreates a
# directory (opaque), one adds a file; podman saves it in both formats.
pm_run --arch arm64 --name wh localhost/c:latest /bin/sh -c \
	'rm /whiteme && rm -r /opq && mkdir /opq && echo c >/opq/c' >/dev/null 2>&1 || prereq_fail "podman run wh"
pm commit -q wh localhost/c-wh >/dev/null || prereq_fail "podman commit wh"
for format in oci-archive docker-archive; do
	pm save -q --format "$format" -o "$E2E_DIR/$format.tar" localhost/c-wh:latest || prereq_fail "podman save $format"
	chmod a+r "$E2E_DIR/$format.tar"
done
layers=$(mkdir "$E2E_DIR/peek" && tar -xf "$E2E_DIR/docker-archive.tar" -C "$E2E_DIR/peek" &&
	for l in "$E2E_DIR"/peek/*.tar; do tar -tf "$l"; done)
expect_match "the saved image has a whiteout" '(^|/)\.wh\.whiteme$' "$layers"
expect_match "... and an opaque directory" '^(\./)?opq/\.wh\.\.wh\.\.opq$' "$layers"
for format in oci-archive docker-archive; do
	err=$(as_user "$CR" create "from-$format" --arch arm64 --from-oci "$E2E_DIR/$format.tar" 2>&1); rc=$?
	expect_eq "create --from-oci of a podman $format exits 0" 0 "$rc"
	r=$containers/from-$format/rootfs
	check "... the whited-out file is absent" test ! -e "$r/whiteme"
	check "... the opaque directory lost what lower layers put in it" sh -c "test ! -e '$r/opq/a' && test ! -e '$r/opq/b'"
	expect_eq "... and holds what the upper layer put" c "$(cat "$r/opq/c" 2>&1)"
	expect_eq "... owners are kept" "1234 4321" "$(as_user "$CR" run "from-$format" -- /bin/stat -c '%u %g' /keepme)"
	check "... no whiteout file is left" sh -c "! find '$r' -name '.wh.*' | grep -q ."
	check "... nothing of the unpacked archive is left" test ! -e "$containers/from-$format/image"
done
as_user sh -c '"$1" create from-stdin --arch arm64 --from-oci - <"$2"' sh "$CR" "$E2E_DIR/oci-archive.tar" >/dev/null
expect_eq "an oci-archive on stdin imports" aarch64 "$(as_user "$CR" run from-stdin -- /bin/uname -m)"
as_user "$CR" create from-layout --arch arm64 --from-oci "$E2E_DIR/c-layout" >/dev/null
expect_eq "an OCI layout directory imports" aarch64 "$(as_user "$CR" run from-layout -- /bin/uname -m)"
check "... and the exported files came back" test -e "$containers/from-layout/rootfs/whiteme"

# --- refusals -----------------------------------------------------------------------------
# bad NAME SOURCE WHAT ARCH: create --from-oci refused (exit 1), the message matching WHAT, nothing left.
bad() {
	err=$(as_user "$CR" create "$1" --arch "${4:-arm64}" --from-oci "$2" 2>&1); rc=$?
	expect_eq "$1: refused with exit status 1" 1 "$rc"
	expect_match "... saying why" "$3" "$err"
	check "... and no container is left" no_container "$1"
}
cp -r "$E2E_DIR/c-layout" "$E2E_DIR/damaged"
python3 - "$E2E_DIR/damaged" <<'PY'
import json, sys
d = sys.argv[1]
blob = lambda digest: d + "/blobs/sha256/" + digest.split(":")[1]
manifest = json.load(open(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))
with open(blob(manifest["layers"][0]["digest"]), "r+b") as f:
    f.seek(1000)
    b = f.read(1)
    f.seek(1000)
    f.write(bytes([b[0] ^ 1]))
PY
chmod -R a+rX "$E2E_DIR/damaged"
bad damaged "$E2E_DIR/damaged" "blobs/sha256/[0-9a-f]{64}: the layer's content does not match its digest"
cp -r "$E2E_DIR/c-layout" "$E2E_DIR/fifo-blob"
config=$(python3 -c 'import json, sys
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
print(m["config"]["digest"][7:])' "$E2E_DIR/fifo-blob")
rm "$E2E_DIR/fifo-blob/blobs/sha256/$config" && mkfifo -m 644 "$E2E_DIR/fifo-blob/blobs/sha256/$config"
chmod -R a+rX "$E2E_DIR/fifo-blob"
err=$(as_user timeout 20 "$CR" create fifo-blob --arch arm64 --from-oci "$E2E_DIR/fifo-blob" 2>&1); rc=$?
expect_eq "a FIFO as a blob is refused at once (exit 1, no hang)" 1 "$rc"
expect_match "... as no regular file" "blobs/sha256/$config: not a regular file" "$err"
check "... and no container is left" no_container fifo-blob
mkdir "$E2E_DIR/dup" && tar -xf "$E2E_DIR/c.tar" -C "$E2E_DIR/dup" index.json && cp "$E2E_DIR/c.tar" "$E2E_DIR/dup.tar" &&
	tar -rf "$E2E_DIR/dup.tar" -C "$E2E_DIR/dup" index.json && chmod a+r "$E2E_DIR/dup.tar"
bad dup "$E2E_DIR/dup.tar" "index.json: the archive holds it twice"
bad wrong-arch "$E2E_DIR/c.tar" "the image is for linux/arm64/v8 \(arm64\), not armhf \(linux/arm/v7\): use --arch arm64" armhf
# make_image DIR LAYERS: an OCI layout of arm64 with every digest right; LAYERS is
# JSON: a list of layers, each a list of [name, type, content-or-link-target].
make_image() {
	python3 - "$1" "$2" <<'PY'
import hashlib, io, json, os, sys, tarfile
d, layers = sys.argv[1], json.loads(sys.argv[2])
os.makedirs(d + "/blobs/sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
descs = []
for members in layers:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, kind, value in members:
            i = tarfile.TarInfo(name)
            if kind == "symlink":
                i.type, i.linkname = tarfile.SYMTYPE, value
                t.addfile(i)
            elif kind == "dir":
                i.type, i.mode = tarfile.DIRTYPE, 0o755
                t.addfile(i)
            else:
                i.size = len(value)
                t.addfile(i, io.BytesIO(value.encode()))
    descs.append(put(buf.getvalue()))
config = put(json.dumps({"os": "linux", "architecture": "arm64", "variant": "v8",
                         "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in descs]}}).encode())
manifest = put(json.dumps({"schemaVersion": 2, "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
                           "layers": [dict(l, mediaType="application/vnd.oci.image.layer.v1.tar") for l in descs]}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(manifest, mediaType="application/vnd.oci.image.manifest.v1+json")]},
          open(d + "/index.json", "w"))
PY
	chmod -R a+rX "$1"
}
up=../../../../../../${TEST_HOME#/}
make_image "$E2E_DIR/dotdot" "[[[\"$up/target\", \"file\", \"overwritten\"]]]"
make_image "$E2E_DIR/wh-symlink" "[[[\"escape\", \"symlink\", \"$TEST_HOME\"]], [[\"escape/.wh.target\", \"file\", \"\"]]]"
make_image "$E2E_DIR/opq-symlink" "[[[\"escape\", \"symlink\", \"$TEST_HOME\"]], [[\"escape/.wh..wh..opq\", \"file\", \"\"]]]"
as_user sh -c 'echo keep > ~/target'
bad dotdot "$E2E_DIR/dotdot" "member \.\./.*target: absolute or '\.\.' member name: refused"
expect_eq "... and the file outside is intact" keep "$(cat "$TEST_HOME/target")"
for w in wh-symlink opq-symlink; do
	bad "$w" "$E2E_DIR/$w" "member escape/\.wh\..*: whiteout in a directory reached through a symlink: refused"
	expect_eq "... and the file outside is intact" keep "$(cat "$TEST_HOME/target")"
done
(cd "$E2E_DIR/dotdot" && tar -cf "$E2E_DIR/absolute.tar" --transform='s,^\./index.json$,/index.json,' -P ./index.json)
chmod a+r "$E2E_DIR/absolute.tar"
bad absolute "$E2E_DIR/absolute.tar" "member /index.json: absolute or '\.\.' member name: refused"
err=$(as_user "$CR" create both --arch arm64 --from-tar "$E2E_DIR/c.tar" --from-oci "$E2E_DIR/c.tar" 2>&1); rc=$?
expect_eq "--from-tar with --from-oci is bad usage" 2 "$rc"

done_testing
