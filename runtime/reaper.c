/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crossroot-init: pid 1 of a run on a stopped container, once crossroot
 * has built the container (runtime.c, exec_fresh()).  It only reaps: the
 * command is crossroot's own child, which waits for it and forwards its
 * signals; whatever the command leaves orphaned is reparented here
 * (pid_namespaces(7)), and dies with us when crossroot kills us after the
 * command (SIGKILL of a pid namespace's init kills all of it).  We die
 * with crossroot too: the PR_SET_PDEATHSIG the container's setup set
 * survives execve(2) (prctl(2): cleared only for set-user-ID, set-group-ID
 * or file-capability binaries, which this is not).
 *
 * Built freestanding and static, without libc (it is a few hundred bytes,
 * nothing to load or relocate: exec'ing it costs a fraction of the fork of
 * a crossroot it replaces), embedded in crossroot and run from a memfd.
 * On entry fd 3 is a pipe to crossroot: one byte written there says we
 * run.  Every other fd crossroot had is closed by exec (close-on-exec) or
 * is /dev/null (0, 1, 2).
 */
#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/wait.h>

#define SIGCHLD_BIT (1UL << (17 - 1)) /* SIGCHLD is 17 on x86-64 and arm64 (asm-generic/signal.h) */
#define SIG_BLOCK_HOW 0

#if defined(__x86_64__)
static long sys(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return ret;
}
__asm__(".text\n.global _start\n_start:\n\tand $-16, %rsp\n\tcall reaper_main\n\thlt\n");
#elif defined(__aarch64__)
static long sys(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
__asm__(".text\n.global _start\n_start:\n\tbl reaper_main\n");
#else
/* cppcheck-suppress preprocessorErrorDirective */
#error "crossroot-init is built for x86-64 and arm64 hosts only (the Makefile leaves it out elsewhere)"
#endif

void reaper_main(void) __attribute__((noreturn, used));
void reaper_main(void)
{
	static const char name[16] = "crossroot-init";
	unsigned long chld = SIGCHLD_BIT;

	sys(__NR_prctl, PR_SET_NAME, (long)name, 0, 0);
	/* Blocked, so that a child's exit stays pending until we wait for it. */
	sys(__NR_rt_sigprocmask, SIG_BLOCK_HOW, (long)&chld, 0, sizeof(chld));
	sys(__NR_write, 3, (long)"", 1, 0);
	sys(__NR_close, 3, 0, 0, 0);
	for (;;) {
		while (sys(__NR_wait4, -1, 0, WNOHANG | __WALL, 0) > 0)
			;
		sys(__NR_rt_sigtimedwait, (long)&chld, 0, 0, sizeof(chld));
	}
}
