/* Who is at the other end of a Runtime API connection: the socket's peer,
 * found through the kernel's sock_diag, and whether a process tree holds
 * it. TCP carries no credentials (SO_PEERCRED is for Unix sockets), so the
 * peer is known by its socket's inode. */
#ifndef LAMB_PEER_H
#define LAMB_PEER_H

#include <stdbool.h>
#include <sys/types.h>

/* The inode of the socket at the other end of fd, a TCP connection between
 * two sockets of this machine's network namespace; 0 when not found. */
unsigned long lamb_peer_inode(int fd);
/* Whether root or one of its descendants has the socket inode open. */
bool lamb_peer_held_by(pid_t root, unsigned long inode);

#endif
