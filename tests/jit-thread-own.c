/* SPDX-License-Identifier: MIT */
/*
 * Objects of the alias and dual-view heaps belong to the thread (slot) that
 * allocated them: that thread frees them with a plain store, others with a
 * compare-and-swap.
 *  - the allocating thread and another free one object at once, many
 *    times: at least one wins, the object is freed once (objects made
 *    meanwhile and later are distinct, run, and free once);
 *  - a thread's slot passes to a later thread: objects of an exited
 *    thread are freed by the next holder of its slot and by others, and a
 *    double free is refused wherever it comes from;
 *  - more threads alive at once than there are slots: the rest share
 *    (tag OWN_SHARED) and everything above still holds;
 *  - frees of other threads' objects that a thread still holds when it
 *    exits reach the quarantine (filler at the next release);
 *  - fork, again and again, while two threads write alias-mode code and
 *    check it: each object runs as written, in the parent and in the
 *    child;
 *  - pwrite mode: while two threads write code from their caches, the
 *    quarantine releases batch after batch with joined refills over the
 *    same space: every object keeps the bytes written to it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit-objects.h"

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Sound: n live objects at once are distinct and run, rounds times over
   (more frees than a quarantine batch holds, so batches are released). */
static void check_sound(size_t len, int rounds)
{
	static void *live[2048];

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 2048; i++) {
			live[i] = dual(len, (uint32_t)i);
			CHECK(live[i]);
		}
		for (int i = 0; i < 2048; i++)
			CHECK(call(live[i]) == i);
		qsort(live, 2048, sizeof(live[0]), cmp_ptr);
		for (int i = 1; i < 2048; i++)
			CHECK(live[i] != live[i - 1]);
		for (int i = 0; i < 2048; i++)
			CHECK(!jit_dual_free(live[i]));
	}
}

/* ---- the allocating thread against another ------------------------------ */

#define RACES	3000

static void *race_obj[RACES], *keeper[RACES];
static atomic_int race_round = -1, race_done = -1, race_wins, both_won;

static void *race_other(void *arg)
{
	(void)arg;
	for (int r = 0; r < RACES; r++) {
		while (atomic_load(&race_round) < r)
			sched_yield();
		if (!jit_dual_free(race_obj[r]))
			atomic_fetch_add(&race_wins, 1);
		atomic_store(&race_done, r);
	}
	return NULL;
}

static void owner_races(void)
{
	int mine = 0, theirs;
	pthread_t t;

	for (int r = 0; r < RACES; r++)
		CHECK((race_obj[r] = dual(64 * (1 + (size_t)(r % 3)), 1)));
	CHECK(!pthread_create(&t, NULL, race_other, NULL));
	for (int r = 0; r < RACES; r++) {
		int before = atomic_load(&race_wins), won;

		atomic_store(&race_round, r);
		/* Let either side come first, or both at once. */
		for (volatile int d = 0; d < (r * 7919) % 600; d++)
			;
		won = !jit_dual_free(race_obj[r]);
		mine += won;
		while (atomic_load(&race_done) < r)
			sched_yield();
		theirs = atomic_load(&race_wins) - before;
		CHECK(won + theirs >= 1);
		if (won && theirs)
			atomic_fetch_add(&both_won, 1);
		/* Whatever the race gave, it is freed now. */
		errno = 0;
		CHECK(jit_dual_free(race_obj[r]) == -1 && errno == EINVAL);
		/* Space freed twice would be handed out twice. */
		CHECK((keeper[r] = dual(64, (uint32_t)r)));
	}
	CHECK(!pthread_join(t, NULL));
	for (int r = 0; r < RACES; r++) {
		CHECK(call(keeper[r]) == r);
		CHECK(!jit_dual_free(keeper[r]));
	}
	CHECK(mine + atomic_load(&race_wins) >= RACES);
	printf("owner races: %d won here, %d there, %d both\n", mine,
	       atomic_load(&race_wins), atomic_load(&both_won));
	check_sound(64, 3);
	check_sound(192, 1);
}

/* ---- slots passing on, more threads than slots -------------------------- */

#define MANY	300		/* more than the 253 slots */

static void *held[MANY];
static pthread_barrier_t all_alive;

static void *make_and_wait(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	held[i] = i % 2 ? dual(64, (uint32_t)i) : alias(128, (uint32_t)i);
	CHECK(held[i] && call(held[i]) == (int)i);
	pthread_barrier_wait(&all_alive);
	/* Free a neighbour's object: another slot's, or a shared one. */
	pthread_barrier_wait(&all_alive);
	if (i % 4 == 0) {
		uintptr_t j = (i + 2) % MANY;

		CHECK(!jit_destroy_code(held[j]));
		errno = 0;
		CHECK(jit_destroy_code(held[j]) == -1 && errno == EINVAL);
	}
	return NULL;
}

static void *free_one(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	CHECK(call(held[i]) == (int)i);
	CHECK(!(i % 2 ? jit_dual_free(held[i]) : jit_destroy_code(held[i])));
	errno = 0;
	CHECK((i % 2 ? jit_dual_free(held[i]) : jit_destroy_code(held[i])) ==
	      -1 && errno == EINVAL);
	return NULL;
}

static void slots_pass_on(void)
{
	static pthread_t t[MANY];
	pthread_attr_t a;

	CHECK(!pthread_attr_init(&a));
	CHECK(!pthread_attr_setstacksize(&a, 256 << 10));
	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
	CHECK(!pthread_barrier_init(&all_alive, NULL, MANY + 1));
	for (uintptr_t i = 0; i < MANY; i++)
		CHECK(!pthread_create(&t[i], &a, make_and_wait, (void *)i));
	CHECK(!pthread_attr_destroy(&a));
	pthread_barrier_wait(&all_alive);
	pthread_barrier_wait(&all_alive);
	for (int i = 0; i < MANY; i++)
		CHECK(!pthread_join(t[i], NULL));
	CHECK(!pthread_barrier_destroy(&all_alive));
	/* Their threads are gone and their slots free: freed by new threads
	   (which take those slots) and here; each exactly once. */
	for (uintptr_t i = 0; i < MANY; i++) {
		if (i % 4 == 2)
			continue;	/* freed by a neighbour above */
		if (i % 3) {
			CHECK(!pthread_create(&t[0], NULL, free_one,
					      (void *)i));
			CHECK(!pthread_join(t[0], NULL));
		} else {
			free_one((void *)i);
		}
	}
	for (uintptr_t i = 0; i < MANY; i++) {
		errno = 0;
		CHECK((i % 2 ? jit_dual_free(held[i]) :
		       jit_destroy_code(held[i])) == -1 && errno == EINVAL);
	}
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) >= 0);
	check_sound(64, 1);
}

/* ---- frees of others' objects held at exit ------------------------------ */

static void *others[20];

static void *free_others_and_exit(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		CHECK(!jit_dual_free(others[i]));
	return NULL;
}

static void remote_frees_at_exit(void)
{
	static void *pad[1100];
	unsigned long f0;
	pthread_t t;
	int i;

	for (i = 0; i < 20; i++)
		CHECK((others[i] = dual(320, (uint32_t)i)));
	for (i = 0; i < 1100; i++)
		CHECK((pad[i] = dual(64, (uint32_t)i)));
	CHECK(!pthread_create(&t, NULL, free_others_and_exit, NULL));
	CHECK(!pthread_join(t, NULL));
	for (i = 0; i < 20; i++) {
		errno = 0;
		CHECK(jit_dual_free(others[i]) == -1 && errno == EINVAL);
	}
	f0 = flushes();
	for (i = 0; i < 1100 && flushes() == f0; i++)
		CHECK(!jit_dual_free(pad[i]));
	CHECK(flushes() > f0);
	for (int k = 0; k < 20; k++)
		for (size_t b = 0; b < 320; b += 4)
			CHECK(test_is_fill((char *)others[k] + b));
	for (; i < 1100; i++)
		CHECK(!jit_dual_free(pad[i]));
}

/* ---- fork while threads write code -------------------------------------- */

#define FORKS	60
#define KEEP	64

static atomic_int stop;
static void *volatile kept[2][KEEP];
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

/* Make alias-mode objects of 64 B to 1 KiB and check each at once; keep
   the last KEEP (under kept_lock, fully written) for the children. */
static void *writer(void *arg)
{
	uintptr_t w = (uintptr_t)arg;
	uint32_t v = (uint32_t)w << 24;
	int k = 0;

	while (!atomic_load(&stop)) {
		size_t len = 64 * (1 + (size_t)(v % 16));
		void *p = alias(len, v), *old;

		CHECK(p && call(p) == (int)v);
		pthread_mutex_lock(&kept_lock);
		old = kept[w][k];
		kept[w][k] = p;
		pthread_mutex_unlock(&kept_lock);
		if (old)
			CHECK(!jit_destroy_code(old));
		k = (k + 1) % KEEP;
		v++;
	}
	return NULL;
}

static void fork_mid_churn(void)
{
	pthread_t t[2];

	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
	for (uintptr_t w = 0; w < 2; w++)
		CHECK(!pthread_create(&t[w], NULL, writer, (void *)w));
	for (int f = 0; f < FORKS; f++) {
		pid_t pid;
		int st;

		usleep(2000);
		pthread_mutex_lock(&kept_lock);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			/* Every kept object was written before the fork. */
			for (int w = 0; w < 2; w++)
				for (int k = 0; k < KEEP; k++) {
					void *p = kept[w][k];

					if (p && (uint32_t)call(p) >> 24 !=
						 (uint32_t)w)
						_exit(2);
				}
			for (int i = 0; i < 500; i++) {
				void *p = alias(64 * (1 + (size_t)(i % 16)),
						(uint32_t)i);

				if (!p || call(p) != i || jit_destroy_code(p))
					_exit(3);
			}
			_exit(0);
		}
		pthread_mutex_unlock(&kept_lock);
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	atomic_store(&stop, 1);
	for (int w = 0; w < 2; w++)
		CHECK(!pthread_join(t[w], NULL));
	for (int w = 0; w < 2; w++)
		for (int k = 0; k < KEEP; k++)
			if (kept[w][k])
				CHECK(!jit_destroy_code(kept[w][k]));
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) >= 0);
}

/* ---- joined refills while threads write (pwrite mode) -------------------- */

static void check_obj(const struct obj *o)
{
	unsigned char b[256];

	source(b, o->len, o->v);
	CHECK(!memcmp(o->rx, b, o->len));
	CHECK(call(o->rx) == (int)o->v);
}

static void *pwrite_writer(void *arg)
{
	static _Thread_local struct obj ring[32];
	uint32_t v = (uint32_t)(uintptr_t)arg;
	unsigned n = 0;

	while (!atomic_load(&stop) || n < 32) {
		struct obj *o = &ring[n % 32];

		if (n >= 32) {
			check_obj(o);
			CHECK(!jit_destroy_code(o->rx));
		}
		make_obj(o, 64 * (1 + n % 3), v + n);
		n++;
	}
	for (unsigned i = 0; i < 32; i++) {
		check_obj(&ring[i]);
		CHECK(!jit_destroy_code(ring[i].rx));
	}
	return NULL;
}

static void refill_while_writing(void)
{
	static struct obj pad[1200];
	unsigned long f0 = flushes();
	uint64_t x = 88172645463325252ull;
	pthread_t t[2];

	atomic_store(&stop, 0);
	for (uintptr_t i = 0; i < 2; i++)
		CHECK(!pthread_create(&t[i], NULL, pwrite_writer,
				      (void *)((i + 1) << 20)));
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 1200; i++)
			make_obj(&pad[i], 64, (uint32_t)i);
		/* Free in a scattered order: joined refills span the
		   writers' objects. */
		for (int i = 0; i < 1200; i++) {
			int k;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			k = (int)(x % 1200);
			if (pad[k].rx) {
				check_obj(&pad[k]);
				CHECK(!jit_destroy_code(pad[k].rx));
				pad[k].rx = NULL;
			}
		}
		for (int i = 0; i < 1200; i++)
			if (pad[i].rx) {
				check_obj(&pad[i]);
				CHECK(!jit_destroy_code(pad[i].rx));
			}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		CHECK(!pthread_join(t[i], NULL));
	CHECK(flushes() > f0 + 20);
}

int main(void)
{
	owner_races();
	slots_pass_on();
	remote_frees_at_exit();
	fork_mid_churn();
	refill_while_writing();
	return 0;
}
