/* AWS's event-stream framing (application/vnd.amazon.eventstream), the
 * binary messages InvokeWithResponseStream answers with: a prelude (total
 * and header lengths, its CRC32), string headers, the payload, the
 * message's CRC32. Only what lamb sends: events with string headers. */
#ifndef LAMB_EVENT_STREAM_H
#define LAMB_EVENT_STREAM_H

#include "base/util.h"

#include <stddef.h>

/* Appends one event message (:message-type event, :event-type event_type,
 * :content-type content_type) carrying payload to out. */
void lamb_event_stream_add(struct lamb_buf *out, const char *event_type, const char *content_type,
			   const void *payload, size_t len);

#endif
