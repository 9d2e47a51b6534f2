/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../../runtime/userns.h"

struct test {
	const char *name;
	void (*fn)(void);
	unsigned timeout;
};

static struct test tests[256];
static size_t n_tests;

void harness_register(const char *name, void (*fn)(void), unsigned timeout)
{
	if (n_tests == sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "harness: too many tests\n");
		exit(1);
	}
	tests[n_tests++] = (struct test){ name, fn, timeout };
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(1);
}

void harness_enter_userns(void)
{
	int r = userns_unshare_single(0, 0, CLONE_NEWNS);

	if (r < 0)
		harness_fail(__FILE__, __LINE__, "cannot create a user namespace: %s (a core prerequisite)",
			     strerror(-r));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		harness_fail(__FILE__, __LINE__, "cannot make / private: %m");
}

int harness_run_capture(char *const argv[], char *out, size_t size)
{
	int pipefd[2], status;
	size_t used = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(200 + errno);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], out + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == size - 1)
			break;
	}
	close(pipefd[0]);
	out[used] = '\0';
	if (used && out[used - 1] == '\n')
		out[used - 1] = '\0';
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return status;
}

const char *harness_payload_dir(void)
{
	const char *dir = getenv("PAYLOAD_DIR");

	if (!dir || !*dir)
		harness_fail(__FILE__, __LINE__, "PAYLOAD_DIR is not set: run the tests with 'make check-unit'");
	return dir;
}

static int run_one(const struct test *t)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A runaway test dies with its timeout; so do its children when the test ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(t->timeout);
		t->fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0 ? 0 : -1;
	printf("# %s: %s\n", t->name, WTERMSIG(status) == SIGALRM ? "timed out" : strsignal(WTERMSIG(status)));
	return -1;
}

int main(int argc, char **argv)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", n_tests);
	for (size_t i = 0; i < n_tests; i++) {
		bool ok = run_one(&tests[i]) == 0;

		printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
		failed += !ok;
	}
	return failed ? 1 : 0;
}
