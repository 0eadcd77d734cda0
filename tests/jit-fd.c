/* SPDX-License-Identifier: MIT */
/*
 * jitfd_create / jitfd_map / jitfd_unmap: the fd is sealed (write,
 * ftruncate and writable mappings fail), runs here, and runs in a second
 * process that received it over a UNIX socket (SCM_RIGHTS).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef long fn(void);

/* mov $0x1234567, %rax; ret */
static const unsigned char code[] = {
	0x48, 0xc7, 0xc0, 0x67, 0x45, 0x23, 0x01, 0xc3,
};

static void send_fd(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sock, &msg, 0) == 1);
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The child: receive the fd, map it, run it; exit status says how. */
static int child(int sock)
{
	int fd = recv_fd(sock);
	fn *f;

	if (fd < 0)
		return 2;
	f = (fn *)jitfd_map(fd);
	close(fd);
	if (!f)
		return 3;
	if (f() != 0x1234567)
		return 4;
	return jitfd_unmap((void *)f) ? 5 : 0;
}

int main(void)
{
	int fd = jitfd_create(code, sizeof(code), JITFD_CLOEXEC), sv[2], st;
	int plain;
	char buf[8];
	fn *f;
	pid_t pid;

	CHECK(fd >= 0);
	fprintf(stderr, "memfd: %s\n", jitfd_memfd_mode());
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK((fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_GROW |
		F_SEAL_SHRINK | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_GROW |
		F_SEAL_SHRINK | F_SEAL_SEAL));
	/* exactly the code */
	CHECK(lseek(fd, 0, SEEK_END) == (off_t)sizeof(code));
	CHECK(pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(code));
	CHECK(!memcmp(buf, code, sizeof(code)));
	/* nobody can change it */
	CHECK(pwrite(fd, "x", 1, 0) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 0) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 8192) == -1 && errno == EPERM);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == -1);
	/* runs here */
	f = (fn *)jitfd_map(fd);
	CHECK(f);
	CHECK(f() == 0x1234567);
	CHECK(mprotect((void *)f, 4096, PROT_READ | PROT_WRITE) == -1);
	/* and in another process */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child(sv[1]));
	}
	close(sv[1]);
	send_fd(sv[0], fd);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sv[0]);
	CHECK(jitfd_unmap((void *)f) == 0);
	CHECK(jitfd_unmap((void *)f) == -1 && errno == EINVAL);
	CHECK(jitfd_unmap(NULL) == 0);
	/* without JITFD_CLOEXEC the fd survives execve */
	plain = jitfd_create(code, sizeof(code), 0);
	CHECK(plain >= 0 && !(fcntl(plain, F_GETFD) & FD_CLOEXEC));
	close(plain);
	/* an unsealed memfd is not code */
	plain = memfd_create("plain", MFD_CLOEXEC);
	CHECK(plain >= 0 && ftruncate(plain, 16) == 0);
	CHECK(!jitfd_map(plain) && errno == EINVAL);
	close(plain);
	CHECK(!jitfd_map(-1) && errno == EBADF);
	close(fd);
	return 0;
}
