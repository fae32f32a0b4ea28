/* libmicrohttpd, opened on first use (base/lazy.h): only start-api and
 * start-lambda serve HTTP with it (the Runtime API has its own server), yet
 * linked the usual way it and its TLS chain (gnutls, p11-kit, idn2,
 * unistring, tasn1, hogweed, gmp) cost every lamb command 3-5 ms of CPU
 * before main (bench/README). An entry point new to lamb fails the link
 * until it has its line below. The two info calls are variadic in
 * libmicrohttpd; every info type lamb asks for takes no further argument. */
#include "base/lazy.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#define MHD_ENTRY_POINTS(F, V) \
	F(enum MHD_Result, MHD_add_response_header, (struct MHD_Response *r, const char *h, const char *v), \
	  (r, h, v)) \
	F(struct MHD_Response *, MHD_create_response_from_buffer, \
	  (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode)) \
	F(struct MHD_Response *, MHD_create_response_from_callback, \
	  (uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls, \
	   MHD_ContentReaderFreeCallback crfc), (size, block_size, crc, crc_cls, crfc)) \
	V(MHD_destroy_response, (struct MHD_Response *r), (r)) \
	F(const union MHD_ConnectionInfo *, MHD_get_connection_info, \
	  (struct MHD_Connection *c, enum MHD_ConnectionInfoType t, ...), (c, t)) \
	F(int, MHD_get_connection_values, \
	  (struct MHD_Connection *c, enum MHD_ValueKind k, MHD_KeyValueIterator it, void *cls), (c, k, it, cls)) \
	F(const union MHD_DaemonInfo *, MHD_get_daemon_info, (struct MHD_Daemon *d, enum MHD_DaemonInfoType t, ...), \
	  (d, t)) \
	F(const char *, MHD_get_reason_phrase_for, (unsigned int code), (code)) \
	F(enum MHD_Result, MHD_get_timeout, (struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *t), (d, t)) \
	F(enum MHD_Result, MHD_queue_response, (struct MHD_Connection *c, unsigned int s, struct MHD_Response *r), \
	  (c, s, r)) \
	V(MHD_resume_connection, (struct MHD_Connection *c), (c)) \
	F(enum MHD_Result, MHD_run, (struct MHD_Daemon *d), (d)) \
	F(struct MHD_Daemon *, MHD_start_daemon_va, \
	  (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls, \
	   MHD_AccessHandlerCallback dh, void *dh_cls, va_list ap), \
	  (flags, port, apc, apc_cls, dh, dh_cls, ap)) \
	V(MHD_stop_daemon, (struct MHD_Daemon *d), (d)) \
	V(MHD_suspend_connection, (struct MHD_Connection *c), (c))

LAMB_LAZY_LIB("libmicrohttpd.so.12", MHD_ENTRY_POINTS)

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}
