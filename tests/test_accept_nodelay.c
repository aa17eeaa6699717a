/*
 * test_accept_nodelay - host/accept_nodelay.c: a TCP connection accepted
 * in the sluice executable (the embedded broker's, the REST server's) has
 * TCP_NODELAY set, through accept() and accept4(); a socket that is not
 * TCP is accepted as before, with errno untouched.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listener(struct sockaddr_in *at)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	*at = (struct sockaddr_in){.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(l, (struct sockaddr *)at, sizeof(*at)), 0);
	socklen_t len = sizeof(*at);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)at, &len), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	return l;
}

static int nodelay_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	return v;
}

START_TEST(tcp_accept_and_accept4)
{
	struct sockaddr_in at;
	int l = listener(&at);
	for (int i = 0; i < 2; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(c, (struct sockaddr *)&at, sizeof(at)),
				 0);
		/* the client's own side is left as it was */
		ck_assert_int_eq(nodelay_of(c), 0);
		int a = i ? accept4(l, NULL, NULL, SOCK_CLOEXEC)
			  : accept(l, NULL, NULL);
		ck_assert_int_ge(a, 0);
		ck_assert_int_ne(nodelay_of(a), 0);
		close(a);
		close(c);
	}
	close(l);
}
END_TEST

START_TEST(unix_socket_untouched)
{
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un at = {.sun_family = AF_UNIX};
	snprintf(at.sun_path, sizeof(at.sun_path), "/tmp/sluice-nodelay-%d",
		 (int)getpid());
	unlink(at.sun_path);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&at, sizeof(at)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&at, sizeof(at)), 0);
	errno = 1234;
	int a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(errno, 1234);
	/* a failed accept keeps its own errno */
	ck_assert_int_eq(accept(-1, NULL, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	close(a);
	close(c);
	close(l);
	unlink(at.sun_path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accept_nodelay");
	TCase *tc = tcase_create("accept");
	tcase_add_test(tc, tcp_accept_and_accept4);
	tcase_add_test(tc, unix_socket_untouched);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
