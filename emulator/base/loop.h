/* The one event loop: every fd (runtime-api daemons, log pipes, the signal
 * fd, HTTP listeners) and every deadline of lamb goes through it. epoll for
 * fds, a sorted list of deadlines, a signalfd for SIGCHLD/SIGINT/SIGTERM.
 * Single-threaded by design; nothing here is safe to call from another
 * thread. */
#ifndef LAMB_LOOP_H
#define LAMB_LOOP_H

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct lamb_loop;

typedef void (*lamb_loop_fd_fn)(void *data, uint32_t events);
typedef void (*lamb_loop_fn)(void *data);
typedef void (*lamb_loop_signal_fn)(void *data, int signo);

/* An fd watch, embedded in its owner (no allocation). */
struct lamb_watch {
	int fd;
	lamb_loop_fd_fn fn;
	void *data;
};

/* A deadline, embedded in its owner; armed while in the loop's list. */
struct lamb_timer {
	uint64_t when_ns; /* CLOCK_MONOTONIC */
	lamb_loop_fn fn;
	void *data;
	struct lamb_timer *next, *prev;
	bool armed;
};

/* Checks LAMB_SPIN_US, which lamb_loop_new reads: 0, or -1 with err naming
 * it. A command checks it first, so that a mistyped value is the user's
 * error (exit 2) rather than a failure to make the loop. */
int lamb_loop_check_env(struct lamb_err *err);
/* Blocks SIGCHLD, SIGINT and SIGTERM in the calling process and reads them
 * through a signalfd. NULL with err on failure. */
struct lamb_loop *lamb_loop_new(struct lamb_err *err);
/* Closes the loop's own fds; watches and timers of others are theirs. */
void lamb_loop_free(struct lamb_loop *l);

/* Watches fd for events (EPOLLIN, ...). w must stay valid until del. */
int lamb_loop_add_fd(struct lamb_loop *l, struct lamb_watch *w, int fd, uint32_t events,
		     lamb_loop_fd_fn fn, void *data, struct lamb_err *err);
int lamb_loop_mod_fd(struct lamb_loop *l, struct lamb_watch *w, uint32_t events);
/* Stops watching; safe while events for w are pending in this iteration. */
void lamb_loop_del_fd(struct lamb_loop *l, struct lamb_watch *w);

/* Arms t to fire once at when_ns (CLOCK_MONOTONIC); re-arming moves it. */
void lamb_loop_timer_set(struct lamb_loop *l, struct lamb_timer *t, uint64_t when_ns,
			 lamb_loop_fn fn, void *data);
void lamb_loop_timer_cancel(struct lamb_loop *l, struct lamb_timer *t);

/* Runs fn(data) after the current batch of events: the place to free
 * objects whose watches may still have events pending. Allocates. */
void lamb_loop_defer(struct lamb_loop *l, lamb_loop_fn fn, void *data);

/* Output to f (a log) is written when the loop finds nothing to do, or
 * has held it 5 ms while events kept coming, or lamb_loop_flush is
 * called, not line by line: what a request logs before and after its
 * instance ran goes out in one write. Makes f fully buffered until
 * lamb_loop_free flushes it (stderr goes back to unbuffered then). For
 * servers, where a request logs three lines. */
void lamb_loop_batch_output(struct lamb_loop *l, FILE *f);
/* Flushes the batched outputs now: before an answer goes out, so that a
 * client that reads the log after its answer finds its lines there. */
void lamb_loop_flush(struct lamb_loop *l);
/* Writers call this where they would fflush(f): f is flushed now, or
 * before the loop waits when it is batched. */
void lamb_loop_wrote(struct lamb_loop *l, FILE *f);

/* SIGCHLD (coalesced: the handler must reap with waitpid(-1, WNOHANG) in a
 * loop) and SIGINT/SIGTERM handlers; one of each. */
void lamb_loop_on_sigchld(struct lamb_loop *l, lamb_loop_fn fn, void *data);
void lamb_loop_on_terminate(struct lamb_loop *l, lamb_loop_signal_fn fn, void *data);

/* Runs until lamb_loop_stop; 0, or -1 with err when epoll fails. */
int lamb_loop_run(struct lamb_loop *l, struct lamb_err *err);
/* Runs one iteration, waiting at most timeout_ms (-1: until something). */
int lamb_loop_run_once(struct lamb_loop *l, int timeout_ms, struct lamb_err *err);
void lamb_loop_stop(struct lamb_loop *l);
bool lamb_loop_stopped(const struct lamb_loop *l);

uint64_t lamb_loop_now_ns(void);
/* Wall clock in ms since the epoch (for Lambda-Runtime-Deadline-Ms). */
uint64_t lamb_loop_wall_ms(void);

#endif
