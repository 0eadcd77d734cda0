/* SPDX-License-Identifier: MIT */
/* mdwe-exec PROG [ARGS]: run PROG under prctl(PR_SET_MDWE,
   PR_MDWE_REFUSE_EXEC_GAIN), which is inherited across execve. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mdwe-exec PROG [ARGS]\n");
		return 2;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L)) {
		fprintf(stderr, "skip: PR_SET_MDWE: %s\n", strerror(errno));
		return 77;
	}
	execv(argv[1], argv + 1);
	fprintf(stderr, "mdwe-exec: %s: %s\n", argv[1], strerror(errno));
	return 1;
}
