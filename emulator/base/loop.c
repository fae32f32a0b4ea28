/* The event loop (in the spirit of redis ae.c): epoll for fds, a sorted
 * doubly linked list of deadlines (O(N) insertion, N = live deadlines, a
 * handful per instance), a signalfd for signals, a deferred-call list so
 * that objects are freed only after the batch of events that may still
 * point at them, and batched log output. No threads, no alarms. */
#include "base/loop.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define MAX_BATCHED 4
/* How long batched output may wait for more while events keep coming. A
 * warm request's START and its END/REPORT lines are 30-300 us apart: when
 * the loop flushed whenever it was about to wait, they went out in two
 * writes (one when the request was handed to the instance, one before its
 * answer); lingering makes them one, 1 syscall of 17 a request at 1
 * connection. Long enough for a typical invocation, short enough that a
 * person reading the log cannot tell. */
#define LINGER_MS 5
/* Spinning before sleeping. On a virtual machine a halted vCPU takes tens
 * of microseconds to wake (~30 us each way on the 2-vCPU Firecracker VM of
 * bench/README; a deep C-state costs as much on a laptop), and a warm
 * request is a ping-pong: lamb hands the event over and waits for the
 * answer, then waits for the client's next request. So before it sleeps,
 * the loop polls (epoll_wait with no timeout) for a while, the way Linux's
 * cpuidle-haltpoll governor does for a guest, with its rule for the
 * length: a wait that ended within SPIN_MAX but after the spin doubles it
 * (from SPIN_START), one that outlasted SPIN_MAX halves it. A run of quick
 * hand-overs spins long enough to catch the answer; an idle server or a
 * slow handler stops spinning after a few waits.
 *
 * Only where a CPU is free: a loop that polls while other tasks wait for
 * a CPU takes theirs, and its own group weighs four instances
 * (engine/cgroup.c), so they would seldom preempt it. The loop polls only when
 * no more tasks are runnable than it has CPUs (contended), and stops when
 * it was preempted all the same (a poll came over SPIN_PREEMPTED after the
 * one before). It never yields: a yield under contention gave the CPU away
 * for up to 21 ms. LAMB_SPIN_US sets SPIN_MAX (0: never spin). */
#define SPIN_START_NS 10000
#define SPIN_MAX_NS 200000
#define SPIN_MAX_US_LIMIT 100000
#define SPIN_PREEMPTED_NS 20000

struct deferred {
	lamb_loop_fn fn;
	void *data;
	struct deferred *next;
};

struct lamb_loop {
	int epfd;
	int sigfd;
	struct lamb_watch sigwatch;
	struct lamb_timer *timers; /* sorted by when_ns */
	struct deferred *deferred, **deferred_tail;
	lamb_loop_fn on_chld;
	void *chld_data;
	lamb_loop_signal_fn on_term;
	void *term_data;
	sigset_t oldmask;
	bool stop;
	FILE *batched[MAX_BATCHED];
	int nbatched;
	uint64_t pending_since_ns; /* when run_once first saw batched output waiting; 0: none */
	uint64_t spin_ns, spin_max_ns; /* this wait's spin; the most it may grow to */
	int loadavg_fd;                /* /proc/loadavg; -1: none, -2: not yet opened */
	int ncpus;                     /* the CPUs the loop's thread may run on */
};

uint64_t lamb_loop_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lamb_loop_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_signal(void *data, uint32_t events)
{
	struct lamb_loop *l = data;
	struct signalfd_siginfo si[8];
	bool chld = false;
	(void)events;
	for (;;) {
		ssize_t n = read(l->sigfd, si, sizeof(si));
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			if (si[i].ssi_signo == SIGCHLD)
				chld = true;
			else if (l->on_term)
				l->on_term(l->term_data, (int)si[i].ssi_signo);
			else
				l->stop = true;
		}
	}
	if (chld && l->on_chld)
		l->on_chld(l->chld_data);
}

static int spin_max_from_env(uint64_t *ns, struct lamb_err *err)
{
	const char *v = getenv("LAMB_SPIN_US");
	*ns = SPIN_MAX_NS;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long us = strtol(v, &end, 10);
	if (errno || *end || *v < '0' || *v > '9' || us > SPIN_MAX_US_LIMIT)
		return lamb_err_set(err, "LAMB_SPIN_US: '%s' is not a number of microseconds from 0 to %d "
				    "(0: never spin; unset: %d)", v, SPIN_MAX_US_LIMIT, SPIN_MAX_NS / 1000);
	*ns = (uint64_t)us * 1000;
	return 0;
}

int lamb_loop_check_env(struct lamb_err *err)
{
	uint64_t ns;
	return spin_max_from_env(&ns, err);
}

struct lamb_loop *lamb_loop_new(struct lamb_err *err)
{
	uint64_t spin_max_ns;
	if (spin_max_from_env(&spin_max_ns, err) < 0)
		return NULL;
	struct lamb_loop *l = xcalloc(1, sizeof(*l));
	l->spin_max_ns = spin_max_ns;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	/* every signal that would end lamb at once ends it cleanly: a closed
	 * terminal's SIGHUP, SIGQUIT and SIGUSR1 as SIGINT and SIGTERM do, so
	 * that no instance or temporary directory is left behind */
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGUSR1);
	l->deferred_tail = &l->deferred;
	l->sigfd = -1;
	l->loadavg_fd = -2;
	cpu_set_t cpus;
	l->ncpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		lamb_err_set(err, "cannot create epoll fd: %s", strerror(errno));
		goto fail;
	}
	sigprocmask(SIG_BLOCK, &mask, &l->oldmask);
	l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0) {
		lamb_err_set(err, "cannot create signalfd: %s", strerror(errno));
		goto fail;
	}
	if (lamb_loop_add_fd(l, &l->sigwatch, l->sigfd, EPOLLIN, on_signal, l, err) < 0)
		goto fail;
	return l;
fail:
	lamb_loop_free(l);
	return NULL;
}

static void run_deferred(struct lamb_loop *l)
{
	while (l->deferred) {
		struct deferred *d = l->deferred;
		l->deferred = d->next;
		if (!l->deferred)
			l->deferred_tail = &l->deferred;
		d->fn(d->data);
		free(d);
	}
}

/* Whoever wrote (lamb_loop_wrote or not): an empty buffer costs no syscall. */
void lamb_loop_flush(struct lamb_loop *l)
{
	for (int i = 0; i < l->nbatched; i++)
		fflush(l->batched[i]);
	l->pending_since_ns = 0;
}

static bool output_pending(const struct lamb_loop *l)
{
	for (int i = 0; i < l->nbatched; i++)
		if (__fpending(l->batched[i]))
			return true;
	return false;
}

/* The wait's timeout with batched output in mind: it is flushed at once
 * when it has lingered LINGER_MS, else the wait is cut to what is left of
 * that (and flushed if nothing comes: run_once). */
static int linger(struct lamb_loop *l, int timeout)
{
	if (!output_pending(l)) {
		l->pending_since_ns = 0;
		return timeout;
	}
	uint64_t now = lamb_loop_now_ns();
	if (!l->pending_since_ns)
		l->pending_since_ns = now;
	uint64_t waited_ms = (now - l->pending_since_ns) / 1000000;
	if (waited_ms >= LINGER_MS) {
		lamb_loop_flush(l);
		return timeout;
	}
	int left = LINGER_MS - (int)waited_ms;
	return timeout >= 0 && timeout < left ? timeout : left;
}

void lamb_loop_batch_output(struct lamb_loop *l, FILE *f)
{
	for (int i = 0; i < l->nbatched; i++)
		if (l->batched[i] == f)
			return;
	if (l->nbatched == MAX_BATCHED)
		return;
	/* Given the buffer: without one glibc keeps a stream's 1-byte buffer
	 * once it has been written to (stderr, when anything was logged before
	 * the server started), and every line went out as two writes, its
	 * first byte and the rest. lamb_loop_free makes stderr unbuffered
	 * again, which lets go of this one. */
	static char stderr_buf[64 * 1024];
	fflush(f);
	setvbuf(f, f == stderr ? stderr_buf : NULL, _IOFBF, sizeof(stderr_buf));
	l->batched[l->nbatched++] = f;
}

void lamb_loop_wrote(struct lamb_loop *l, FILE *f)
{
	for (int i = 0; i < l->nbatched; i++)
		if (l->batched[i] == f)
			return;
	fflush(f);
}

void lamb_loop_free(struct lamb_loop *l)
{
	if (!l)
		return;
	run_deferred(l);
	for (int i = 0; i < l->nbatched; i++) {
		fflush(l->batched[i]);
		if (l->batched[i] == stderr)
			setvbuf(stderr, NULL, _IONBF, 0);
	}
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->loadavg_fd >= 0)
		close(l->loadavg_fd);
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}

int lamb_loop_add_fd(struct lamb_loop *l, struct lamb_watch *w, int fd, uint32_t events,
		     lamb_loop_fd_fn fn, void *data, struct lamb_err *err)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	w->fd = fd;
	w->fn = fn;
	w->data = data;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return lamb_err_set(err, "cannot watch fd %d: %s", fd, strerror(errno));
	}
	return 0;
}

int lamb_loop_mod_fd(struct lamb_loop *l, struct lamb_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void lamb_loop_del_fd(struct lamb_loop *l, struct lamb_watch *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	/* events already returned by epoll_wait for w are skipped: fn == NULL */
	w->fd = -1;
	w->fn = NULL;
}

void lamb_loop_timer_cancel(struct lamb_loop *l, struct lamb_timer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		l->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
	t->armed = false;
}

void lamb_loop_timer_set(struct lamb_loop *l, struct lamb_timer *t, uint64_t when_ns,
			 lamb_loop_fn fn, void *data)
{
	lamb_loop_timer_cancel(l, t);
	t->when_ns = when_ns;
	t->fn = fn;
	t->data = data;
	struct lamb_timer **pp = &l->timers, *prev = NULL;
	while (*pp && (*pp)->when_ns <= when_ns) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	t->next = *pp;
	t->prev = prev;
	if (*pp)
		(*pp)->prev = t;
	*pp = t;
	t->armed = true;
}

void lamb_loop_defer(struct lamb_loop *l, lamb_loop_fn fn, void *data)
{
	struct deferred *d = xmalloc(sizeof(*d));
	d->fn = fn;
	d->data = data;
	d->next = NULL;
	*l->deferred_tail = d;
	l->deferred_tail = &d->next;
}

void lamb_loop_on_sigchld(struct lamb_loop *l, lamb_loop_fn fn, void *data)
{
	l->on_chld = fn;
	l->chld_data = data;
}

void lamb_loop_on_terminate(struct lamb_loop *l, lamb_loop_signal_fn fn, void *data)
{
	l->on_term = fn;
	l->term_data = data;
}

static void fire_timers(struct lamb_loop *l)
{
	uint64_t now = lamb_loop_now_ns();
	while (l->timers && l->timers->when_ns <= now) {
		struct lamb_timer *t = l->timers;
		lamb_loop_timer_cancel(l, t);
		t->fn(t->data);
	}
}

static int next_timeout_ms(struct lamb_loop *l, int limit)
{
	if (!l->timers)
		return limit;
	uint64_t now = lamb_loop_now_ns();
	if (l->timers->when_ns <= now)
		return 0;
	/* round up so that the timer is due when we wake */
	uint64_t ms = (l->timers->when_ns - now + 999999) / 1000000;
	if (limit >= 0 && ms > (uint64_t)limit)
		return limit;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* haltpoll's rule (drivers/cpuidle/governors/haltpoll.c, adjust_poll_limit),
 * on how long the last wait took until something came. */
static void adjust_spin(struct lamb_loop *l, uint64_t waited_ns)
{
	if (waited_ns <= l->spin_ns)
		return;
	if (waited_ns <= l->spin_max_ns) {
		uint64_t grown = l->spin_ns ? l->spin_ns * 2 : SPIN_START_NS;
		l->spin_ns = grown < l->spin_max_ns ? grown : l->spin_max_ns;
	} else {
		l->spin_ns /= 2;
		if (l->spin_ns < SPIN_START_NS)
			l->spin_ns = 0;
	}
}

/* Whether more tasks are runnable than the loop has CPUs: /proc/loadavg's
 * fourth field, "runnable/all", the loop's own thread among the runnable
 * (a microsecond to read). Opened on first use; where it cannot be read,
 * never. */
static bool contended(struct lamb_loop *l)
{
	if (l->loadavg_fd == -2)
		l->loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	char buf[128];
	ssize_t n = l->loadavg_fd >= 0 ? pread(l->loadavg_fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *field = buf;
	for (int i = 0; i < 3 && field; i++)
		if ((field = strchr(field, ' ')))
			field++;
	return field && strtol(field, NULL, 10) > l->ncpus;
}

/* epoll_wait, after polling for up to spin_ns (see SPIN_START_NS). A timer
 * due within the spin waits for its end: at most SPIN_MAX late. */
static int wait_events(struct lamb_loop *l, struct epoll_event *ev, int timeout_ms)
{
	if (timeout_ms == 0 || !l->spin_max_ns)
		return epoll_wait(l->epfd, ev, MAX_EVENTS, timeout_ms);
	uint64_t start = lamb_loop_now_ns(), now = start;
	uint64_t spin = l->spin_ns && !contended(l) ? l->spin_ns : 0;
	int n = 0;
	while (now - start < spin && (n = epoll_wait(l->epfd, ev, MAX_EVENTS, 0)) == 0) {
		uint64_t before = now;
		now = lamb_loop_now_ns();
		if (now - before > SPIN_PREEMPTED_NS)
			break; /* something else took this CPU: sleep, do not compete */
	}
	if (n == 0)
		n = epoll_wait(l->epfd, ev, MAX_EVENTS, timeout_ms);
	if (n > 0)
		adjust_spin(l, lamb_loop_now_ns() - start);
	else if (n == 0)
		adjust_spin(l, UINT64_MAX); /* the timeout: nothing came */
	return n;
}

int lamb_loop_run_once(struct lamb_loop *l, int timeout_ms, struct lamb_err *err)
{
	struct epoll_event ev[MAX_EVENTS];
	if (l->deferred)
		timeout_ms = 0;
	int n = wait_events(l, ev, linger(l, next_timeout_ms(l, timeout_ms)));
	if (n == 0 && l->pending_since_ns)
		lamb_loop_flush(l); /* nothing came: the loop is idle, the log goes out */
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return lamb_err_set(err, "epoll_wait: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		struct lamb_watch *w = ev[i].data.ptr;
		if (w->fn)
			w->fn(w->data, ev[i].events);
	}
	fire_timers(l);
	run_deferred(l);
	return 0;
}

int lamb_loop_run(struct lamb_loop *l, struct lamb_err *err)
{
	l->stop = false;
	while (!l->stop)
		if (lamb_loop_run_once(l, -1, err) < 0)
			return -1;
	return 0;
}

void lamb_loop_stop(struct lamb_loop *l)
{
	l->stop = true;
}

bool lamb_loop_stopped(const struct lamb_loop *l)
{
	return l->stop;
}
