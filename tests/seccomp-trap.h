/* SPDX-License-Identifier: MIT */
/*
 * A seccomp filter of a test's own: system call FOREIGN_NR raises SIGSYS
 * (si_code SYS_SECCOMP), a SIGSYS that is not the library's.
 */
#ifndef TRAMPJIT_SECCOMP_TRAP_H
#define TRAMPJIT_SECCOMP_TRAP_H

#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define FOREIGN_NR	0x2a7a3b2	/* not the library's reserved number */

/* Install the filter (sets no_new_privs).  0, or -1 with errno. */
static inline int foreign_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FOREIGN_NR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

#endif
