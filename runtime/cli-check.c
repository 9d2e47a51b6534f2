/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot check: what this host supports, one line per item, a hint per problem. */
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>

#include "../binfmt/binfmt.h"
#include "cli.h"
#include "config.h"
#include "host.h"

enum level { OK, INFO, WARN, FAIL };

struct report {
	bool failed;
	char last_hint[512];
	struct json_object *items; /* with --json: the items, printed at the end; else NULL */
};

static void item(struct report *rep, enum level level, const char *label, const char *fmt, ...) _printf_(4, 5);

static void item(struct report *rep, enum level level, const char *label, const char *fmt, ...)
{
	static const char *const words[] = { [OK] = "ok", [INFO] = "--", [WARN] = "warn", [FAIL] = "FAIL" };
	static const char *const json_words[] = { [OK] = "ok", [INFO] = "info", [WARN] = "warn", [FAIL] = "fail" };
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (level == FAIL)
		rep->failed = true;
	if (rep->items) {
		/* Each item carries its own hints: one repeated is repeated. */
		rep->last_hint[0] = '\0';
		struct json_object *obj = jc.json_object_new_object();

		cli_json_add_string(obj, "item", label);
		cli_json_add_string(obj, "level", json_words[level]);
		cli_json_add_string(obj, "message", text);
		cli_json_add(obj, "hints", jc.json_object_new_array());
		cli_json_add(rep->items, NULL, obj);
		return;
	}
	printf("%-5s %s: %s\n", words[level], label, text);
}

/*
 * A hint on stdout, part of the report (with --json, in the last item's
 * "hints"); the same hint twice in a row is printed once.
 */
static void hint(struct report *rep, const char *fmt, ...) _printf_(2, 3);

static void hint(struct report *rep, const char *fmt, ...)
{
	char text[sizeof(rep->last_hint)];
	struct json_object *last, *hints;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (streq(text, rep->last_hint))
		return;
	snprintf(rep->last_hint, sizeof(rep->last_hint), "%s", text);
	if (!rep->items) {
		printf("Hint: %s\n", text);
		return;
	}
	n = jc.json_object_array_length(rep->items);
	if (n && (last = jc.json_object_array_get_idx(rep->items, n - 1)) &&
	    jc.json_object_object_get_ex(last, "hints", &hints))
		cli_json_add_string(hints, NULL, text);
}

static void check_kernel(struct report *rep, bool *sandbox_kernel)
{
	struct kernel_version v;
	int r = host_kernel_version(&v);

	*sandbox_kernel = false;
	if (r < 0) {
		item(rep, WARN, "kernel", "version unreadable (%s)", strerror(-r));
		return;
	}
	*sandbox_kernel = kernel_at_least(&v, 6, 7);
	/*
	 * The newest call crossroot cannot do without: mount_setattr(2), 5.12,
	 * for read-only binds.  Before it: the new mount API (open_tree,
	 * move_mount, fsopen) 5.2, pidfd_open 5.3, openat2 5.6, setns(2) on a
	 * pidfd and STATX_MNT_ID 5.8.  close_range(2)'s CLOSE_RANGE_CLOEXEC
	 * (5.11) has a fallback.
	 */
	if (!kernel_at_least(&v, 5, 12)) {
		item(rep, FAIL, "kernel", "%s (crossroot needs Linux >= 5.12: mount_setattr, openat2, pidfd setns)",
		     v.release);
		hint(rep, "boot a newer kernel");
		return;
	}
	item(rep, OK, "kernel", "%s%s", v.release,
	     *sandbox_kernel ? "" : " (< 6.7: no sandboxed binfmt_misc; root registers emulators host-wide)");
}

static void check_sysctl(struct report *rep, const char *name, long bad, const char *fix)
{
	char label[96];
	long value;
	int r = host_sysctl_read(name, &value);

	snprintf(label, sizeof(label), "sysctl %s", name);
	for (char *p = label; *p; p++)
		if (*p == '/')
			*p = '.';
	if (r == -ENOENT) {
		item(rep, INFO, label, "not present on this kernel");
		return;
	}
	if (r < 0) {
		item(rep, WARN, label, "unreadable (%s)", strerror(-r));
		return;
	}
	if (value == bad) {
		item(rep, WARN, label, "%ld (restricts unprivileged user namespaces)", value);
		hint(rep, "as root: %s", fix);
		return;
	}
	item(rep, OK, label, "%ld", value);
}

static bool check_userns(struct report *rep)
{
	int r = host_userns_probe();

	if (r == 0 && (r = host_userns_root_probe()) == -EPERM) {
		item(rep, FAIL, "user namespaces",
		     "can create one but not be root in it: this process lacks CAP_SETFCAP (Linux >= 5.12 "
		     "requires it to map uid 0), as inside a container that dropped it");
		hint(rep, "inside a crossroot container: run the outer one with --root; in Docker or Kubernetes: "
			  "keep CAP_SETFCAP (see README, Nested)");
		r = -EPERM;
	} else if (r == 0)
		item(rep, OK, "user namespaces", "an unprivileged process can create one and be root in it");
	else {
		item(rep, FAIL, "user namespaces", "cannot create one (%s)", strerror(-r));
		hint(rep, "enable unprivileged user namespaces (see the sysctl lines)");
	}
	check_sysctl(rep, "user/max_user_namespaces", 0, "sysctl -w user.max_user_namespaces=15000");
	check_sysctl(rep, "kernel/unprivileged_userns_clone", 0, "sysctl -w kernel.unprivileged_userns_clone=1");
	check_sysctl(rep, "kernel/apparmor_restrict_unprivileged_userns", 1,
		     "load crossroot's AppArmor profile (make install puts it in /etc/apparmor.d/crossroot): "
		     "apparmor_parser -r /etc/apparmor.d/crossroot");
	return r == 0;
}

static bool binfmt_misc_known(void)
{
	char text[8192];

	return read_file_at(AT_FDCWD, "/proc/filesystems", text, sizeof(text)) > 0 && strstr(text, "\tbinfmt_misc\n");
}

/* Returns whether foreign binaries can run: sandboxed binfmt_misc, or host entries. */
static bool check_binfmt(struct report *rep, bool userns, bool sandbox_kernel, int *sandbox)
{
	*sandbox = 0;
	if (!binfmt_misc_known()) {
		item(rep, FAIL, "binfmt_misc", "not in /proc/filesystems");
		hint(rep, "as root: modprobe binfmt_misc");
		return false;
	}
	item(rep, OK, "binfmt_misc", "available");
	if (!userns) {
		*sandbox = -EPERM;
		item(rep, WARN, "sandboxed binfmt_misc", "not tested: user namespaces are unavailable");
		return false;
	}
	*sandbox = binfmt_sandbox_probe();
	if (*sandbox > 0) {
		item(rep, OK, "sandboxed binfmt_misc", "supported: emulators are registered without root");
		return true;
	}
	item(rep, WARN, "sandboxed binfmt_misc", "not supported%s",
	     sandbox_kernel ? " (refused by policy)" : " (needs Linux >= 6.7)");
	hint(rep, "as root, once per boot: crossroot binfmt register");
	return false;
}

/* The binfmt mode containers will use, and why.  Returns 1 when it is a sandboxed instance. */
static int check_binfmt_mode(struct report *rep, bool sandbox)
{
	enum binfmt_mode mode;
	char source[PATH_MAX + 200];
	struct cr_error err;
	int r = config_binfmt_mode(0, &mode, source, sizeof(source), &err);

	if (r < 0) {
		item(rep, FAIL, "binfmt mode", "%s", cr_message(&err));
		hint(rep, "%s",
		     strncmp(err.message, "CROSSROOT_BINFMT", 16)
			     ? "fix that line of the settings file ('crossroot config --help' says what a line holds)"
			     : "set CROSSROOT_BINFMT to auto, sandboxed or host, or unset it");
		return sandbox;
	}
	if (mode == BINFMT_MODE_HOST) {
		item(rep, OK, "binfmt mode", "host (%s): the host-wide entries root registered", source);
		return 0;
	}
	if (mode == BINFMT_MODE_SANDBOXED && !sandbox) {
		item(rep, FAIL, "binfmt mode", "sandboxed (%s), but sandboxed binfmt_misc is unavailable here", source);
		hint(rep, "use auto or host, with root's host-wide entries");
		return 0;
	}
	item(rep, OK, "binfmt mode", "%s (%s): %s", binfmt_mode_name(mode), source,
	     sandbox ? "each container registers the emulators in a sandboxed binfmt_misc"
		     : "the host-wide entries root registered (no sandboxed binfmt_misc here)");
	return sandbox;
}

/* One line per foreign arch; returns the number of usable emulators. */
static int check_emulators(struct report *rep, bool sandbox)
{
	_cleanup_close_ int host_fd = binfmt_host_open();
	char machine[65];
	int usable = 0;

	if (arch_host_machine(machine, sizeof(machine)) < 0)
		snprintf(machine, sizeof(machine), "unknown");
	for (size_t i = 0; i < arch_count(); i++) {
		const struct arch_info *arch = &arch_table[i];
		struct binfmt_entry entry;
		struct emulator emu;
		char label[64];

		snprintf(label, sizeof(label), "emulator %s", arch->name);
		if (emulator_find(arch, machine, getenv("PATH"), &emu) < 0 || emu.status == EMULATOR_NOT_FOUND) {
			item(rep, WARN, label, "none found");
			hint(rep, "%s", emulator_hint(&emu));
			continue;
		}
		if (emu.status == EMULATOR_NATIVE) {
			item(rep, OK, label, "not needed: runs natively on %s", machine);
			continue;
		}
		if (emu.status == EMULATOR_NOT_STATIC) {
			item(rep, WARN, label, "%s is dynamically linked", emu.rejected);
			hint(rep, "%s", emulator_hint(&emu));
			continue;
		}
		if (!sandbox && (host_fd < 0 || binfmt_find_claimant(host_fd, arch, NULL, &entry) <= 0)) {
			item(rep, WARN, label, "%s (static), but no host binfmt entry claims it", emu.interpreter);
			hint(rep, "as root, once per boot: crossroot binfmt register");
			continue;
		}
		if (!sandbox) {
			/* Host entries: name the one that runs them, crossroot's or another tool's. */
			item(rep, OK, label, "%s (static%s), through host entry %s (flags %s)", emu.path,
			     emu.preserve_argv0 ? ", keeps argv[0]" : "", entry.name,
			     entry.flags[0] ? entry.flags : "none");
			usable++;
			continue;
		}
		item(rep, OK, label, "%s (static%s)%s", emu.path, emu.preserve_argv0 ? ", keeps argv[0]" : "",
		     arch->native_host && streq(arch->native_host, machine)
			     ? ": this kernel refuses its programs natively (no 32-bit x86 support)"
			     : "");
		usable++;
	}
	return usable;
}

static void check_subids(struct report *rep, const char *file, const char *label, const char *user, unsigned long id)
{
	struct subid_range ranges[8];
	char text[256] = "";
	unsigned long total = 0;
	size_t n, used = 0;
	int r = subid_lookup(file, user, id, ranges, ARRAY_SIZE(ranges), &n);

	if (r < 0 && r != -ENOENT) {
		item(rep, WARN, label, "%s unreadable (%s)", file, strerror(-r));
		return;
	}
	if (r == -ENOENT || n == 0) {
		item(rep, WARN, label, "none for %s in %s (single mode only)", user, file);
		hint(rep,
		     "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s "
		     "(pick a free range)",
		     user);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(text + used, sizeof(text) - used, "%s%lu-%lu", i ? ", " : "", ranges[i].start,
				 ranges[i].start + ranges[i].count - 1);
		if (k > 0 && (size_t)k < sizeof(text) - used)
			used += (size_t)k;
		total += ranges[i].count;
	}
	if (total < 65536) {
		item(rep, WARN, label, "%s (%lu ids; Debian packages need 65536)", text, total);
		hint(rep, "as root: give %s a range of 65536 ids in %s", user, file);
		return;
	}
	item(rep, OK, label, "%s (%lu ids)", text, total);
}

static void check_setup(struct report *rep, uid_t uid)
{
	int r = host_setup_done(uid);

	if (r > 0)
		item(rep, OK, "setup", "done: mapped mode (" CROSSROOT_PIN_DIR "/%u)", (unsigned)uid);
	else if (r == 0)
		item(rep, INFO, "setup",
		     "not done: single mode (inside a container your own uid is uid 0 and no other id is mapped)");
	else
		item(rep, WARN, "setup", "cannot tell (%s)", strerror(-r));
}

int cmd_check(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot check [--json]\n"
				   "\n"
				   "Report what this host supports for crossroot, one line per item\n"
				   "(ok, -- for information, warn, FAIL), with a Hint: line per problem.\n"
				   "Exit status: 0 when you can build here, 1 otherwise.\n"
				   "\n"
				   "  --json  one JSON object: \"user\", \"ok\" (the exit status's verdict),\n"
				   "          \"foreign_architectures\" and \"items\", each with \"item\",\n"
				   "          \"level\" (ok, info, warn, fail), \"message\" and \"hints\"\n";
	struct report rep = { 0 };
	struct json_object *out = NULL;
	struct passwd *pw;
	bool sandbox_kernel, userns, can_binfmt;
	int r, sandbox, emulators;
	uid_t uid = getuid();
	char user[64];

	r = cli_parse_json_option("check", help, argc, argv, false, &out);
	if (r >= 0)
		return r;
	if (out)
		rep.items = jc.json_object_new_array();
	pw = getpwuid(uid);
	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "?");

	check_kernel(&rep, &sandbox_kernel);
	userns = check_userns(&rep);
	can_binfmt = check_binfmt(&rep, userns, sandbox_kernel, &sandbox);
	sandbox = check_binfmt_mode(&rep, sandbox > 0);
	emulators = check_emulators(&rep, sandbox > 0);
	if (emulators == 0) {
		item(&rep, FAIL, "emulators", "none usable: foreign-architecture programs cannot run");
		hint(&rep, "%s",
		     can_binfmt ? "apt-get install qemu-user-static"
				: "as root, once per boot: crossroot binfmt register");
	}
	check_subids(&rep, "/etc/subuid", "subordinate uids", user, uid);
	check_subids(&rep, "/etc/subgid", "subordinate gids", user, uid);
	check_setup(&rep, uid);
	if (out) {
		cli_json_add_string(out, "user", user);
		cli_json_add(out, "ok", jc.json_object_new_boolean(!rep.failed));
		cli_json_add(out, "foreign_architectures", jc.json_object_new_int64(emulators));
		cli_json_add(out, "items", rep.items);
		if (cli_json_print(out) < 0)
			return EXIT_FAIL;
		return rep.failed ? EXIT_FAIL : EXIT_OK;
	}
	fflush(stdout);
	if (rep.failed) {
		printf("result: crossroot cannot work here for %s; see the FAIL lines\n", user);
		return EXIT_FAIL;
	}
	printf("result: %s can work here (%d foreign architectures)\n", user, emulators);
	return EXIT_OK;
}
