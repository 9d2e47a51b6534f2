/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dpkg's version order: deb_version_compare() against dpkg --compare-versions
 * itself, on edge cases and on thousands of pairs of real versions taken
 * from the Packages indexes apt fetched on this machine.
 */
#include <errno.h>
#include <glob.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "../../bootstrap/packages.h"
#include "../../bootstrap/version.h"
#include "harness.h"

#define N_PAIRS 5000

extern char **environ;

static int sign(int r)
{
	return (r > 0) - (r < 0);
}

/* dpkg runs this many at once: each pair is a process of its own. */
#define PARALLEL 4

struct pending {
	pid_t pid;
	const char *a, *b, *op;
};

/* Ask dpkg whether a op b holds, op being the one relation we claim; up to PARALLEL questions are open. */
static void dpkg_ask(struct pending *p, const char *a, const char *b, int ours)
{
	const char *op = ours < 0 ? "lt" : ours == 0 ? "eq" : "gt";
	char *argv[] = { "dpkg", "--compare-versions", (char *)a, (char *)op, (char *)b, NULL };

	*p = (struct pending){ 0, a, b, op };
	if (posix_spawnp(&p->pid, "dpkg", NULL, NULL, argv, environ) != 0)
		harness_fail(__FILE__, __LINE__, "cannot run dpkg (a prerequisite of this test): %m");
}

static void dpkg_answer(const struct pending *p)
{
	int status;

	if (waitpid(p->pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
		harness_fail(__FILE__, __LINE__, "dpkg --compare-versions '%s' %s '%s' failed", p->a, p->op, p->b);
	if (WEXITSTATUS(status) != 0)
		harness_fail(__FILE__, __LINE__, "'%s' %s '%s' by us, not by dpkg", p->a, p->op, p->b);
}

/* Check n pairs: our answers are antisymmetric and dpkg agrees with each. */
static void check_pairs(const char *const (*pairs)[2], size_t n)
{
	struct pending open[PARALLEL];

	for (size_t i = 0; i < n; i++) {
		const char *a = pairs[i][0], *b = pairs[i][1];
		int ours = sign(deb_version_compare(a, b));

		if (sign(deb_version_compare(b, a)) != -ours)
			harness_fail(__FILE__, __LINE__, "'%s' vs '%s' is not antisymmetric", a, b);
		if (i >= PARALLEL)
			dpkg_answer(&open[i % PARALLEL]);
		dpkg_ask(&open[i % PARALLEL], a, b, ours);
	}
	for (size_t i = n > PARALLEL ? n - PARALLEL : 0; i < n; i++)
		dpkg_answer(&open[i % PARALLEL]);
}

TEST(edge_cases_agree_with_dpkg)
{
	static const char *const pairs[][2] = {
		{ "1.0", "1.0-0" },
		{ "1.0", "0:1.0" },
		{ "1.0~rc1", "1.0" },
		{ "1.0~~", "1.0~" },
		{ "1.0~", "1.0" },
		{ "1.0", "1.0a" },
		{ "1.0a", "1.0+" },
		{ "1.0.", "1.0a" },
		{ "1:0.1", "2.0" },
		{ "10:1", "9:2" },
		{ "1.001", "1.1" },
		{ "1.10", "1.9" },
		{ "2.36-9+deb12u4", "2.36-9" },
		{ "1-2-3", "1-2-4" },
		{ "1:1.2-3~bpo12+1", "1:1.2-3" },
		{ "0", "00" },
		{ "1a", "1" },
		{ "1.2.3+dfsg", "1.2.3.0" },
		{ "7.88.1-10+deb12u8", "7.88.1-10+deb12u12" },
		{ "3.0.11-1~deb12u2", "3.0.11-1" },
		{ "99999999999999999999", "99999999999999999998" },
		{ "1.0-1", "1.0-1.1" },
	};

	check_pairs(pairs, sizeof(pairs) / sizeof(pairs[0]));
	CHECK_INT(deb_version_compare("1.0~rc1", "1.0"), <, 0);
	CHECK_INT(deb_version_compare("1:0.1", "9.9"), >, 0);
	CHECK_INT(deb_version_compare("1.0", "1.0-0"), ==, 0);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Pairs of real versions: each package of a later index (bookworm-updates,
 * -security) with the same package of the first, neighbours in text order
 * (versions sharing long prefixes, where the order is subtle), and the
 * rest random pairs (a fixed seed: every run checks the same pairs).
 */
TEST_TIMEOUT(real_versions_agree_with_dpkg, 300)
{
	struct deb_index indexes[16];
	const char **versions, *pairs[N_PAIRS][2];
	size_t n_indexes = 0, n_versions = 0, total = 0, n_pairs = 0, k = 0;
	glob_t g;

	if (glob("/var/lib/apt/lists/*_Packages*", 0, NULL, &g) != 0)
		harness_fail(__FILE__, __LINE__,
			     "no Packages index in /var/lib/apt/lists: run apt-get update first (a prerequisite)");
	for (size_t i = 0; i < g.gl_pathc && n_indexes < 16; i++) {
		int r = deb_index_load(g.gl_pathv[i], &indexes[n_indexes]);

		if (r < 0)
			harness_fail(__FILE__, __LINE__, "%s: %s", g.gl_pathv[i], strerror(-r));
		total += indexes[n_indexes++].n;
	}
	globfree(&g);
	versions = calloc(total, sizeof(*versions));
	CHECK(versions);
	for (size_t i = 0; i < n_indexes; i++)
		for (size_t j = 0; j < indexes[i].n; j++) {
			const struct deb_package *p = &indexes[i].packages[j];

			versions[n_versions++] = p->version;
			for (size_t o = 0; o < i && n_pairs < N_PAIRS / 4; o++) {
				const struct deb_package *q = deb_index_find(&indexes[o], p->name);

				if (q && q->version)
					pairs[n_pairs][0] = p->version, pairs[n_pairs++][1] = q->version;
			}
		}
	qsort(versions, n_versions, sizeof(*versions), by_text);
	for (size_t i = 1; i < n_versions; i++)
		if (strcmp(versions[i], versions[k]) != 0)
			versions[++k] = versions[i];
	n_versions = k + 1;
	if (n_versions < 1000)
		harness_fail(__FILE__, __LINE__, "only %zu distinct versions in the host's Packages indexes",
			     n_versions);
	for (size_t step = n_versions / (N_PAIRS / 2), i = 1; i < n_versions && n_pairs < N_PAIRS * 3 / 4;
	     i += step ? step : 1)
		pairs[n_pairs][0] = versions[i - 1], pairs[n_pairs++][1] = versions[i];
	srandom(10);
	while (n_pairs < N_PAIRS) {
		pairs[n_pairs][0] = versions[(size_t)random() % n_versions];
		pairs[n_pairs++][1] = versions[(size_t)random() % n_versions];
	}
	check_pairs(pairs, n_pairs);
	printf("# %zu pairs of %zu distinct versions from %zu indexes agree with dpkg\n", n_pairs, n_versions,
	       n_indexes);
	free(versions);
	for (size_t i = 0; i < n_indexes; i++)
		deb_index_free(&indexes[i]);
}
