/*  cw_zsock — socket and frame helpers shared by the bus and the broker. */
#include "cw_zsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cw_bus.h"
#include "cw_proto.h"
#include "cw_value.h"

void cw_zsock_setup(zsock_t *sock)
{
    if (!sock)
        return;
    zsock_set_maxmsgsize(sock, CW_PROTO_MAX_FRAME);
    zsock_set_linger(sock, CW_BUS_LINGER_MS);
}

bool cw_zsock_frame_is(zframe_t *frame, const char *text)
{
    size_t len = text ? strlen(text) : 0;
    return frame && text && zframe_size(frame) == len && memcmp(zframe_data(frame), text, len) == 0;
}

bool cw_zsock_valid_name(const char *name, size_t len)
{
    if (!name || len == 0 || len > CW_ZSOCK_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] <= ' ' || name[i] > '~')
            return false;
    return true;
}

zmsg_t *cw_zsock_recv_bounded(zsock_t *sock, int max_frames, bool *truncated)
{
    bool dummy;
    if (!truncated)
        truncated = &dummy;
    *truncated = false;
    zmsg_t *msg = NULL;
    while (sock) {
        zframe_t *frame = zframe_recv_nowait(sock);
        if (!frame)
            break;
        bool more = zframe_more(frame);
        if (!msg)
            msg = zmsg_new();
        if ((int)zmsg_size(msg) < max_frames)
            zmsg_append(msg, &frame);
        else {
            *truncated = true;
            zframe_destroy(&frame);
        }
        if (!more)
            break;
    }
    return msg;
}

int cw_zsock_send(zmsg_t **msg_p, zsock_t *sock)
{
    if (!msg_p || !*msg_p || !sock) {
        if (msg_p)
            zmsg_destroy(msg_p);
        errno = EINVAL;
        return -1;
    }
    int rc = zmsg_send(msg_p, sock);
    int saved = errno;
    zmsg_destroy(msg_p);
    errno = saved;
    return rc;
}

void cw_zsock_salvage_job_id(const void *data, size_t size, const char *fallback, char out[65])
{
    snprintf(out, 65, "%s", fallback ? fallback : "");
    cw_value_t *raw = data ? cw_value_decode(data, size, NULL, 0) : NULL;
    if (raw && cw_value_kind(raw) == CW_VAL_MAP) {
        const char *job = cw_map_str(raw, "job_id", NULL);
        if (job && *job && strlen(job) <= 64)
            snprintf(out, 65, "%s", job);
    }
    cw_value_destroy(&raw);
}
