/*
 * accept_nodelay.c - the embedded broker answers without Nagle's delay.
 * Kafka brokers set TCP_NODELAY on every connection they accept; librdkafka
 * 2.0.2's mock cluster does not, so when it owed a client two responses
 * the second waited for the client's delayed ACK: 40 ms on Linux, each
 * time a producer had more requests in flight than one (gold's final 114
 * rows over 12 partitions took 42 ms to be acknowledged instead of 1).
 * The sluice executable defines accept() and accept4() itself, like
 * bind() in bind_fixed.c: librdkafka's calls resolve to these first, which
 * call libc's and set TCP_NODELAY on the TCP connection accepted (the REST
 * server's connections get it too: its replies go out sooner, nothing
 * else changes).
 *
 * This file belongs in the sluice executable only (see bind_fixed.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef int (*accept_fn)(int, __SOCKADDR_ARG, socklen_t *);
typedef int (*accept4_fn)(int, __SOCKADDR_ARG, socklen_t *, int);

/* A socket that is not TCP refuses the option: nothing to undo. */
static int nodelay(int fd)
{
	if (fd >= 0) {
		int saved = errno, one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		errno = saved;
	}
	return fd;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	accept_fn real = (accept_fn)dlsym(RTLD_NEXT, "accept");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return nodelay(real(fd, addr, len));
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	accept4_fn real = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return nodelay(real(fd, addr, len, flags));
}
