/* SPDX-License-Identifier: MIT */
/*
 * jitfd: a sealed memfd of code that nobody can change (write, ftruncate
 * and writable mappings fail), mapped read+execute here and, passed over
 * a UNIX socket with SCM_RIGHTS, in a second process.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int main(void)
{
	int fd, sv[2], st;
	void *code;
	pid_t pid;

	code_ret(ret42, 42);
	CHECK(jitfd_memfd_mode() && jitfd_memfd_mode()[0]);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	/* The child exists before the fd: it can only get it by message. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int got = recv_fd(sv[1]);
		void *c;

		CHECK(got >= 0);
		c = jitfd_map(got);
		CHECK(c != NULL);
		_exit(((int (*)(void))c)() == 42 ? 0 : 1);
	}

	fd = jitfd_create(ret42, sizeof(ret42), JITFD_CLOEXEC);
	CHECK(fd >= 0);
	fprintf(stderr, "memfd created with: %s\n", jitfd_memfd_mode());
	code = jitfd_map(fd);
	CHECK(code != NULL);
	CHECK(((int (*)(void))code)() == 42);

	/* Nobody can change it. */
	errno = 0;
	CHECK(write(fd, "x", 1) == -1 && errno == EPERM);
	CHECK(pwrite(fd, "x", 1, 0) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 0) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 1 << 20) == -1 && errno == EPERM);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == -1);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	CHECK(send_fd(sv[0], fd) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* A second mapping of the same fd; unmapping one leaves the other. */
	void *again = jitfd_map(fd);
	CHECK(again && again != code);
	CHECK(jitfd_unmap(code) == 0);
	CHECK(((int (*)(void))again)() == 42);
	CHECK(jitfd_unmap(code) == -1 && errno == EINVAL);
	CHECK(jitfd_unmap(again) == 0);
	CHECK(jitfd_unmap(NULL) == 0);
	close(fd);

	/* Without JITFD_CLOEXEC the fd survives exec. */
	fd = jitfd_create(ret42, sizeof(ret42), 0);
	CHECK(fd >= 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
	return 0;
}
