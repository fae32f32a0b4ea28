/* libmicrohttpd on lamb's loop. After answering, MHD_get_timeout often
 * reports 0 (it has a response to finish): running it again in place
 * saves a trip through epoll_wait per request; the bound keeps one busy
 * daemon from starving the rest of the loop. */
#include "http/mhd-loop.h"

#include <microhttpd.h>
#include <sys/epoll.h>

#define RERUNS 4

static void on_timer(void *data)
{
	lamb_mhd_run(data);
}

static void on_readable(void *data, uint32_t events)
{
	(void)events;
	lamb_mhd_run(data);
}

void lamb_mhd_run(struct lamb_mhd *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	for (int i = 0; i < RERUNS; i++) {
		MHD_run(h->daemon);
		if (MHD_get_timeout(h->daemon, &ms) != MHD_YES) {
			lamb_loop_timer_cancel(h->loop, &h->timer);
			return;
		}
		if (ms > 0)
			break;
	}
	lamb_loop_timer_set(h->loop, &h->timer, lamb_loop_now_ns() + ms * 1000000ull, on_timer, h);
}

void lamb_mhd_run_soon(struct lamb_mhd *h)
{
	lamb_loop_timer_set(h->loop, &h->timer, lamb_loop_now_ns(), on_timer, h);
}

int lamb_mhd_attach(struct lamb_mhd *h, struct lamb_loop *loop, struct MHD_Daemon *d, struct lamb_err *err)
{
	h->loop = loop;
	h->daemon = d;
	h->watch.fd = -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return lamb_err_set(err, "libmicrohttpd gave no epoll fd");
	return lamb_loop_add_fd(loop, &h->watch, info->epoll_fd, EPOLLIN, on_readable, h, err);
}

void lamb_mhd_detach(struct lamb_mhd *h)
{
	if (!h->loop)
		return;
	if (h->watch.fd >= 0) {
		lamb_loop_del_fd(h->loop, &h->watch);
		h->watch.fd = -1; /* detaching twice is fine */
	}
	lamb_loop_timer_cancel(h->loop, &h->timer);
}
