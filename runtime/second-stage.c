/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "second-stage.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bootstrap/rootfs-arch.h"
#include "../base/util.h"

#define DEBS_INSIDE "/var/cache/crossroot-debs"

/* One batch, packages [from, to) of plan: the .debs in debs, or the package names. */
static void batch(FILE *f, const struct bootstrap_plan *plan, size_t from, size_t to, const char *debs)
{
	for (size_t i = from; i < to; i++)
		if (debs)
			fprintf(f, " %s/%s", debs, strrchr(plan->deb_paths[i], '/') + 1);
		else
			fprintf(f, " %s", plan->packages[i]->name);
	fputc('\n', f);
}

/*
 * The second stage's script: dpkg installs the essential packages, then the
 * rest, then configures whatever is left.  Without host_dpkg the rootfs's
 * own dpkg does it all, under emulation, the .debs bound at DEBS_INSIDE.
 * With it, the host's dpkg unpacks each batch natively into the rootfs at
 * $1 (--root: it chroot(2)s into it only for the preinst scripts), the
 * .debs in $2; then the rootfs's own dpkg, under emulation, configures the
 * batch's packages in the batch's order, as dpkg --install does: the order
 * is the one the rootfs's dpkg chooses, for which the rootfs's arch is
 * native (the host's dpkg takes its packages for a foreign arch's).
 */
static char *second_stage_script(const struct bootstrap_plan *plan, bool host_dpkg)
{
	size_t ends[] = { plan->n_essential, plan->n_packages }, from = 0;
	_cleanup_free_ char *script = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&script, &size);
	int failed;

	if (!f)
		return NULL;
	fputs("set -e\n"
	      "export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C\n",
	      f);
	for (size_t b = 0; b < ARRAY_SIZE(ends); from = ends[b++]) {
		if (from == ends[b])
			continue;
		if (!host_dpkg) {
			fputs("dpkg --force-depends --force-unsafe-io --install", f);
			batch(f, plan, from, ends[b], DEBS_INSIDE);
			continue;
		}
		fputs("dpkg --root=\"$1\" --log=\"$1/var/log/dpkg.log\" --force-architecture --force-depends "
		      "--force-unsafe-io --unpack",
		      f);
		batch(f, plan, from, ends[b], "\"$2\"");
		fputs("chroot \"$1\" dpkg --force-depends --force-unsafe-io --configure", f);
		batch(f, plan, from, ends[b], NULL);
	}
	fprintf(f, "%s --force-unsafe-io --configure -a\n", host_dpkg ? "chroot \"$1\" dpkg" : "dpkg");
	/* The script is all there, or there is none. */
	failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return NULL;
	return steal_ptr(script);
}

static int open_pipe(int *read_end, int *write_end, int flags)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | flags) < 0)
		return -errno;
	*read_end = fds[0];
	*write_end = fds[1];
	return 0;
}

/*
 * The forked child: run req in the new rootfs with its output on output,
 * then send how it ended (struct run_result) on result.  The result is
 * typed, so the parent never guesses the cause from the output's words.
 */
static _noreturn_ void run_child(const struct container *tmpc, const struct exec_request *req, int output, int result)
{
	struct run_result res = { .outcome = RUN_FAILED };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int r;

	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(output, 1) < 0 || dup2(output, 2) < 0)
		_exit(125);
	r = container_exec(tmpc, req, &res);
	/* Refused before anything was set up: no message says why, this does. */
	if (r < 0 && res.outcome == RUN_FAILED && !res.err.message[0])
		cr_fail_errno(&res.err, r, "run a command in the new rootfs");
	if (write(result, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(125);
	_exit(res.outcome == RUN_EXITED && res.status == 0 ? 0 : 1);
}

/*
 * Copy the stage's output to the log, keeping its last lines; "Unpacking"
 * lines count as progress of the install, "Setting up" ones of the configure.
 */
static void follow_output(FILE *in, FILE *log, size_t total, bootstrap_progress_fn progress, void *data,
			  struct second_stage_end *end)
{
	struct bootstrap_progress pr = { .total = total };
	size_t unpacked = 0, configured = 0;
	char line[4096];

	while (fgets(line, sizeof(line), in)) {
		bool unpacking = !strncmp(line, "Unpacking ", 10), setting_up = !strncmp(line, "Setting up ", 11);

		fputs(line, log);
		snprintf(end->tail[end->n_lines++ % ARRAY_SIZE(end->tail)], sizeof(end->tail[0]), "%.255s", line);
		if (!unpacking && !setting_up)
			continue;
		pr.stage = unpacking ? STAGE_INSTALL : STAGE_CONFIGURE;
		pr.done = unpacking ? ++unpacked : ++configured;
		if (progress)
			progress(data, &pr);
	}
}

/* Record crossroot's own failure before the stage ran; returns r. */
static int start_failed(struct second_stage_end *end, int r)
{
	cr_fail_errno(&end->run.err, r, "start the second stage");
	return r;
}

/* The return value for how the stage ended; when the shell never ran, the log says why too. */
static int ended(const struct run_result *run, FILE *log)
{
	switch (run->outcome) {
	case RUN_EXITED:
		return run->status == 0 ? 0 : -EIO;
	case RUN_EXEC_FAILED:
		fprintf(log, "crossroot: /bin/sh: %s\n", strerror(-run->err.error));
		return run->err.error < 0 ? run->err.error : -EIO;
	case RUN_NO_EMULATOR:
		fprintf(log, "crossroot: no usable emulator for the rootfs's arch\n");
		return -ENOEXEC;
	case RUN_TIMED_OUT: /* the stage sets no time limit */
		fprintf(log, "crossroot: the second stage ran out of time\n");
		return -ETIMEDOUT;
	case RUN_FAILED:
		fprintf(log, "crossroot: %s\n", cr_message(&run->err));
		return run->err.error < 0 ? run->err.error : -EIO;
	}
	return -EIO;
}

/* Run req in tmpc's rootfs, its output copied to log, and wait; *end says how it ended. */
static int run_logged(const struct container *tmpc, const struct exec_request *req, FILE *log, size_t total,
		      bootstrap_progress_fn progress, void *data, struct second_stage_end *end)
{
	_cleanup_close_ int out_read = -EBADF, out_write = -EBADF, res_read = -EBADF, res_write = -EBADF;
	_cleanup_fclose_ FILE *in = NULL;
	int r, status = 0;
	pid_t pid;

	/* The result pipe never blocks: its one message fits, and the parent reads it after waitpid. */
	r = open_pipe(&out_read, &out_write, 0);
	if (r == 0)
		r = open_pipe(&res_read, &res_write, O_NONBLOCK);
	if (r < 0)
		return start_failed(end, r);
	pid = fork();
	if (pid < 0)
		return start_failed(end, -errno);
	if (pid == 0)
		run_child(tmpc, req, out_write, res_write);
	close(steal_fd(out_write));
	close(steal_fd(res_write));
	in = fdopen(out_read, "r");
	if (!in)
		return start_failed(end, -errno);
	steal_fd(out_read);
	follow_output(in, log, total, progress, data, end);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (read(res_read, &end->run, sizeof(end->run)) != (ssize_t)sizeof(end->run)) {
		end->run = (struct run_result){ .outcome = RUN_FAILED };
		cr_fail_errno(&end->run.err, -ECHILD, "the second stage's process (wait status 0x%x)",
			      (unsigned)status);
	}
	return ended(&end->run, log);
}

/* Whether program is an executable file in one of the directories of INSIDE_PATH. */
static bool on_inside_path(const char *program)
{
	char dirs[] = INSIDE_PATH, *save = NULL;

	for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char path[PATH_MAX];
		struct stat st;

		if (format_buf(path, sizeof(path), "%s/%s", dir, program) == 0 && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return true;
	}
	return false;
}

bool second_stage_host_dpkg_found(void)
{
	/* Where the stage's shell looks them up: the runtime's $PATH. */
	return on_inside_path("dpkg") && on_inside_path("dpkg-deb") && on_inside_path("chroot");
}

int second_stage_run(const struct container *tmpc, const struct bootstrap_plan *plan, const char *debs, bool host_dpkg,
		     const char *log_path, bootstrap_progress_fn progress, void *data, struct second_stage_end *end)
{
	struct bind_mount bind = { debs, DEBS_INSIDE, true };
	_cleanup_free_ char *script = second_stage_script(plan, host_dpkg);
	char *argv[] = {
		(char *)"/bin/sh", (char *)"-c", script, (char *)"sh", (char *)tmpc->rootfs, (char *)debs, NULL
	};
	struct exec_request req = { .argv = argv,
				    .binds = &bind,
				    .n_binds = host_dpkg ? 0 : 1,
				    .root = true,
				    .cwd = "/",
				    .host_tree = host_dpkg };
	char *probe_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)":", NULL };
	struct exec_request probe = { .argv = probe_argv, .root = true, .cwd = "/" };
	_cleanup_fclose_ FILE *log = NULL;
	int r;

	memset(end, 0, sizeof(*end));
	end->run.outcome = RUN_FAILED;
	if (!script)
		return start_failed(end, -ENOMEM);
	log = fopen(log_path, "we");
	if (!log)
		return start_failed(end, -errno);
	/*
	 * The host's shell runs the host's dpkg; first the rootfs's own /bin/sh
	 * (the maintainer scripts' shell) must start, so that a rootfs whose
	 * programs cannot run fails here, typed (second_stage_explain()), as
	 * it does without host_dpkg.
	 */
	if (host_dpkg) {
		r = run_logged(tmpc, &probe, log, plan->n_packages, NULL, NULL, end);
		if (r < 0)
			return r;
	}
	return run_logged(tmpc, &req, log, plan->n_packages, progress, data, end);
}

/*
 * ENOEXEC from /bin/sh: the kernel found no way to run it (no binfmt entry,
 * or no emulator behind it).  Its ELF header tells whether the packages are
 * to blame instead: a shell of another machine.
 */
static void explain_noexec(const struct container *tmpc, const char *log, struct cr_error *err)
{
	const struct arch_info *arch = tmpc->arch;
	_cleanup_close_ int rootfd = open(tmpc->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct rootfs_arch found;
	char shell[160] = "", machine[32];

	if (rootfd >= 0 && rootfs_arch_probe(rootfd, &found) == 0 && found.elf_len &&
	    !arch_magic_matches(arch, found.elf_header, found.elf_len)) {
		if (found.elf_arch)
			snprintf(machine, sizeof(machine), "ELF %s", found.elf_arch->qemu_name);
		else
			snprintf(machine, sizeof(machine), "ELF machine %u", found.elf_machine);
		snprintf(shell, sizeof(shell),
			 "; but its /bin/sh is not a program for %s at all (%s): the packages are of another "
			 "architecture",
			 arch->name, machine);
	}
	cr_fail(err, -ENOEXEC,
		"the kernel could not execute the programs of the new %s rootfs (/bin/sh: Exec format error): "
		"'crossroot check' says whether the %s emulator (Debian's qemu-user-static) and its binfmt "
		"entry are in place%s (log: %.150s)",
		arch->name, arch->name, shell, log);
}

void second_stage_explain(const struct container *tmpc, const struct second_stage_end *end, const char *log,
			  struct cr_error *err)
{
	const struct run_result *run = &end->run;
	size_t n = end->n_lines;

	if (run->outcome == RUN_EXEC_FAILED && run->err.error == -ENOEXEC)
		explain_noexec(tmpc, log, err);
	else if (run->outcome == RUN_EXEC_FAILED && run->err.error == -ENOENT && !run->found)
		cr_fail(err, run->err.error,
			"the packages gave the new rootfs no /bin/sh, so its second stage (dpkg under emulation) "
			"could not start (log: %.150s)",
			log);
	else if (run->outcome == RUN_EXEC_FAILED && run->err.error == -ENOENT)
		cr_fail(err, run->err.error,
			"the new rootfs's /bin/sh cannot start: its interpreter (#! line or ELF loader) is missing "
			"(log: %.150s)",
			log);
	else if (run->outcome == RUN_EXEC_FAILED)
		cr_fail(err, run->err.error, "the new rootfs's /bin/sh cannot start: %s (log: %.150s)",
			strerror(-run->err.error), log);
	else if (run->outcome == RUN_FAILED)
		cr_fail(err, run->err.error, "the second stage could not start: %.250s (log: %.150s)",
			cr_message(&run->err), log);
	else
		cr_fail(err, -EIO,
			"dpkg failed inside the new rootfs (log: %.150s); it ended with:\n%.70s%.70s%.70s%.70s", log,
			end->tail[n % 4], end->tail[(n + 1) % 4], end->tail[(n + 2) % 4], end->tail[(n + 3) % 4]);
}
