/* libmicrohttpd's threading modes under lamb's workload, measured apart
 * from lamb (issue 22 asked for each to be measured, not reasoned about).
 *
 * A GET is answered either at once ("direct": libmicrohttpd's own ceiling
 * in that mode) or the way start-api answers it ("instance"): the request
 * is handed to one main thread that owns the instances, as lamb's loop
 * does; that thread sends a 1 KB event over loopback TCP to one of eight
 * child processes, one request per child at a time, and the connection
 * is answered with the child's reply. In the external mode the handler
 * runs on the main thread and libmicrohttpd's epoll fd is one watch of
 * its loop (lamb today); in the others libmicrohttpd's own thread(s) run
 * the handler and hand each request over through a locked queue and an
 * eventfd, and the answer comes back through MHD_resume_connection, or a
 * condition variable in the thread-per-connection mode, where a handler
 * may block.
 *
 * usage: bench-mhd-modes external|thread|pool|perconn direct|instance PORT
 * Runs until SIGTERM or SIGINT. bench/mhd-modes drives it under wrk. */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define INSTANCES 8
#define EVENT_SIZE 1024
#define REPLY "{\"statusCode\":200,\"body\":\"{\\\"message\\\":\\\"hello world\\\"}\"}"
#define BODY "{\"message\":\"hello world\"}"

enum mode { EXTERNAL, THREAD, POOL, PERCONN };

struct req {
	struct MHD_Connection *conn;
	struct req *next;
	bool answered;
	pthread_cond_t done; /* perconn only */
};

struct instance {
	int fd;
	struct req *busy;
};

static enum mode mode;
static struct MHD_Daemon *daemon_;
static int epfd, wakefd;
static struct instance inst[INSTANCES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct req *handed, **handed_tail = &handed; /* from the handler: lock */
static struct req *waiting, **waiting_tail = &waiting; /* main thread only */
static volatile sig_atomic_t stopping;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void push(struct req ***tail, struct req *r)
{
	r->next = NULL;
	**tail = r;
	*tail = &r->next;
}

static struct req *pop(struct req **head, struct req ***tail)
{
	struct req *r = *head;
	if (r && !(*head = r->next))
		*tail = head;
	return r;
}

static void send_event(struct instance *in, struct req *r)
{
	char ev[EVENT_SIZE];
	memset(ev, 'e', sizeof(ev));
	in->busy = r;
	if (send(in->fd, ev, sizeof(ev), MSG_NOSIGNAL) != (ssize_t)sizeof(ev))
		die("send to instance");
}

/* Main thread: a request has reached the loop. */
static void dispatch(struct req *r)
{
	for (int i = 0; i < INSTANCES; i++)
		if (!inst[i].busy) {
			send_event(&inst[i], r);
			return;
		}
	push(&waiting_tail, r);
}

/* Main thread: an instance answered. */
static void on_instance(struct instance *in)
{
	char buf[4096];
	if (recv(in->fd, buf, sizeof(buf), 0) <= 0)
		die("recv from instance");
	struct req *r = in->busy;
	in->busy = NULL;
	if (mode == PERCONN) {
		pthread_mutex_lock(&lock);
		r->answered = true;
		pthread_cond_signal(&r->done);
		pthread_mutex_unlock(&lock);
	} else {
		__atomic_store_n(&r->answered, true, __ATOMIC_RELEASE);
		MHD_resume_connection(r->conn);
	}
	struct req *next = pop(&waiting, &waiting_tail);
	if (next)
		send_event(in, next);
}

static enum MHD_Result answer(struct MHD_Connection *c)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(BODY), (void *)BODY, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void hand_over(struct req *r)
{
	if (mode == EXTERNAL) {
		dispatch(r);
		return;
	}
	pthread_mutex_lock(&lock);
	push(&handed_tail, r);
	pthread_mutex_unlock(&lock);
	uint64_t one = 1;
	if (write(wakefd, &one, sizeof(one)) != sizeof(one))
		die("eventfd write");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	(void)url, (void)method, (void)version, (void)data, (void)size;
	bool via_instance = *(bool *)cls;
	struct req *r = *state;
	if (!r) { /* headers only: the body, if any, comes next */
		*state = r = calloc(1, sizeof(*r));
		r->conn = c;
		return MHD_YES;
	}
	if (!via_instance)
		return answer(c);
	if (__atomic_load_n(&r->answered, __ATOMIC_ACQUIRE))
		return answer(c);
	if (mode == PERCONN) {
		pthread_cond_init(&r->done, NULL);
		hand_over(r);
		pthread_mutex_lock(&lock);
		while (!r->answered)
			pthread_cond_wait(&r->done, &lock);
		pthread_mutex_unlock(&lock);
		pthread_cond_destroy(&r->done);
		return answer(c);
	}
	MHD_suspend_connection(c);
	hand_over(r);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode why)
{
	(void)cls, (void)c, (void)why;
	free(*state);
	*state = NULL;
}

/* Each instance: one request at a time, a short reply, as the C fixture. */
static void instance_main(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("instance connect");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char buf[EVENT_SIZE];
	for (;;) {
		size_t have = 0;
		while (have < sizeof(buf)) {
			ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
			if (n <= 0)
				_exit(0);
			have += n;
		}
		if (send(fd, REPLY, strlen(REPLY), 0) < 0)
			_exit(0);
	}
}

static void start_instances(void)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, INSTANCES) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &len) < 0)
		die("instance listener");
	for (int i = 0; i < INSTANCES; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(ls);
			instance_main(ntohs(a.sin_port));
		}
		inst[i].fd = accept(ls, NULL, NULL);
		if (inst[i].fd < 0)
			die("accept");
		int one = 1;
		setsockopt(inst[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &inst[i]};
		epoll_ctl(epfd, EPOLL_CTL_ADD, inst[i].fd, &ev);
	}
	close(ls);
}

/* As lamb's mhd-loop.c: run again in place while libmicrohttpd has work. */
static void run_daemon(void)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	for (int i = 0; i < 4; i++) {
		MHD_run(daemon_);
		if (MHD_get_timeout(daemon_, &ms) != MHD_YES || ms > 0)
			break;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void start_daemon(int port, bool *via_instance)
{
	unsigned flags = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned pool = 0;
	switch (mode) {
	case EXTERNAL: flags |= MHD_USE_EPOLL | MHD_USE_TURBO; break;
	case THREAD: flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO; break;
	case POOL: flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, pool = 2; break;
	case PERCONN: flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			      MHD_USE_ERROR_LOG | MHD_USE_TURBO; break;
	}
	/* a zero pool size draws a warning: the option goes last, cut off by
	 * MHD_OPTION_END in its place when there is no pool */
	daemon_ = MHD_start_daemon(flags, port, NULL, NULL, on_request, via_instance,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				   pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, MHD_OPTION_END);
	if (!daemon_)
		die("MHD_start_daemon");
}

int main(int argc, char **argv)
{
	static const char *modes[] = {"external", "thread", "pool", "perconn"};
	if (argc != 4)
		goto usage;
	mode = (enum mode)-1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(argv[1], modes[i]))
			mode = i;
	bool via_instance = !strcmp(argv[2], "instance");
	if ((int)mode < 0 || (!via_instance && strcmp(argv[2], "direct")))
		goto usage;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wakefd};
	epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev);
	if (via_instance)
		start_instances();
	start_daemon(atoi(argv[3]), &via_instance);
	if (mode == EXTERNAL) {
		ev.data.ptr = daemon_;
		epoll_ctl(epfd, EPOLL_CTL_ADD, MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd, &ev);
	}
	while (!stopping) {
		struct epoll_event evs[16];
		int n = epoll_wait(epfd, evs, 16, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &wakefd) {
				uint64_t v;
				if (read(wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					die("eventfd read");
				pthread_mutex_lock(&lock);
				struct req *list = handed;
				handed = NULL, handed_tail = &handed;
				pthread_mutex_unlock(&lock);
				while (list) {
					struct req *next = list->next;
					dispatch(list);
					list = next;
				}
			} else if (evs[i].data.ptr != daemon_) {
				on_instance(evs[i].data.ptr);
			}
		}
		if (mode == EXTERNAL) /* its fd, or a connection just resumed */
			run_daemon();
	}
	MHD_stop_daemon(daemon_);
	for (int i = 0; via_instance && i < INSTANCES; i++)
		close(inst[i].fd); /* each instance exits at end of file */
	while (wait(NULL) > 0)
		;
	return 0;
usage:
	fprintf(stderr, "usage: bench-mhd-modes external|thread|pool|perconn direct|instance PORT\n");
	return 2;
}
