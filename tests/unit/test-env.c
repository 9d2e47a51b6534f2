/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What passes into run and enter, and env files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/env.h"
#include "harness.h"

TEST(env_inherited_names_locale_tz_and_proxies_only)
{
	CHECK(env_inherited("LANG=C.UTF-8"));
	CHECK(env_inherited("LC_ALL=C"));
	CHECK(env_inherited("LC_TIME="));
	CHECK(env_inherited("TZ=UTC"));
	CHECK(env_inherited("http_proxy=x") && env_inherited("HTTPS_PROXY=x") && env_inherited("no_proxy=x"));
	CHECK(env_inherited("all_proxy=x") && env_inherited("FTP_PROXY=x"));
	CHECK(!env_inherited("LC_=x"));
	CHECK(!env_inherited("LANGUAGE=de"));
	CHECK(!env_inherited("TZX=1"));
	CHECK(!env_inherited("FOO=1"));
	CHECK(!env_inherited("LD_PRELOAD=/x.so"));
	CHECK(!env_inherited("Http_Proxy=x"));
	CHECK(!env_inherited("LANG"));
}

struct collected {
	char text[512];
};

static int collect(void *data, const char *key, const char *value)
{
	struct collected *c = data;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "[%s%s%s]", key, value ? "=" : "", value ? value : "");
	return 0;
}

static int parse_text(const char *text, struct collected *c, unsigned *line)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	CHECK(f != NULL);
	memset(c, 0, sizeof(*c));
	r = env_file_parse(f, collect, c, line);
	fclose(f);
	return r;
}

TEST(env_file_takes_values_literally_and_skips_comments)
{
	struct collected c;
	unsigned line;

	CHECK_INT(parse_text("# c\n\nA=1\n  B=x y \"z\"=w\r\nC\n  # indented comment\nD=\nE=last", &c, &line), ==, 0);
	CHECK_STR(c.text, "[A=1][B=x y \"z\"=w][C][D=][E=last]");
	CHECK_INT(line, ==, 0);
}

TEST(env_file_names_the_bad_line)
{
	struct collected c;
	unsigned line;

	CHECK_INT(parse_text("A=1\n# fine\nnot a variable\nB=2\n", &c, &line), ==, -EINVAL);
	CHECK_INT(line, ==, 3);
	CHECK_INT(parse_text("=value\n", &c, &line), ==, -EINVAL);
	CHECK_INT(line, ==, 1);
	CHECK_INT(parse_text("A=1\nexport B=2\n", &c, &line), ==, -EINVAL);
	CHECK_INT(line, ==, 2);
	CHECK_INT(parse_text("1A=x\n", &c, &line), ==, -EINVAL);
}
