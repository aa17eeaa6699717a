/*
 * s3proxy: a small fault-injecting HTTP/1.1 reverse proxy for sluice's S3
 * tests. It listens on 127.0.0.1:PORT and forwards every request to one
 * upstream (the test radosgw), passing the request bytes through unchanged
 * (Host header included, so SigV4 signatures stay valid). Keep-alive,
 * Content-Length and chunked bodies, and Expect: 100-continue are relayed.
 *
 * Faults, counted per request (request numbers start at 1 and restart at
 * every /set or /reset on the control port):
 *   error_every=N   requests N, 2N, ... get an S3 XML error (no forwarding):
 *                   error_status=503 (SlowDown, default) or 500 (InternalError)
 *   drop_every=N    requests N, 2N, ... : connection closed, no response
 *   delay_ms=MS     added delay before requests delay_every=N (default 1:
 *                   every request)
 *   down=SECS       refuse connections for SECS seconds (the listening socket
 *                   is closed; open connections are closed); -1: until down=0
 * drop wins over error when both hit the same request.
 *
 * Control: plain HTTP on 127.0.0.1:CONTROL_PORT (GET or POST):
 *   /stats                    counters and settings, one key=value a line
 *   /set?error_every=3&...    replace the settings (keys not given: defaults,
 *                             i.e. no fault), reset counters; answers /stats
 *   /set                      no faults, counters reset
 *   /reset                    reset counters; answers /stats
 *   /health                   "ok"
 *
 * Usage: s3proxy --listen PORT --control PORT --upstream HOST:PORT
 *          [--error-every N] [--error-status S] [--drop-every N]
 *          [--delay-ms MS] [--delay-every N] [--down SECS]
 *          [--max-conns N] [-v]
 * -v logs one line a request to stderr. Exits 0 on SIGTERM or SIGINT.
 * Build: cc -std=c11 -O2 -pthread -o s3proxy s3proxy.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)  /* per direction; also the head limit */
#define IDLE_TIMEOUT_MS 60000 /* client silent between requests */
#define IO_TIMEOUT_MS 120000  /* no progress within a request */
#define CONTROL_TIMEOUT_MS 2000
#define MAX_DELAY_MS 600000
#define SLICE_MS 100

struct settings {
	long error_every, error_status, drop_every, delay_ms, delay_every;
	int64_t down_until; /* monotonic ms; 0: up; -1: down until cleared */
};

struct counters {
	unsigned long requests, forwarded, completed, errors_injected, dropped,
		delayed, down_closed, upstream_errors, bad_requests,
		connections, rejected;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct settings g_defaults = {0, 503, 0, 0, 1, 0};
static struct settings g_set = {0, 503, 0, 0, 1, 0};
static struct counters g_cnt;
static long g_active;
static long g_max_conns = 256;
static int g_verbose;
static volatile sig_atomic_t g_stop;
static struct sockaddr_storage g_up_addr;
static socklen_t g_up_len;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "s3proxy: %s\n", line);
}

static int is_down_locked(int64_t now)
{
	return g_set.down_until == -1 ||
	       (g_set.down_until > 0 && now < g_set.down_until);
}

static int is_down(void)
{
	int d;
	pthread_mutex_lock(&g_mu);
	d = is_down_locked(now_ms());
	pthread_mutex_unlock(&g_mu);
	return d;
}

/* ---- buffers and sockets ------------------------------------------------ */

struct buf {
	char d[BUF_SIZE];
	size_t off, len; /* data is d[off .. off+len) */
};

static char *buf_data(struct buf *b)
{
	return b->d + b->off;
}

static void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* Read what is available into b's free space; 0 on EOF, -1 on error,
 * -2 when b is full. */
static ssize_t buf_fill(int fd, struct buf *b)
{
	ssize_t n;
	if (b->off > 0 && b->off + b->len == BUF_SIZE) {
		memmove(b->d, b->d + b->off, b->len);
		b->off = 0;
	}
	if (b->off + b->len == BUF_SIZE)
		return -2;
	do
		n = recv(fd, b->d + b->off + b->len, BUF_SIZE - b->off - b->len,
			 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Wait until fd is readable: 1; 0 after timeout_ms; -1 when stopping or
 * (with watch_down) when the proxy went down. */
static int wait_readable(int fd, int timeout_ms, int watch_down)
{
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = end - now_ms();
		int r;
		if (g_stop || (watch_down && is_down()))
			return -1;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, left < SLICE_MS ? (int)left : SLICE_MS);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_upstream(void)
{
	int fd = socket(g_up_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    one = 1;
	if (fd < 0)
		return -1;
	set_timeouts(fd, 10000); /* bounds connect() */
	if (connect(fd, (struct sockaddr *)&g_up_addr, g_up_len) < 0) {
		close(fd);
		return -1;
	}
	set_timeouts(fd, IO_TIMEOUT_MS);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* An idle upstream connection that has been closed (or sent something
 * unasked) must not be reused. */
static int upstream_usable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;
	if (poll(&p, 1, 0) == 0)
		return 1;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ---- HTTP messages ------------------------------------------------------ */

enum { F_NONE, F_LENGTH, F_CHUNKED, F_CLOSE };
enum {
	CS_SIZE,
	CS_EXT,
	CS_SIZE_LF,
	CS_DATA,
	CS_DATA_CR,
	CS_DATA_LF,
	CS_TRAILER_START,
	CS_TRAILER_LINE,
	CS_END_LF
};

/* Tracks where a body ends without changing its bytes. */
struct framing {
	int type, cstate, done, error;
	long long remaining;
};

static void framing_init(struct framing *f, int type, long long len)
{
	memset(f, 0, sizeof *f);
	f->type = type;
	f->remaining = len;
	f->done = type == F_NONE || (type == F_LENGTH && len == 0);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* How many of the n bytes at p belong to the body; sets done at its end. */
static size_t framing_take(struct framing *f, const char *p, size_t n)
{
	size_t i = 0;
	if (f->done)
		return 0;
	if (f->type == F_CLOSE)
		return n;
	if (f->type == F_LENGTH) {
		size_t k = (unsigned long long)f->remaining < n
				   ? (size_t)f->remaining
				   : n;
		f->remaining -= (long long)k;
		f->done = f->remaining == 0;
		return k;
	}
	while (i < n && !f->done && !f->error) {
		char c = p[i];
		switch (f->cstate) {
		case CS_SIZE:
			if (hexval(c) >= 0) {
				if (f->remaining > (1LL << 40)) {
					f->error = 1;
					break;
				}
				f->remaining = f->remaining * 16 + hexval(c);
			} else if (c == ';' || c == ' ' || c == '\t')
				f->cstate = CS_EXT;
			else if (c == '\r')
				f->cstate = CS_SIZE_LF;
			else if (c == '\n')
				f->cstate = f->remaining ? CS_DATA
							 : CS_TRAILER_START;
			else
				f->error = 1;
			i++;
			break;
		case CS_EXT:
		case CS_SIZE_LF:
			if (c == '\n')
				f->cstate = f->remaining ? CS_DATA
							 : CS_TRAILER_START;
			else if (f->cstate == CS_SIZE_LF)
				f->error = 1;
			i++;
			break;
		case CS_DATA: {
			size_t k = n - i;
			if ((unsigned long long)f->remaining < k)
				k = (size_t)f->remaining;
			i += k;
			f->remaining -= (long long)k;
			if (f->remaining == 0)
				f->cstate = CS_DATA_CR;
			break;
		}
		case CS_DATA_CR:
		case CS_DATA_LF:
			if (c == '\r' && f->cstate == CS_DATA_CR)
				f->cstate = CS_DATA_LF;
			else if (c == '\n')
				f->cstate = CS_SIZE;
			else
				f->error = 1;
			i++;
			break;
		case CS_TRAILER_START:
			f->cstate = c == '\r'	? CS_END_LF
				    : c == '\n' ? CS_END_LF
						: CS_TRAILER_LINE;
			if (c == '\n')
				f->done = 1;
			i++;
			break;
		case CS_TRAILER_LINE:
			if (c == '\n')
				f->cstate = CS_TRAILER_START;
			i++;
			break;
		case CS_END_LF:
			if (c == '\n')
				f->done = 1;
			else
				f->error = 1;
			i++;
			break;
		}
	}
	return i;
}

struct msg {
	char method[16];
	char target[512]; /* truncated; for logs and error bodies */
	int status, http10, close, keepalive, chunked, expect100;
	long long clen; /* -1: none */
};

/* Length of the head (through the blank line) at the start of b, 0 if
 * incomplete. */
static size_t head_len(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return i + 2;
		if (i + 3 < n && p[i] == '\r' && p[i + 1] == '\n' &&
		    p[i + 2] == '\r' && p[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

static int token_in(const char *value, const char *token)
{
	size_t tl = strlen(token);
	const char *s = value;
	while ((s = strcasestr(s, token)) != NULL) {
		int start = s == value || s[-1] == ',' || s[-1] == ' ' ||
			    s[-1] == '\t';
		char e = s[tl];
		if (start && (e == '\0' || e == ',' || e == ' ' || e == '\t'))
			return 1;
		s += tl;
	}
	return 0;
}

/* Parse a request (is_request) or response head; 0 ok, -1 malformed. */
static int parse_head(const char *p, size_t n, int is_request, struct msg *m)
{
	char *h = malloc(n + 1), *line, *save = NULL;
	int first = 1, rc = 0;
	if (!h)
		return -1;
	memcpy(h, p, n);
	h[n] = '\0';
	memset(m, 0, sizeof *m);
	m->clen = -1;
	for (line = strtok_r(h, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		char *colon, *v;
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0)
			break;
		if (first) {
			first = 0;
			if (is_request) {
				/* METHOD SP TARGET SP HTTP/1.x; the target may
				 * be long. */
				char *sp1 = strchr(line, ' '),
				     *sp2 = strrchr(line, ' ');
				size_t ml, tl;
				if (!sp1 || sp2 == sp1 ||
				    strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
					rc = -1;
					break;
				}
				ml = (size_t)(sp1 - line);
				tl = (size_t)(sp2 - sp1 - 1);
				if (ml == 0 || ml >= sizeof m->method) {
					rc = -1;
					break;
				}
				memcpy(m->method, line, ml);
				if (tl >= sizeof m->target)
					tl = sizeof m->target - 1;
				memcpy(m->target, sp1 + 1, tl);
				m->http10 = strcmp(sp2 + 1, "HTTP/1.0") == 0;
			} else {
				char c[32];
				if (sscanf(line, "%31s %d", c, &m->status) !=
					    2 ||
				    strncmp(c, "HTTP/1.", 7) != 0 ||
				    m->status < 100 || m->status > 999) {
					rc = -1;
					break;
				}
				m->http10 = strcmp(c, "HTTP/1.0") == 0;
			}
			continue;
		}
		colon = strchr(line, ':');
		if (!colon) {
			rc = -1;
			break;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (l = strlen(v); l && (v[l - 1] == ' ' || v[l - 1] == '\t');
		     l--)
			v[l - 1] = '\0';
		if (strcasecmp(line, "Content-Length") == 0) {
			char *end;
			long long cl;
			errno = 0;
			cl = strtoll(v, &end, 10);
			if (errno || end == v || *end || cl < 0 ||
			    (m->clen >= 0 && m->clen != cl)) {
				rc = -1;
				break;
			}
			m->clen = cl;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			m->chunked = token_in(v, "chunked");
		} else if (strcasecmp(line, "Connection") == 0) {
			m->close |= token_in(v, "close");
			m->keepalive |= token_in(v, "keep-alive");
		} else if (is_request && strcasecmp(line, "Expect") == 0) {
			m->expect100 = strcasecmp(v, "100-continue") == 0;
		}
	}
	if (first)
		rc = -1;
	free(h);
	return rc;
}

static int wants_close(const struct msg *m)
{
	return m->close || (m->http10 && !m->keepalive);
}

/* ---- responses made by the proxy ---------------------------------------- */

static void xml_escape(char *out, size_t outsz, const char *in)
{
	size_t o = 0;
	for (; *in && *in != '?' && o + 7 < outsz; in++) {
		const char *rep = NULL;
		switch (*in) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		}
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else
			out[o++] = *in;
	}
	out[o] = '\0';
}

/* Send an S3-style error; returns send_all's result. */
static int send_error(int fd, int status, const struct msg *req,
		      unsigned long n, int keep)
{
	const char *reason, *code, *message;
	char res[1100], body[2048], head[1024], date[64];
	time_t t = time(NULL);
	struct tm tm;
	int bl, hl;
	switch (status) {
	case 503:
		reason = "Slow Down", code = "SlowDown",
		message = "Please reduce your request rate.";
		break;
	case 500:
		reason = "Internal Server Error", code = "InternalError",
		message = "We encountered an internal error. Please try again.";
		break;
	case 502:
		reason = "Bad Gateway", code = "BadGateway",
		message = "s3proxy: the upstream server could not be reached.";
		break;
	case 400:
		reason = "Bad Request", code = "BadRequest",
		message = "s3proxy: malformed or too large request head.";
		break;
	default:
		reason = "Injected Fault", code = "InjectedFault",
		message = "s3proxy: injected fault.";
	}
	xml_escape(res, sizeof res, req && req->target[0] ? req->target : "/");
	bl = snprintf(body, sizeof body,
		      "<?xml version=\"1.0\" "
		      "encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
		      "<Message>%s</Message><Resource>%s</Resource>"
		      "<RequestId>s3proxy-%lu</RequestId></Error>\n",
		      code, message, res, n);
	if (bl < 0 || (size_t)bl >= sizeof body)
		bl = (int)strlen(body);
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (req && strcmp(req->method, "HEAD") == 0)
		bl = 0;
	hl = snprintf(head, sizeof head,
		      "HTTP/1.1 %d %s\r\nx-amz-request-id: "
		      "s3proxy-%lu\r\nDate: %s\r\n"
		      "Content-Type: application/xml\r\nContent-Length: %d\r\n"
		      "Connection: %s\r\n\r\n",
		      status, reason, n, date, bl,
		      keep ? "keep-alive" : "close");
	if (send_all(fd, head, (size_t)hl) < 0)
		return -1;
	return send_all(fd, body, (size_t)bl);
}

/* ---- one client connection ---------------------------------------------- */

struct conn {
	int cfd, ufd;
	struct buf cb, ub; /* from the client, from upstream */
};

enum { A_FORWARD, A_ERROR, A_DROP, A_DOWN };

/* Read the body framed by f from the client and discard it; 0 when done. */
static int drain_body(struct conn *c, struct framing *f)
{
	while (!f->done) {
		if (c->cb.len == 0) {
			if (wait_readable(c->cfd, IO_TIMEOUT_MS, 0) <= 0 ||
			    buf_fill(c->cfd, &c->cb) <= 0)
				return -1;
		}
		buf_consume(&c->cb,
			    framing_take(f, buf_data(&c->cb), c->cb.len));
		if (f->error)
			return -1;
	}
	return 0;
}

/* Forward one request and its response. Returns 1 if the connection can
 * carry another request, 0 if it must be closed. */
static int relay(struct conn *c, const struct msg *req, size_t hlen,
		 struct framing *body, unsigned long n, int *status)
{
	struct framing resp;
	struct msg rm;
	int got_final = 0, sent_any = 0;
	int64_t last = now_ms();

	if (c->ufd >= 0 && !upstream_usable(c->ufd)) {
		close(c->ufd);
		c->ufd = -1;
	}
	if (c->ufd < 0 && (c->ufd = connect_upstream()) < 0) {
		pthread_mutex_lock(&g_mu);
		g_cnt.upstream_errors++;
		pthread_mutex_unlock(&g_mu);
		*status = 502;
		send_error(c->cfd, 502, req, n, 0);
		return 0;
	}
	if (send_all(c->ufd, buf_data(&c->cb), hlen) < 0) {
		*status = 502;
		send_error(c->cfd, 502, req, n, 0);
		return 0;
	}
	buf_consume(&c->cb, hlen);
	pthread_mutex_lock(&g_mu);
	g_cnt.forwarded++;
	pthread_mutex_unlock(&g_mu);
	memset(&resp, 0, sizeof resp);
	resp.done = 0;

	for (;;) {
		struct pollfd p[2];
		int np = 0, r;
		/* Body bytes already read from the client go upstream first. */
		if (!body->done && c->cb.len > 0) {
			size_t k =
				framing_take(body, buf_data(&c->cb), c->cb.len);
			if (body->error ||
			    send_all(c->ufd, buf_data(&c->cb), k) < 0)
				return 0;
			buf_consume(&c->cb, k);
			last = now_ms();
			continue;
		}
		if (c->ub.len > 0) {
			if (!got_final) {
				size_t l =
					head_len(buf_data(&c->ub), c->ub.len);
				if (l == 0) {
					if (c->ub.len == BUF_SIZE)
						return 0;
				} else {
					if (parse_head(buf_data(&c->ub), l, 0,
						       &rm) < 0 ||
					    send_all(c->cfd, buf_data(&c->ub),
						     l) < 0)
						return 0;
					buf_consume(&c->ub, l);
					sent_any = 1;
					last = now_ms();
					if (rm.status >= 100 &&
					    rm.status < 200) {
						if (rm.status == 101)
							return 0; /* no upgrades
								   */
						continue; /* 100 Continue: the
							     final one follows
							   */
					}
					got_final = 1;
					*status = rm.status;
					if (strcmp(req->method, "HEAD") == 0 ||
					    rm.status == 204 ||
					    rm.status == 304)
						framing_init(&resp, F_NONE, 0);
					else if (rm.chunked)
						framing_init(&resp, F_CHUNKED,
							     0);
					else if (rm.clen >= 0)
						framing_init(&resp, F_LENGTH,
							     rm.clen);
					else
						framing_init(&resp, F_CLOSE, 0);
				}
			}
			if (got_final && c->ub.len > 0 && !resp.done) {
				size_t k = framing_take(&resp, buf_data(&c->ub),
							c->ub.len);
				if (resp.error ||
				    send_all(c->cfd, buf_data(&c->ub), k) < 0)
					return 0;
				buf_consume(&c->ub, k);
				last = now_ms();
			}
			if (got_final && resp.done)
				break;
			if (!got_final || c->ub.len == 0)
				goto wait; /* need more bytes */
			continue;
		}
		if (got_final && resp.done)
			break;
	wait:
		if (now_ms() - last > IO_TIMEOUT_MS || g_stop)
			return 0;
		p[np++] = (struct pollfd){c->ufd, POLLIN, 0};
		if (!body->done)
			p[np++] = (struct pollfd){c->cfd, POLLIN, 0};
		r = poll(p, (nfds_t)np, SLICE_MS);
		if (r < 0 && errno != EINTR)
			return 0;
		if (r <= 0)
			continue;
		if (p[0].revents) {
			ssize_t k = buf_fill(c->ufd, &c->ub);
			if (k == 0 && got_final && resp.type == F_CLOSE)
				break; /* body ends at close */
			if (k <= 0) {
				if (!sent_any) {
					pthread_mutex_lock(&g_mu);
					g_cnt.upstream_errors++;
					pthread_mutex_unlock(&g_mu);
					*status = 502;
					send_error(c->cfd, 502, req, n, 0);
				}
				return 0;
			}
			last = now_ms();
		}
		if (np > 1 && p[1].revents) {
			ssize_t k = buf_fill(c->cfd, &c->cb);
			if (k <= 0 && k != -2)
				return 0; /* client gone */
			last = now_ms();
		}
	}
	/* The response is complete. */
	pthread_mutex_lock(&g_mu);
	g_cnt.completed++;
	pthread_mutex_unlock(&g_mu);
	if (c->ub.len > 0 || resp.type == F_CLOSE || wants_close(&rm) ||
	    wants_close(req) || !body->done)
		return 0; /* both sides' framing no longer lines up: close */
	return 1;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	for (;;) {
		struct msg req;
		struct framing body;
		size_t hlen;
		unsigned long n;
		long delay = 0;
		int action = A_FORWARD, status = 0, keep = 0, r;
		int64_t t0;

		/* Read a request head. */
		while ((hlen = head_len(buf_data(&c->cb), c->cb.len)) == 0) {
			ssize_t k;
			if (c->cb.len == BUF_SIZE) {
				pthread_mutex_lock(&g_mu);
				g_cnt.bad_requests++;
				pthread_mutex_unlock(&g_mu);
				send_error(c->cfd, 400, NULL, 0, 0);
				goto out;
			}
			r = wait_readable(
				c->cfd,
				c->cb.len ? IO_TIMEOUT_MS : IDLE_TIMEOUT_MS, 1);
			if (r <= 0)
				goto out; /* idle, stopping, or down */
			k = buf_fill(c->cfd, &c->cb);
			if (k <= 0)
				goto out;
		}
		t0 = now_ms();
		if (parse_head(buf_data(&c->cb), hlen, 1, &req) < 0) {
			pthread_mutex_lock(&g_mu);
			g_cnt.bad_requests++;
			pthread_mutex_unlock(&g_mu);
			send_error(c->cfd, 400, NULL, 0, 0);
			goto out;
		}
		if (req.chunked)
			framing_init(&body, F_CHUNKED, 0);
		else if (req.clen > 0)
			framing_init(&body, F_LENGTH, req.clen);
		else
			framing_init(&body, F_NONE, 0);

		/* Decide this request's fate. */
		pthread_mutex_lock(&g_mu);
		n = ++g_cnt.requests;
		if (is_down_locked(now_ms())) {
			action = A_DOWN;
			g_cnt.down_closed++;
		} else {
			if (g_set.drop_every > 0 &&
			    n % (unsigned long)g_set.drop_every == 0) {
				action = A_DROP;
				g_cnt.dropped++;
			} else if (g_set.error_every > 0 &&
				   n % (unsigned long)g_set.error_every == 0) {
				action = A_ERROR;
				status = (int)g_set.error_status;
				g_cnt.errors_injected++;
			}
			if (g_set.delay_ms > 0 && g_set.delay_every > 0 &&
			    n % (unsigned long)g_set.delay_every == 0) {
				delay = g_set.delay_ms;
				g_cnt.delayed++;
			}
		}
		pthread_mutex_unlock(&g_mu);

		if (delay > 0) {
			struct timespec ts = {delay / 1000,
					      (delay % 1000) * 1000000L};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR &&
			       !g_stop)
				;
		}
		switch (action) {
		case A_DOWN:
		case A_DROP:
			keep = 0;
			break;
		case A_ERROR:
			/* Without Expect the client sends the body anyway: read
			 * it and keep the connection, as S3 does. With Expect
			 * it waits for us: answer and close. */
			buf_consume(&c->cb, hlen);
			keep = !wants_close(&req) &&
			       !(req.expect100 && !body.done);
			if (keep && drain_body(c, &body) < 0)
				keep = 0;
			if (send_error(c->cfd, status, &req, n, keep) < 0)
				keep = 0;
			break;
		default:
			keep = relay(c, &req, hlen, &body, n, &status);
		}
		if (g_verbose) {
			static const char *names[] = {"forwarded", "injected",
						      "dropped", "down"};
			logf_("#%lu %s %s -> %d %s %ldms%s", n, req.method,
			      req.target, status, names[action],
			      (long)(now_ms() - t0), keep ? "" : " (closed)");
		}
		if (!keep)
			goto out;
	}
out:
	close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	free(c);
	pthread_mutex_lock(&g_mu);
	g_active--;
	pthread_mutex_unlock(&g_mu);
	return NULL;
}

/* ---- control port ------------------------------------------------------- */

static int stats_text(char *out, size_t sz)
{
	int64_t now = now_ms();
	long down;
	pthread_mutex_lock(&g_mu);
	down = g_set.down_until == -1 ? -1
	       : is_down_locked(now)
		       ? (long)((g_set.down_until - now + 999) / 1000)
		       : 0;
	int n = snprintf(out, sz,
			 "requests=%lu\nforwarded=%lu\ncompleted=%lu\nerrors_"
			 "injected=%lu\n"
			 "dropped=%lu\ndelayed=%lu\ndown_closed=%lu\nupstream_"
			 "errors=%lu\n"
			 "bad_requests=%lu\nconnections=%lu\nrejected=%"
			 "lu\nactive_connections=%ld\n"
			 "error_every=%ld\nerror_status=%ld\ndrop_every=%"
			 "ld\ndelay_ms=%ld\n"
			 "delay_every=%ld\ndown=%ld\n",
			 g_cnt.requests, g_cnt.forwarded, g_cnt.completed,
			 g_cnt.errors_injected, g_cnt.dropped, g_cnt.delayed,
			 g_cnt.down_closed, g_cnt.upstream_errors,
			 g_cnt.bad_requests, g_cnt.connections, g_cnt.rejected,
			 g_active, g_set.error_every, g_set.error_status,
			 g_set.drop_every, g_set.delay_ms, g_set.delay_every,
			 down);
	pthread_mutex_unlock(&g_mu);
	return n;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Apply one setting to s; -1 if the key or value is bad. */
static int apply_setting(struct settings *s, const char *key, const char *val)
{
	if (strcmp(key, "error_every") == 0)
		return parse_long(val, 0, 1000000000, &s->error_every);
	if (strcmp(key, "error_status") == 0)
		return parse_long(val, 400, 599, &s->error_status);
	if (strcmp(key, "drop_every") == 0)
		return parse_long(val, 0, 1000000000, &s->drop_every);
	if (strcmp(key, "delay_ms") == 0)
		return parse_long(val, 0, MAX_DELAY_MS, &s->delay_ms);
	if (strcmp(key, "delay_every") == 0)
		return parse_long(val, 1, 1000000000, &s->delay_every);
	if (strcmp(key, "down") == 0) {
		char *end;
		double secs;
		errno = 0;
		secs = strtod(val, &end);
		if (errno || end == val || *end || (secs < 0 && secs != -1) ||
		    secs > 86400)
			return -1;
		s->down_until = secs == -1  ? -1
				: secs == 0 ? 0
					    : now_ms() + (int64_t)(secs * 1000);
		return 0;
	}
	return -1;
}

static void control_reply(int fd, int status, const char *body)
{
	char out[4096];
	int n = snprintf(out, sizeof out,
			 "HTTP/1.1 %d %s\r\nContent-Type: "
			 "text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 status,
			 status == 200	 ? "OK"
			 : status == 404 ? "Not Found"
					 : "Bad Request",
			 strlen(body), body);
	if (n > 0 && (size_t)n < sizeof out)
		send_all(fd, out, (size_t)n);
}

static void handle_control(int fd)
{
	char buf[4096], path[1024], query[2048] = "", out[2048];
	size_t len = 0;
	char method[16], *q;
	set_timeouts(fd, CONTROL_TIMEOUT_MS);
	while (len < sizeof buf - 1 && !head_len(buf, len)) {
		ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
		if (k <= 0)
			return;
		len += (size_t)k;
	}
	buf[len] = '\0';
	if (sscanf(buf, "%15s %1023s", method, path) != 2) {
		control_reply(fd, 400, "bad request\n");
		return;
	}
	if ((q = strchr(path, '?')) != NULL) {
		snprintf(query, sizeof query, "%s", q + 1);
		*q = '\0';
	}
	if (strcmp(path, "/health") == 0) {
		control_reply(fd, 200, "ok\n");
		return;
	}
	if (strcmp(path, "/set") == 0) {
		struct settings s;
		char *save = NULL, *kv;
		s = g_defaults; /* keys not given go back to their defaults */
		for (kv = strtok_r(query, "&", &save); kv;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq ||
			    (*eq = '\0', apply_setting(&s, kv, eq + 1) < 0)) {
				snprintf(out, sizeof out,
					 "bad setting '%s'; known: error_every "
					 "error_status(400-599) "
					 "drop_every delay_ms delay_every "
					 "down(seconds, -1, 0)\n",
					 kv);
				control_reply(fd, 400, out);
				return;
			}
		}
		pthread_mutex_lock(&g_mu);
		g_set = s;
		memset(&g_cnt, 0, sizeof g_cnt);
		pthread_mutex_unlock(&g_mu);
		logf_("settings changed, counters reset: %s", query);
	} else if (strcmp(path, "/reset") == 0) {
		pthread_mutex_lock(&g_mu);
		memset(&g_cnt, 0, sizeof g_cnt);
		pthread_mutex_unlock(&g_mu);
	} else if (strcmp(path, "/stats") != 0) {
		control_reply(fd, 404,
			      "unknown path; use /stats, /set?key=value&..., "
			      "/reset, /health\n");
		return;
	}
	stats_text(out, sizeof out);
	control_reply(fd, 200, out);
}

/* ---- main --------------------------------------------------------------- */

static int listen_on(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: s3proxy --listen PORT --control PORT "
			"--upstream HOST:PORT\n"
			"         [--error-every N] [--error-status S] "
			"[--drop-every N]\n"
			"         [--delay-ms MS] [--delay-every N] [--down "
			"SECS] [--max-conns N] [-v]\n");
	exit(2);
}

static int resolve_upstream(const char *spec)
{
	char host[256], *colon;
	struct addrinfo hints, *res;
	if (strncmp(spec, "http://", 7) == 0)
		spec += 7;
	snprintf(host, sizeof host, "%s", spec);
	host[strcspn(host, "/")] = '\0';
	colon = strrchr(host, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(&g_up_addr, res->ai_addr, res->ai_addrlen);
	g_up_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int main(int argc, char **argv)
{
	long port = 0, cport = 0;
	const char *upstream = NULL;
	int lfd, cfd;
	int64_t next_bind_msg = 0;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-v") == 0) {
			g_verbose = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (parse_long(v, 1, 65535, &port) < 0)
				usage();
		} else if (strcmp(a, "--control") == 0) {
			if (parse_long(v, 1, 65535, &cport) < 0)
				usage();
		} else if (strcmp(a, "--upstream") == 0) {
			upstream = v;
		} else if (strcmp(a, "--max-conns") == 0) {
			if (parse_long(v, 1, 10000, &g_max_conns) < 0)
				usage();
		} else {
			/* --error-every -> error_every, etc. */
			char key[64];
			size_t k;
			if (strncmp(a, "--", 2) != 0)
				usage();
			snprintf(key, sizeof key, "%s", a + 2);
			for (k = 0; key[k]; k++)
				if (key[k] == '-')
					key[k] = '_';
			if (apply_setting(&g_set, key, v) < 0) {
				fprintf(stderr, "s3proxy: bad option %s %s\n",
					a, v);
				usage();
			}
		}
	}
	if (!port || !cport || !upstream)
		usage();
	if (resolve_upstream(upstream) < 0) {
		fprintf(stderr,
			"s3proxy: cannot resolve upstream '%s' (want "
			"HOST:PORT)\n",
			upstream);
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_on((int)port);
	if (lfd < 0) {
		fprintf(stderr, "s3proxy: cannot listen on 127.0.0.1:%ld: %s\n",
			port, strerror(errno));
		return 1;
	}
	cfd = listen_on((int)cport);
	if (cfd < 0) {
		fprintf(stderr, "s3proxy: cannot listen on 127.0.0.1:%ld: %s\n",
			cport, strerror(errno));
		return 1;
	}
	logf_("listening on 127.0.0.1:%ld, control on 127.0.0.1:%ld, upstream "
	      "%s",
	      port, cport, upstream);

	while (!g_stop) {
		struct pollfd p[2];
		int np = 0, down = is_down();
		/* Down: close the listening socket so that connects are
		 * refused. */
		if (down && lfd >= 0) {
			close(lfd);
			lfd = -1;
			logf_("down: refusing connections");
		} else if (!down && lfd < 0) {
			lfd = listen_on((int)port);
			if (lfd >= 0)
				logf_("up: accepting connections");
			else if (now_ms() >= next_bind_msg) {
				logf_("cannot listen on 127.0.0.1:%ld again: "
				      "%s; retrying",
				      port, strerror(errno));
				next_bind_msg = now_ms() + 5000;
			}
		}
		p[np++] = (struct pollfd){cfd, POLLIN, 0};
		if (lfd >= 0)
			p[np++] = (struct pollfd){lfd, POLLIN, 0};
		if (poll(p, (nfds_t)np, SLICE_MS) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept4(cfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				handle_control(fd);
				close(fd);
			}
		}
		if (np > 1 && (p[1].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC),
			    one = 1, full;
			struct conn *c;
			pthread_t th;
			pthread_attr_t at;
			if (fd < 0)
				continue;
			pthread_mutex_lock(&g_mu);
			full = g_active >= g_max_conns;
			if (full)
				g_cnt.rejected++;
			else {
				g_active++;
				g_cnt.connections++;
			}
			pthread_mutex_unlock(&g_mu);
			if (full) {
				close(fd);
				continue;
			}
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof one);
			set_timeouts(fd, IO_TIMEOUT_MS);
			c = calloc(1, sizeof *c);
			if (c) {
				c->cfd = fd;
				c->ufd = -1;
			}
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at,
						    PTHREAD_CREATE_DETACHED);
			pthread_attr_setstacksize(&at, 256 * 1024);
			if (!c || pthread_create(&th, &at, conn_main, c) != 0) {
				close(fd);
				free(c);
				pthread_mutex_lock(&g_mu);
				g_active--;
				pthread_mutex_unlock(&g_mu);
			}
			pthread_attr_destroy(&at);
		}
	}
	logf_("stopping");
	if (lfd >= 0)
		close(lfd);
	close(cfd);
	return 0;
}
