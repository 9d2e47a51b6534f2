/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "packages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "libarchive.h"
#include "version.h"

static size_t hash_name(const char *s, size_t len)
{
	size_t h = 5381;

	for (size_t i = 0; i < len; i++)
		h = h * 33 + (unsigned char)s[i];
	return h;
}

static size_t *slot_for(const struct deb_index *index, const char *name, size_t len)
{
	size_t i = hash_name(name, len) & (index->table_size - 1);

	for (;; i = (i + 1) & (index->table_size - 1)) {
		size_t *slot = &index->table[i];
		const char *other;

		if (!*slot)
			return slot;
		other = index->packages[*slot - 1].name;
		if (strlen(other) == len && !memcmp(other, name, len))
			return slot;
	}
}

static struct deb_package *find_len(const struct deb_index *index, const char *name, size_t len)
{
	size_t *slot = slot_for(index, name, len);

	return *slot ? &index->packages[*slot - 1] : NULL;
}

struct deb_package *deb_index_find(const struct deb_index *index, const char *name)
{
	return find_len(index, name, strlen(name));
}

/* Split one stanza's "Key: value" lines (continuation lines joined in place stay as they are). */
static void parse_stanza(char *stanza, struct deb_package *p)
{
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
		{ "Package", offsetof(struct deb_package, name) },
		{ "Version", offsetof(struct deb_package, version) },
		{ "Architecture", offsetof(struct deb_package, architecture) },
		{ "Priority", offsetof(struct deb_package, priority) },
		{ "Filename", offsetof(struct deb_package, filename) },
		{ "SHA256", offsetof(struct deb_package, sha256) },
		{ "Depends", offsetof(struct deb_package, depends) },
		{ "Pre-Depends", offsetof(struct deb_package, pre_depends) },
		{ "Provides", offsetof(struct deb_package, provides) },
		{ "Breaks", offsetof(struct deb_package, breaks) },
		{ "Conflicts", offsetof(struct deb_package, conflicts) },
	};

	memset(p, 0, sizeof(*p));
	for (char *line = stanza; line && *line;) {
		char *end = strchr(line, '\n'), *colon;

		/* The line alone: a colon of the next line is not this line's. */
		if (end)
			*end = '\0';
		colon = strchr(line, ':');
		if (colon && line[0] != ' ') {
			char *value = colon + 1 + strspn(colon + 1, " ");

			*colon = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
				if (streq(line, fields[i].key))
					*(const char **)((char *)p + fields[i].offset) = value;
			if (streq(line, "Size"))
				p->size = strtoull(value, NULL, 10);
			else if (streq(line, "Essential"))
				p->essential = streq(value, "yes");
		}
		line = end ? end + 1 : NULL;
	}
}

/*
 * The blank line ending the stanza at p, or NULL.  A plain loop, not
 * strstr(): sanitizers' strstr measures the rest of the text on every
 * call, which makes a 100 MB index quadratic.
 */
static char *stanza_end(char *p)
{
	for (; *p; p++)
		if (p[0] == '\n' && p[1] == '\n')
			return p;
	return NULL;
}

int deb_index_parse(char *text, struct deb_index *index)
{
	size_t cap = 1024;

	memset(index, 0, sizeof(*index));
	index->text = text;
	index->packages = malloc(cap * sizeof(*index->packages));
	if (!index->packages)
		return -ENOMEM;
	for (char *stanza = text; stanza && *stanza;) {
		char *next = stanza_end(stanza);
		struct deb_package p;

		if (next) {
			next[1] = '\0';
			next += 2;
		}
		parse_stanza(stanza, &p);
		if (p.name && p.filename && p.sha256) {
			if (index->n == cap) {
				struct deb_package *grown = realloc(index->packages, 2 * cap * sizeof(*grown));

				if (!grown)
					return -ENOMEM;
				index->packages = grown;
				cap *= 2;
			}
			index->packages[index->n++] = p;
		}
		stanza = next;
	}
	for (index->table_size = 1024; index->table_size < 2 * index->n;)
		index->table_size *= 2;
	index->table = calloc(index->table_size, sizeof(*index->table));
	if (!index->table)
		return -ENOMEM;
	/*
	 * Of several versions of one name (a suite and its updates), the newest
	 * is the candidate, as apt's is without pins; of equal ones the later.
	 */
	for (size_t i = 0; i < index->n; i++) {
		const struct deb_package *p = &index->packages[i];
		size_t *slot = slot_for(index, p->name, strlen(p->name));

		if (!*slot || !p->version || !index->packages[*slot - 1].version ||
		    deb_version_compare(p->version, index->packages[*slot - 1].version) >= 0)
			*slot = i + 1;
	}
	return 0;
}

void deb_index_free(struct deb_index *index)
{
	free(index->file_ends);
	free(index->text);
	free(index->packages);
	free(index->table);
	memset(index, 0, sizeof(*index));
}

/* Append the decompressed content of the file at path to text (size used of cap bytes). Returns 0 or -errno. */
static int read_decompressed(const char *path, char **text, size_t *size, size_t *cap)
{
	struct archive *a;
	struct archive_entry *entry;
	int r = 0;

	a = la.archive_read_new();
	if (!a)
		return -ENOMEM;
	la.archive_read_support_filter_all(a);
	la.archive_read_support_format_raw(a);
	/* raw takes only a non-empty stream; an index of no packages (a pocket's
	 * component can have none) is "empty": no header, and nothing to add. */
	la.archive_read_support_format_empty(a);
	if (la.archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    (r = la.archive_read_next_header(a, &entry)) != ARCHIVE_OK) {
		la.archive_read_free(a);
		return r == ARCHIVE_EOF ? 0 : -EBADMSG;
	}
	for (;;) {
		la_ssize_t n;

		if (*size + 65536 + 3 > *cap) {
			char *grown = realloc(*text, *cap * 2);

			if (!grown) {
				r = -ENOMEM;
				break;
			}
			*text = grown;
			*cap *= 2;
		}
		n = la.archive_read_data(a, *text + *size, 65536);
		if (n < 0) {
			r = -EBADMSG;
			break;
		}
		if (n == 0)
			break;
		*size += (size_t)n;
	}
	la.archive_read_free(a);
	return r;
}

int deb_index_load_many(const char *const *paths, size_t n, struct deb_index *index)
{
	size_t size = 0, cap = 1 << 24;
	_cleanup_free_ size_t *ends = calloc(n + 1, sizeof(*ends));
	char *text;
	int r;

	memset(index, 0, sizeof(*index));
	r = libarchive_load();
	if (r < 0)
		// cppcheck-suppress memleak ; ends goes with its cleanup attribute
		return r;
	text = malloc(cap);
	if (!text || !ends) {
		free(text);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r = read_decompressed(paths[i], &text, &size, &cap);
		if (r < 0) {
			free(text);
			return r;
		}
		/* One blank line between the files keeps their last and first stanzas apart. */
		if (size > 0 && text[size - 1] != '\n')
			text[size++] = '\n';
		if (size > 1 && text[size - 2] != '\n')
			text[size++] = '\n';
		ends[i] = size;
	}
	text[size] = '\0';
	r = deb_index_parse(text, index);
	if (r < 0) {
		deb_index_free(index);
		return r;
	}
	index->file_ends = steal_ptr(ends);
	index->n_files = n;
	return 0;
}

size_t deb_index_file_of(const struct deb_index *index, const struct deb_package *p)
{
	size_t offset = (size_t)(p->name - index->text);

	for (size_t i = 0; i < index->n_files; i++)
		if (offset < index->file_ends[i])
			return i;
	return 0;
}

int deb_index_load(const char *path, struct deb_index *index)
{
	return deb_index_load_many(&path, 1, index);
}

/* --- selection ----------------------------------------------------------------------------- */

struct selection {
	struct deb_index *index;
	struct deb_package **queue;
	size_t n;
};

static void select_package(struct selection *s, struct deb_package *p)
{
	if (p->selected)
		return;
	p->selected = true;
	s->queue[s->n++] = p;
}

/* One relation of a dependency field: "name[:arch] [(op version)]". */
struct relation {
	const char *name;
	size_t len;
	char op[3];	   /* "<<", "<=", "=", ">=", ">>"; "" unversioned */
	char version[128]; /* when op is set */
};

/* Parse the relation at text (up to its end, a '|' or a ','). Returns the length of its name, 0 for none. */
static size_t parse_relation(const char *text, struct relation *r)
{
	const char *p;
	size_t end = strcspn(text, "|,");

	memset(r, 0, sizeof(*r));
	text += strspn(text, " \n\t");
	r->name = text;
	r->len = strcspn(text, " \n\t:(|,[<");
	p = memchr(text, '(', end);
	if (r->len && p) {
		p++;
		p += strspn(p, " ");
		if (strchr("<>=", *p) && sscanf(p, "%2[<>=] %127[^) ]", r->op, r->version) == 2) {
			/* The deprecated "<" and ">" mean "<=" and ">=" (Debian Policy 7.1). */
			if (streq(r->op, "<"))
				strcpy(r->op, "<=");
			else if (streq(r->op, ">"))
				strcpy(r->op, ">=");
		} else
			r->op[0] = '\0';
	}
	return r->len;
}

static bool relation_is(const struct relation *r, const char *name)
{
	return strlen(name) == r->len && !memcmp(name, r->name, r->len);
}

/* Whether version satisfies r's version constraint (any version when it has none). */
static bool version_satisfies(const char *version, const struct relation *r)
{
	int c;

	if (!r->op[0])
		return true;
	if (!version)
		return false;
	c = deb_version_compare(version, r->version);
	if (streq(r->op, "<<"))
		return c < 0;
	if (streq(r->op, "<="))
		return c <= 0;
	if (streq(r->op, "="))
		return c == 0;
	if (streq(r->op, ">="))
		return c >= 0;
	return streq(r->op, ">>") && c > 0;
}

/*
 * Whether p Provides what r asks for: by name, and for a versioned r with a
 * provided version that satisfies it (an unversioned Provides satisfies
 * only unversioned relations, Debian Policy 7.5).
 */
static bool provides(const struct deb_package *p, const struct relation *r)
{
	for (const char *entry = p->provides; entry && *entry;) {
		struct relation provided;

		if (parse_relation(entry, &provided) == r->len && !memcmp(provided.name, r->name, r->len) &&
		    (!r->op[0] || (streq(provided.op, "=") && version_satisfies(provided.version, r))))
			return true;
		entry = strchr(entry, ',');
		entry = entry ? entry + 1 : NULL;
	}
	return false;
}

/* Whether field (Conflicts or Breaks of one package) hits q: q by name and version, or a virtual name q provides. */
static bool field_hits(const char *field, const struct deb_package *owner, const struct deb_package *q)
{
	if (streq(owner->name, q->name))
		return false; /* a package never conflicts with itself, nor with what it provides */
	for (const char *entry = field; entry && *entry;) {
		struct relation r;

		if (parse_relation(entry, &r) &&
		    ((relation_is(&r, q->name) && version_satisfies(q->version, &r)) || provides(q, &r)))
			return true;
		entry = strchr(entry, ',');
		entry = entry ? entry + 1 : NULL;
	}
	return false;
}

/* Whether a and b cannot be installed together: either Conflicts with or Breaks the other. */
static bool clash(const struct deb_package *a, const struct deb_package *b)
{
	return field_hits(a->conflicts, a, b) || field_hits(a->breaks, a, b) || field_hits(b->conflicts, b, a) ||
	       field_hits(b->breaks, b, a);
}

/* The first selected package p clashes with, or NULL. */
static const struct deb_package *clash_with_selection(const struct selection *s, const struct deb_package *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->queue[i] != p && clash(p, s->queue[i]))
			return s->queue[i];
	return NULL;
}

/* The first package providing r (a selected one only with selected_only), that clashes with nothing selected. */
static struct deb_package *provider(const struct selection *s, const struct relation *r, bool selected_only)
{
	for (size_t i = 0; i < s->index->n; i++) {
		struct deb_package *p = &s->index->packages[i];

		if (!p->provides || (selected_only && !p->selected))
			continue;
		/* Only a name's candidate (newest) version is ever installed. */
		if (deb_index_find(s->index, p->name) != p)
			continue;
		if (provides(p, r) && (selected_only || !clash_with_selection(s, p)))
			return p;
	}
	return NULL;
}

/* Satisfy one dependency group "a | b (>= 1) | c". Returns 0 or -ENOENT. */
static int satisfy(struct selection *s, const char *group, size_t group_len)
{
	struct deb_package *chosen = NULL;
	char alts[512];

	snprintf(alts, sizeof(alts), "%.*s", (int)group_len, group);
	/* Pass 0: anything selected, really or through Provides; 1: a real package; 2: a provider. */
	for (int pass = 0; pass < 3 && !chosen; pass++)
		for (char *alt = alts; alt && !chosen;) {
			char *bar = strchr(alt, '|');
			struct relation r;
			struct deb_package *p = parse_relation(alt, &r) ? find_len(s->index, r.name, r.len) : NULL;
			bool fits = p && version_satisfies(p->version, &r);

			if (pass == 0 && fits && p->selected)
				chosen = p;
			else if (pass == 0 && r.len)
				chosen = provider(s, &r, true);
			else if (pass == 1 && fits && !clash_with_selection(s, p))
				chosen = p;
			else if (pass == 2 && r.len)
				chosen = provider(s, &r, false);
			alt = bar ? bar + 1 : NULL;
		}
	if (!chosen)
		return -ENOENT;
	select_package(s, chosen);
	return 0;
}

static int satisfy_field(struct selection *s, const struct deb_package *p, const char *field, struct cr_error *err)
{
	for (const char *group = field; group && *group;) {
		size_t len = strcspn(group, ",");

		if (satisfy(s, group, len) < 0) {
			return cr_fail(err, -ENOENT, "'%.*s', needed by %s", (int)len, group + strspn(group, " "),
				       p->name);
		}
		group += len;
		if (*group == ',')
			group++;
	}
	return 0;
}

int deb_select(struct deb_index *index, const char *const *extras, struct cr_error *err)
{
	struct selection s = { .index = index };
	int r = 0;

	cr_clear(err);
	s.queue = calloc(index->n + 1, sizeof(*s.queue));
	if (!s.queue)
		return cr_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < index->n; i++) {
		struct deb_package *p = &index->packages[i];

		if (p->essential || (p->priority && streq(p->priority, "required")))
			select_package(&s, deb_index_find(index, p->name));
	}
	for (const char *const *e = extras; e && *e; e++) {
		struct deb_package *p = deb_index_find(index, *e);

		if (!p) {
			free(s.queue);
			return cr_fail(err, -ENOENT, "'%s' is not in the suite", *e);
		}
		select_package(&s, p);
	}
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		r = satisfy_field(&s, s.queue[i], s.queue[i]->pre_depends, err);
		if (r == 0)
			r = satisfy_field(&s, s.queue[i], s.queue[i]->depends, err);
	}
	/* What was chosen before a later choice (the seeds, the extras) may still clash: refuse, naming both. */
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		const struct deb_package *other = clash_with_selection(&s, s.queue[i]);

		if (other) {
			r = cr_fail(err, -ENOENT, "%s %s and %s %s conflict (Conflicts or Breaks)", s.queue[i]->name,
				    s.queue[i]->version ? s.queue[i]->version : "", other->name,
				    other->version ? other->version : "");
		}
	}
	free(s.queue);
	return r < 0 ? r : (int)s.n;
}
