/*  cw_zap — the process's ZAP handler (RFC 27, inproc://zeromq.zap.01) for CURVE on the
    broker's sockets.

    A broker that runs with CURVE registers a ZAP domain with its allow-list; its server
    sockets carry that domain (zsock_set_zap_domain). libzmq asks the handler about every
    CURVE handshake; the handler answers 200 when the client's long-term public key is in
    the domain's allow-list, or when the allow-list is empty (any CURVE client: the
    traffic is still encrypted and the client must know the server key), and 400
    otherwise (also for an unknown domain or another mechanism). Denials are logged with
    the client's public key and address, limited to a few lines per second.

    The handler thread starts with the first registration and stops with the last
    unregistration. Only one ZAP handler can exist per ZeroMQ context: do not combine
    with czmq's zauth in the same process.                                                */
#ifndef CW_ZAP_H
#define CW_ZAP_H

#include <stddef.h>
#include <stdint.h>

/* Register (or replace) the allow-list of `domain`: `count` raw 32-byte public keys
   (copied); count 0 = accept any CURVE client. 0, or -1 (handler could not start). */
int cw_zap_register(const char *domain, const uint8_t (*keys)[32], size_t count);
/* Forget `domain`; the last one stops the handler. */
void cw_zap_unregister(const char *domain);

#endif
