/* SPDX-License-Identifier: MIT */
/*
 * trampjit-bench: runs every registered section, then prints the tables
 * and (with --report DIR) writes DIR/report.md and DIR/results.tsv.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench_opts bench_opts;

#define MAX_SECTIONS	32
#define MAX_TABLES	64
#define MAX_CELLS	4096
#define MAX_NOTES	256

static struct section {
	int order;
	const char *name;
	bench_section_fn *fn;
} sections[MAX_SECTIONS];
static int nsections;

struct cell {
	char table[64], row[96], col[64], unit[8];
	char text[96];		/* text cell when non-empty */
	struct stats s;
};
static struct cell cells[MAX_CELLS];
static int ncells;
static char tables[MAX_TABLES][64];
static int ntables;
static struct note {
	char table[64];
	char text[1024];
} notes[MAX_NOTES];
static int nnotes;

void bench_register(int order, const char *name, bench_section_fn *fn)
{
	if (nsections < MAX_SECTIONS)
		sections[nsections++] = (struct section){ order, name, fn };
}

long bench_n(long n)
{
	return bench_opts.quick ? (n / 100 > 0 ? n / 100 : 1) : n;
}

int bench_reps(void)
{
	return bench_opts.quick ? 3 : 11;
}

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats bench_stats(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dcmp);
	return (struct stats){ v[0], n % 2 ? v[n / 2] :
			       (v[n / 2 - 1] + v[n / 2]) / 2, v[n - 1] };
}

struct stats bench_scalar(double v)
{
	return (struct stats){ v, v, v };
}

struct stats bench_time(void (*fn)(void *arg, long n), void *arg, long n)
{
	double v[64];
	int reps = bench_reps();

	fn(arg, n / 10 > 0 ? n / 10 : 1);
	for (int r = 0; r < reps; r++) {
		double t0 = bench_now_ns();

		fn(arg, n);
		v[r] = (bench_now_ns() - t0) / (double)n;
	}
	return bench_stats(v, reps);
}

static void table_use(const char *table)
{
	for (int i = 0; i < ntables; i++)
		if (!strcmp(tables[i], table))
			return;
	if (ntables < MAX_TABLES)
		snprintf(tables[ntables++], sizeof(tables[0]), "%s", table);
}

static struct cell *cell_get(const char *table, const char *row,
			     const char *col)
{
	struct cell *c;

	table_use(table);
	for (int i = 0; i < ncells; i++) {
		c = &cells[i];
		if (!strcmp(c->table, table) && !strcmp(c->row, row) &&
		    !strcmp(c->col, col))
			return c;
	}
	if (ncells == MAX_CELLS)
		return NULL;
	c = &cells[ncells++];
	memset(c, 0, sizeof(*c));
	snprintf(c->table, sizeof(c->table), "%s", table);
	snprintf(c->row, sizeof(c->row), "%s", row);
	snprintf(c->col, sizeof(c->col), "%s", col);
	return c;
}

void bench_result(const char *table, const char *row, const char *col,
		  struct stats s, const char *unit)
{
	struct cell *c = cell_get(table, row, col);

	if (c) {
		c->s = s;
		snprintf(c->unit, sizeof(c->unit), "%s", unit);
		c->text[0] = 0;
	}
}

void bench_text(const char *table, const char *row, const char *col,
		const char *fmt, ...)
{
	struct cell *c = cell_get(table, row, col);
	va_list ap;

	if (!c)
		return;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	if (!c->text[0])
		snprintf(c->text, sizeof(c->text), "-");
}

void bench_note(const char *table, const char *fmt, ...)
{
	va_list ap;

	table_use(table);
	if (nnotes == MAX_NOTES)
		return;
	snprintf(notes[nnotes].table, sizeof(notes[0].table), "%s", table);
	va_start(ap, fmt);
	vsnprintf(notes[nnotes].text, sizeof(notes[0].text), fmt, ap);
	va_end(ap);
	nnotes++;
}

double bench_get(const char *table, const char *row, const char *col)
{
	for (int i = 0; i < ncells; i++)
		if (!strcmp(cells[i].table, table) &&
		    !strcmp(cells[i].row, row) && !strcmp(cells[i].col, col) &&
		    !cells[i].text[0])
			return cells[i].s.med;
	return -1;
}

void bench_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(2))
		return;
	fprintf(stderr, "\r\033[K");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

long bench_tlb_shootdowns(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096];
	long total = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, "TLB:", 4))
			continue;
		p += 4;
		total = 0;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			total += v;
			p = end;
		}
	}
	fclose(f);
	return total;
}

static long status_field(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n))
			v = strtol(line + n, NULL, 10);
	fclose(f);
	return v;
}

long bench_rss_bytes(void)
{
	long kb = status_field("VmRSS:");

	return kb < 0 ? -1 : kb * 1024;
}

long bench_vma_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* A cell as text: "12.3" or "12.3 (11.9-14.0)" with the spread. */
static void cell_fmt(const struct cell *c, int spread, char *buf, size_t n)
{
	const char *fmt = c->s.med >= 100 ? "%.0f" : c->s.med >= 10 ?
			  "%.1f" : "%.2f";
	char a[32], b[32], m[32];

	if (c->text[0]) {
		snprintf(buf, n, "%s", c->text);
		return;
	}
	snprintf(m, sizeof(m), fmt, c->s.med);
	if (!spread || c->s.min == c->s.max) {
		snprintf(buf, n, "%s%s", m, !strcmp(c->unit, "x") ? "x" : "");
		return;
	}
	snprintf(a, sizeof(a), fmt, c->s.min);
	snprintf(b, sizeof(b), fmt, c->s.max);
	snprintf(buf, n, "%s%s (%s-%s)", m, !strcmp(c->unit, "x") ? "x" : "",
		 a, b);
}

/* Print one table as markdown; spread adds min-max to every cell. */
static void table_print(FILE *f, const char *table, int spread)
{
	const char *rows[256], *cols[32], *units[32];
	int nr = 0, nc = 0;

	for (int i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		int j;

		if (strcmp(c->table, table))
			continue;
		for (j = 0; j < nr && strcmp(rows[j], c->row); j++)
			;
		if (j == nr && nr < 256)
			rows[nr++] = c->row;
		for (j = 0; j < nc && strcmp(cols[j], c->col); j++)
			;
		if (j == nc && nc < 32) {
			units[nc] = c->text[0] ? "" : c->unit;
			cols[nc++] = c->col;
		}
	}
	fprintf(f, "\n### %s\n\n", table);
	if (nr) {
		fprintf(f, "| |");
		for (int j = 0; j < nc; j++)
			fprintf(f, " %s%s%s%s |", cols[j],
				units[j][0] && strcmp(units[j], "x") ? " (" : "",
				strcmp(units[j], "x") ? units[j] : "",
				units[j][0] && strcmp(units[j], "x") ? ")" : "");
		fprintf(f, "\n|---|");
		for (int j = 0; j < nc; j++)
			fprintf(f, "---:|");
		fprintf(f, "\n");
	}
	for (int r = 0; r < nr; r++) {
		fprintf(f, "| %s |", rows[r]);
		for (int j = 0; j < nc; j++) {
			char buf[128] = "";

			for (int i = 0; i < ncells; i++) {
				const struct cell *c = &cells[i];

				if (!strcmp(c->table, table) &&
				    !strcmp(c->row, rows[r]) &&
				    !strcmp(c->col, cols[j]))
					cell_fmt(c, spread, buf, sizeof(buf));
			}
			fprintf(f, " %s |", buf[0] ? buf : " ");
		}
		fprintf(f, "\n");
	}
	for (int i = 0; i < nnotes; i++)
		if (!strcmp(notes[i].table, table))
			fprintf(f, "\n%s\n", notes[i].text);
}

static void machine_header(FILE *f)
{
	struct utsname u;
	char line[256], model[256] = "unknown CPU";
	FILE *c = fopen("/proc/cpuinfo", "r");

	while (c && fgets(line, sizeof(line), c))
		if (!strncmp(line, "model name", 10)) {
			char *p = strchr(line, ':');

			snprintf(model, sizeof(model), "%s", p ? p + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (c)
		fclose(c);
	uname(&u);
	fprintf(f, "Machine: %s, %ld cores, Linux %s (%s)%s\n", model,
		sysconf(_SC_NPROCESSORS_ONLN), u.release, u.machine,
		bench_opts.quick ? "; --quick run: figures are not meaningful" :
		"");
}

void bench_write_table(FILE *f, const char *table)
{
	static FILE *last;

	if (f != last)		/* the machine line once per file */
		machine_header(f);
	last = f;
	table_print(f, table, 0);
}

static int section_cmp(const void *a, const void *b)
{
	return ((const struct section *)a)->order -
	       ((const struct section *)b)->order;
}

static void write_report(const char *dir)
{
	char path[4096];
	FILE *f;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fprintf(f, "# trampjit benchmark report\n\n");
	machine_header(f);
	fprintf(f, "\nEvery figure is the median of repeated measurements "
		"in this one run; (min-max) gives the spread.\n");
	for (int t = 0; t < ntables; t++)
		table_print(f, tables[t], 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/results.tsv", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "table\trow\tcolumn\tunit\tmin\tmedian\tmax\ttext\n");
	for (int i = 0; i < ncells; i++)
		fprintf(f, "%s\t%s\t%s\t%s\t%g\t%g\t%g\t%s\n", cells[i].table,
			cells[i].row, cells[i].col, cells[i].unit,
			cells[i].s.min, cells[i].s.med, cells[i].s.max,
			cells[i].text);
	fclose(f);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	f = fopen(path, "a");
	if (!f)
		return;
	if (bench_charts(dir))
		fprintf(f, "\nCharts: not drawn: gnuplot is missing or failed "
			"(`apt-get install gnuplot-nox`).\n");
	else
		fprintf(f, "\n## Charts\n\n![call latency](calls.svg)\n\n"
			"![creation throughput](create.svg)\n\n"
			"![scaling](scale.svg)\n");
	fclose(f);
	printf("\nreport written to %s/report.md\n", dir);
}

int main(int argc, char **argv)
{
	const char *only = NULL;	/* run sections whose name has it */

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			bench_opts.quick = 1;
		} else if (!strcmp(argv[i], "--scale-point") && i + 1 < argc) {
			return bench_scale_point(atol(argv[i + 1]));
		} else if (!strcmp(argv[i], "--probe") && i + 2 < argc) {
			return bench_matrix_probe(argv[i + 1],
						  atoi(argv[i + 2]));
		} else if (!strcmp(argv[i], "--fork-point") && i + 1 < argc) {
			return bench_fork_point(argv[i + 1], bench_opts.quick);
		} else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
			bench_opts.report = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--quick] [--report DIR] "
				"[--only SECTION]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bench_opts.report)
		mkdir(bench_opts.report, 0755);	/* sections write data here */
	machine_header(stdout);
	qsort(sections, (size_t)nsections, sizeof(sections[0]), section_cmp);
	for (int s = 0; s < nsections; s++) {
		int first = ntables;

		if (only && !strstr(sections[s].name, only))
			continue;
		bench_progress("[%d/%d] %s ...", s + 1, nsections,
			       sections[s].name);
		sections[s].fn();
		bench_progress("%s", "");
		for (int t = first; t < ntables; t++)
			table_print(stdout, tables[t], 0);
	}
	if (bench_opts.report)
		write_report(bench_opts.report);
	return 0;
}

/*
 * The kernel cannot exec a program of another architecture, so under an
 * emulator (qemu-user) the bench reruns itself, and runs its sibling
 * programs, through TRAMPJIT_BENCH_RUNNER, which `make check` and `make
 * bench` set to the Makefile's RUNNER.  The emulator reports the program,
 * not itself, as /proc/self/exe.
 */
int bench_self_cmd(char *buf, size_t size, const char *prog,
		   const char *args)
{
	const char *runner = getenv("TRAMPJIT_BENCH_RUNNER");
	char self[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int len;

	if (n <= 0)
		return -1;
	self[n] = 0;
	if (prog) {
		slash = strrchr(self, '/');
		if (!slash)
			return -1;
		snprintf(slash + 1, sizeof(self) - (size_t)(slash + 1 - self),
			 "%s", prog);
	}
	len = snprintf(buf, size, "%s%s'%s' %s", runner ? runner : "",
		       runner && *runner ? " " : "", self, args);
	return len > 0 && (size_t)len < size ? 0 : -1;
}
