/*  cw_backoff — exponential backoff with caps and jitter. */
#include "cw_backoff.h"

#include <math.h>
#include <stdlib.h>

void cw_backoff_init(cw_backoff_t *self, int64_t initial_ms, int64_t max_ms, double factor,
                     double jitter)
{
    self->initial_ms = initial_ms > 0 ? initial_ms : 1;
    self->max_ms = max_ms >= self->initial_ms ? max_ms : self->initial_ms;
    self->factor = factor >= 1.0 ? factor : 1.0;
    self->jitter = jitter < 0 ? 0 : (jitter > 1 ? 1 : jitter);
    self->failures = 0;
}

int64_t cw_backoff_delay_ms(const cw_backoff_t *self, int n)
{
    if (n < 1)
        return 0;
    double delay = (double)self->initial_ms;
    for (int i = 1; i < n && delay < (double)self->max_ms; i++)
        delay *= self->factor;
    if (delay > (double)self->max_ms)
        delay = (double)self->max_ms;
    return (int64_t)delay;
}

int64_t cw_backoff_fail(cw_backoff_t *self)
{
    if (self->failures < 1000000)
        self->failures++;
    double delay = (double)cw_backoff_delay_ms(self, self->failures);
    if (self->jitter > 0) {
        double u = (double)random() / (double)RAND_MAX; /* 0..1 */
        delay *= 1.0 - self->jitter + 2.0 * self->jitter * u;
    }
    if (delay < 1)
        delay = 1;
    return (int64_t)llround(delay);
}

void cw_backoff_reset(cw_backoff_t *self)
{
    self->failures = 0;
}
