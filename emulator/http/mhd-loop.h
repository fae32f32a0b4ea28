/* A libmicrohttpd daemon in external epoll mode, driven by lamb's loop: its
 * epoll fd is watched, MHD_run runs when it is readable or when its own
 * timeout says so, and "soon" after a connection was resumed (libmicrohttpd
 * serves a resumed connection only on its next MHD_run). Shared by the
 * Runtime API and the front ends' HTTP server. */
#ifndef LAMB_MHD_LOOP_H
#define LAMB_MHD_LOOP_H

#include "base/err.h"
#include "base/loop.h"

struct MHD_Daemon;

/* Embedded in its owner. */
struct lamb_mhd {
	struct lamb_loop *loop;
	struct MHD_Daemon *daemon;
	struct lamb_watch watch;
	struct lamb_timer timer;
};

/* Starts watching d (started with MHD_USE_EPOLL); -1 with err. */
int lamb_mhd_attach(struct lamb_mhd *h, struct lamb_loop *loop, struct MHD_Daemon *d, struct lamb_err *err);
/* Stops watching; the daemon itself is the owner's to stop. */
void lamb_mhd_detach(struct lamb_mhd *h);
/* Runs the daemon now, then again while it says it has work right away. */
void lamb_mhd_run(struct lamb_mhd *h);
/* Runs the daemon after the current callback returns (after a resume). */
void lamb_mhd_run_soon(struct lamb_mhd *h);

#endif
