/*
 * bind_fixed.c - fixed ports for the embedded broker. librdkafka 2.0.2's
 * mock cluster binds each broker to 127.0.0.1 port 0 and has no option for
 * a port, so the sluice executable defines bind() itself: librdkafka's calls
 * resolve to the executable's definition first. While a base port is set,
 * the n-th bind to 127.0.0.1:0 becomes a bind to base+n; everything else
 * goes to libc's bind unchanged.
 *
 * This file belongs in the sluice executable only. In a shared library it
 * would interpose bind() for every program that loads it; in the static
 * convenience library it would do the same to every unit test.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

static atomic_int fixed_base;
static atomic_int fixed_next;

void bind_fixed_set_base(int base)
{
	atomic_store(&fixed_next, 0);
	atomic_store(&fixed_base, base);
}

/* glibc declares bind() with __CONST_SOCKADDR_ARG, under _GNU_SOURCE a
 * transparent union of sockaddr pointers, so the definition must use it
 * too; memcpy takes the pointer out of either form. */
int bind(int fd, __CONST_SOCKADDR_ARG arg, socklen_t len)
{
	const struct sockaddr *addr;
	memcpy(&addr, &arg, sizeof(addr));
	/* Looked up on each call: binds are rare, and this needs no
	 * once-only initialisation shared between threads. */
	bind_fn real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
	if (!real_bind) {
		errno = ENOSYS;
		return -1;
	}
	int base = atomic_load(&fixed_base);
	if (base <= 0 || !addr || addr->sa_family != AF_INET ||
	    len < (socklen_t)sizeof(struct sockaddr_in))
		return real_bind(fd, addr, len);

	struct sockaddr_in sin;
	memcpy(&sin, addr, sizeof(sin));
	if (sin.sin_port != 0 || sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		return real_bind(fd, addr, len);
	sin.sin_port =
		htons((uint16_t)(base + atomic_fetch_add(&fixed_next, 1)));
	return real_bind(fd, (const struct sockaddr *)&sin, sizeof(sin));
}

int bind_fixed_check(int base, int count, int *bad)
{
	for (int port = base; port < base + count; port++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			*bad = port;
			return -1;
		}
		/* SO_REUSEADDR as librdkafka sets it, so that a port only in
		 * TIME_WAIT counts as free, as it is for the broker. */
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr =
						  htonl(INADDR_LOOPBACK)};
		int rc = bind(fd, (const struct sockaddr *)&sin, sizeof(sin));
		int saved = errno;
		close(fd);
		if (rc) {
			*bad = port;
			errno = saved;
			return -1;
		}
	}
	return 0;
}
