/* The Lambda Telemetry API (2022-07-01) of one instance: subscriptions of
 * extensions, and their delivery. Every event is kept from the instance's
 * start (bounded), so that a subscriber that subscribes during init gets
 * the init's events too; each subscriber then gets the types it chose as
 * JSON arrays POSTed to its HTTP listener on 127.0.0.1 (Lambda's
 * sandbox.localdomain), batched by its buffering settings. Delivery runs on
 * the loop without ever blocking it: one POST at a time per subscriber, a
 * bounded queue, and what does not fit is dropped and said in a
 * platform.logsDropped event, as Lambda does. */
#ifndef LAMB_TELEMETRY_H
#define LAMB_TELEMETRY_H

#include "base/loop.h"

#include <stdbool.h>
#include <stddef.h>

enum lamb_tele_kind { LAMB_TELE_PLATFORM = 1, LAMB_TELE_FUNCTION = 2, LAMB_TELE_EXTENSION = 4 };

struct lamb_telemetry;

struct lamb_telemetry *lamb_telemetry_new(struct lamb_loop *loop);
/* Drops what is queued and closes the connections. Accepts NULL. */
void lamb_telemetry_free(struct lamb_telemetry *t);
/* A subscription request's body (telemetry-api-reference.md's Subscribe)
 * from extension name. 0, or -1 with a ValidationError's message in msg. */
int lamb_telemetry_subscribe(struct lamb_telemetry *t, const char *name, const char *body, size_t len,
			     char *msg, size_t n);
/* An event: record is the JSON text of its "record". */
void lamb_telemetry_add(struct lamb_telemetry *t, enum lamb_tele_kind kind, const char *type, const char *record);
/* Init is over: no subscriber is still to come, the events kept for one
 * are dropped. */
void lamb_telemetry_seal(struct lamb_telemetry *t);
/* Sends what is queued now, without waiting for the batch's time (the
 * instance shuts down). */
void lamb_telemetry_flush(struct lamb_telemetry *t);

#endif
