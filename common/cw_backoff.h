/*  cw_backoff — exponential backoff with caps and jitter.
    delay(n) = min(max, initial * factor^(n-1)), then ± jitter fraction; n counts failures. */
#ifndef CW_BACKOFF_H
#define CW_BACKOFF_H

#include <stdint.h>

typedef struct {
    int64_t initial_ms; /* first delay */
    int64_t max_ms;     /* cap */
    double factor;      /* growth per failure, e.g. 2.0 */
    double jitter;      /* 0..1: delay is scaled by a uniform factor in [1-jitter, 1+jitter] */
    int failures;       /* consecutive failures so far */
} cw_backoff_t;

/* Initialise with initial/max/factor/jitter, zero failures. */
void cw_backoff_init(cw_backoff_t *self, int64_t initial_ms, int64_t max_ms, double factor,
                     double jitter);
/* Record a failure and return the delay to wait before the next attempt (ms). */
int64_t cw_backoff_fail(cw_backoff_t *self);
/* The delay the n-th consecutive failure gives, without jitter (n >= 1). */
int64_t cw_backoff_delay_ms(const cw_backoff_t *self, int n);
/* Record success: failures back to zero. */
void cw_backoff_reset(cw_backoff_t *self);

#endif
