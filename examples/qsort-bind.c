/* SPDX-License-Identifier: MIT */
/* Sort with qsort(3), whose comparator has no user pointer, by binding a
   context to it with a TRAMP_BIND trampoline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trampjit.h>

struct by_field {
	size_t offset;		/* which int field of the record to compare */
};

struct person {
	const char *name;
	int age, height;
};

static int compare(struct by_field *how, const void *a, const void *b)
{
	int x = *(const int *)((const char *)a + how->offset);
	int y = *(const int *)((const char *)b + how->offset);

	return (x > y) - (x < y);
}

int main(void)
{
	struct person p[] = {
		{ "ada", 36, 165 }, { "bob", 25, 180 }, { "cy", 51, 172 },
	};
	struct by_field how = { offsetof(struct person, age) };
	struct tramp_spec spec = { .kind = TRAMP_BIND, .data = &how };
	int (*target)(struct by_field *, const void *, const void *) = compare;
	int (*cmp)(const void *, const void *);
	struct tramp *t;
	void *code;

	/* ISO C converts function pointers to and from void * by copying the
	   bits (see trampjit.h); a cast works too, but -pedantic warns. */
	memcpy(&spec.target, &target, sizeof(spec.target));
	t = tramp_create(&spec);
	if (!t) {
		perror("tramp_create");
		return 1;
	}
	code = tramp_code(t);
	memcpy(&cmp, &code, sizeof(cmp));
	qsort(p, 3, sizeof(p[0]), cmp);
	for (int i = 0; i < 3; i++)
		printf("%s %d\n", p[i].name, p[i].age);
	how.offset = offsetof(struct person, height);
	qsort(p, 3, sizeof(p[0]), cmp);
	for (int i = 0; i < 3; i++)
		printf("%s %dcm\n", p[i].name, p[i].height);
	tramp_destroy(t);
	return 0;
}
