/*  cw_zsock — small socket and frame helpers shared by the bus (cw_bus.c) and the
    broker (cw_broker.c): socket set-up, bounded receive, send-and-free, frame tests.

    Everything here reads untrusted frames defensively: a receive keeps at most a given
    number of frames, names are checked for length and printable ASCII.                */
#ifndef CW_ZSOCK_H
#define CW_ZSOCK_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define CW_ZSOCK_NAME_MAX 64 /* longest service or event name on the bus */

/* Set ZMQ_MAXMSGSIZE (CW_PROTO_MAX_FRAME) and the bus linger (CW_BUS_LINGER_MS). Call
   before bind/connect. */
void cw_zsock_setup(zsock_t *sock);

/* true if `frame` holds exactly the bytes of `text` (no terminating NUL). */
bool cw_zsock_frame_is(zframe_t *frame, const char *text);

/* true if name[0..len) is 1..CW_ZSOCK_NAME_MAX printable, non-space ASCII characters. */
bool cw_zsock_valid_name(const char *name, size_t len);

/* Receive one whole multipart message from a socket that is readable, without blocking,
   keeping at most max_frames frames (the rest are read and dropped, *truncated set).
   NULL if nothing was waiting. */
zmsg_t *cw_zsock_recv_bounded(zsock_t *sock, int max_frames, bool *truncated);

/* Send *msg_p and always free it (*msg_p nulled). 0, or -1 with errno kept. */
int cw_zsock_send(zmsg_t **msg_p, zsock_t *sock);

/* The "job_id" of a payload that failed validation, when it is a msgpack map with a
   usable one (1..64 characters); otherwise `fallback` ("" if NULL). */
void cw_zsock_salvage_job_id(const void *data, size_t size, const char *fallback, char out[65]);

#endif
