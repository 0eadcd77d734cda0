/* SPDX-License-Identifier: MIT */
/*
 * Charts of the report: reads back DIR/results.tsv, writes the data files
 * and one gnuplot script, and runs gnuplot for SVG and PNG output.  Without
 * gnuplot the report says which package to install.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Append the cells of `table` with unit `unit` to f as "label value",
   converting ns to operations per second when per_second is set. */
static int extract(const char *dir, FILE *f, const char *table,
		   const char *unit, const char *prefix, int per_second)
{
	char path[4096], line[1024];
	FILE *in;
	int n = 0;

	snprintf(path, sizeof(path), "%s/results.tsv", dir);
	in = fopen(path, "r");
	if (!in)
		return 0;
	while (fgets(line, sizeof(line), in)) {
		char *tab[8] = { 0 }, *p = line;
		double v;

		for (int i = 0; i < 8 && p; i++) {
			tab[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (!tab[6] || strcmp(tab[0], table) || strcmp(tab[3], unit) ||
		    (tab[7] && tab[7][0] && tab[7][0] != '\n'))
			continue;
		v = atof(tab[5]);
		if (v <= 0)
			continue;
		if (per_second)
			v = 1e9 / v;
		fprintf(f, "\"%s%s%s%s\" %g\n", prefix, tab[1],
			strcmp(tab[2], "ns/call") && strcmp(tab[2], "ns") ?
			" " : "", strcmp(tab[2], "ns/call") &&
			strcmp(tab[2], "ns") ? tab[2] : "", v);
		n++;
	}
	fclose(in);
	return n;
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "w");
}

static const char script[] =
"set datafile separator whitespace\n"
"set style fill solid 0.8 border -1\n"
"set boxwidth 0.7\n"
"set grid ytics\n"
"set xtics rotate by -50 font ',8' nomirror\n"
"set key off\nset rmargin 8\n"
"set logscale y\n"
"do for [fmt in 'svg png'] {\n"
"  if (fmt eq 'svg') { set terminal svg size 1000,560 font 'sans,10' } "
"else { set terminal pngcairo size 1000,560 font 'sans,9' }\n"
"  set output 'calls.'.fmt\n"
"  set title 'Call latency per mechanism (ns, log scale; median)'\n"
"  set ylabel 'ns per call'\n"
"  set bmargin 14\n"
"  plot 'calls.dat' using 0:2:xtic(1) with boxes lc rgb '#3b6ea5'\n"
"  set output 'create.'.fmt\n"
"  set title 'Creation throughput (create+destroy per second, log scale)'\n"
"  set ylabel 'operations per second'\n"
"  plot 'create.dat' using 0:2:xtic(1) with boxes lc rgb '#5a9e4b'\n"
"  unset xtics\n"
"  set xtics nomirror\n"
"  set bmargin 4\n"
"  set logscale x\n"
"  set key top right\n"
"  set output 'scale.'.fmt\n"
"  set title 'Static trampolines: cost against live count'\n"
"  set xlabel 'live trampolines'\n"
"  set ylabel 'bytes of RSS per trampoline'\n"
"  set y2label 'ns per create+destroy'\n"
"  set y2tics\n"
"  set logscale y2\n"
"  plot 'scale.dat' using 1:2 with linespoints lw 2 title 'RSS per "
"trampoline (B)', '' using 1:4 axes x1y2 with linespoints lw 2 "
"title 'create+destroy (ns)'\n"
"  unset logscale x\n"
"  unset y2tics\n"
"  unset y2label\n"
"  unset xlabel\n"
"  set key off\n"
"  set xtics rotate by -50 font ',8' nomirror\n"
"  set bmargin 14\n"
"}\n";

/* Write the charts; returns 0, or -1 (with a note) without gnuplot. */
int bench_charts(const char *dir)
{
	FILE *f;
	char cmd[4200];

	f = open_in(dir, "calls.dat");
	if (!f)
		return -1;
	extract(dir, f, "trampoline call latency", "ns", "", 0);
	extract(dir, f, "backends: call latency (ns/call)", "ns", "", 0);
	fclose(f);
	f = open_in(dir, "create.dat");
	if (!f)
		return -1;
	extract(dir, f, "backends: create+destroy (ns/op)", "ns", "", 1);
	extract(dir, f, "jit: create+destroy", "ns", "jit ", 1);
	fclose(f);
	f = open_in(dir, "charts.gp");
	if (!f)
		return -1;
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot charts.gp 2>gnuplot.log",
		 dir);
	if (system(cmd)) {
		fprintf(stderr, "charts: gnuplot failed or missing "
			"(apt-get install gnuplot-nox); see %s/gnuplot.log\n",
			dir);
		return -1;
	}
	return 0;
}
