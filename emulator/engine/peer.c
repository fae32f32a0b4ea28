/* The peer of a loopback TCP connection. One sock_diag request names the
 * socket by its four-tuple (an exact lookup, not a dump of every socket);
 * then the fds of the tree below an instance's first process are looked
 * at, found through /proc/PID/task/TID/children (lamb_proctree_below), so
 * that the cost grows with the instance's processes, never with the
 * machine's. */
#include "base/util.h"
#include "engine/peer.h"
#include "engine/proctree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One netlink socket for the process, opened at first use; the loop's
 * thread is the only user. */
static int diag_socket(void)
{
	static int fd = -1;
	if (fd < 0)
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return fd;
}

unsigned long lamb_peer_inode(int fd)
{
	struct sockaddr_in local, remote;
	socklen_t l1 = sizeof(local), l2 = sizeof(remote);
	int nl = diag_socket();
	if (nl < 0 || getsockname(fd, (struct sockaddr *)&local, &l1) < 0 ||
	    getpeername(fd, (struct sockaddr *)&remote, &l2) < 0 || local.sin_family != AF_INET)
		return 0;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u,
		       .id = { .idiag_sport = remote.sin_port, .idiag_dport = local.sin_port,
			       .idiag_src = { remote.sin_addr.s_addr }, .idiag_dst = { local.sin_addr.s_addr },
			       .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return 0;
	long buf[1024];
	ssize_t n = recv(nl, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < (ssize_t)sizeof(*h) || !NLMSG_OK(h, (size_t)n) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return 0;
	return ((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_inode;
}

static bool holds(pid_t pid, const char *want)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		found = n > 0 && (size_t)n == strlen(want) && memcmp(target, want, (size_t)n) == 0;
	}
	if (d)
		closedir(d);
	return found;
}

bool lamb_peer_held_by(pid_t root, unsigned long inode)
{
	char want[48];
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	struct lamb_proctree t;
	bool found = false;
	lamb_proctree_below(&t, root);
	/* breadth first: the runtime that connects is near the top */
	for (size_t i = 0; i < t.len && !found && inode; i++)
		found = holds(t.v[i].pid, want);
	lamb_proctree_release(&t);
	return found;
}
