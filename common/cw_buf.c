/*  cw_buf — the one growable byte buffer (see cw_buf.h). */
#include "cw_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t s_max(const cw_buf_t *self)
{
    return self->max ? self->max : CW_BUF_DEFAULT_MAX;
}

void cw_buf_init(cw_buf_t *self, size_t max)
{
    if (!self)
        return;
    memset(self, 0, sizeof(*self));
    self->max = max;
}

void cw_buf_free(cw_buf_t *self)
{
    if (!self)
        return;
    free(self->data);
    cw_buf_init(self, self->max);
}

void cw_buf_clear(cw_buf_t *self)
{
    if (!self)
        return;
    self->len = 0;
    if (self->data)
        self->data[0] = '\0';
    self->failed = false;
    self->over = false;
}

static bool s_refuse(cw_buf_t *self, bool over)
{
    self->failed = true;
    self->over = over;
    return false;
}

bool cw_buf_reserve(cw_buf_t *self, size_t extra)
{
    if (!self || self->failed)
        return false;
    size_t max = s_max(self);
    if (extra > max || self->len > max - extra)
        return s_refuse(self, true);
    size_t need = self->len + extra + 1; /* the NUL */
    if (need <= self->cap)
        return true;
    /* double, but never allocate more than the maximum allows */
    size_t cap = self->cap ? self->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > max + 1)
        cap = max + 1;
    char *data = realloc(self->data, cap);
    if (!data)
        return s_refuse(self, false);
    if (!self->data)
        data[0] = '\0';
    self->data = data;
    self->cap = cap;
    return true;
}

size_t cw_buf_room(const cw_buf_t *self)
{
    if (!self || self->failed)
        return 0;
    size_t max = s_max(self);
    return self->len < max ? max - self->len : 0;
}

bool cw_buf_append(cw_buf_t *self, const void *data, size_t len)
{
    if (!self || (!data && len))
        return false;
    if (!cw_buf_reserve(self, len))
        return false;
    if (len)
        memcpy(self->data + self->len, data, len);
    self->len += len;
    self->data[self->len] = '\0';
    return true;
}

bool cw_buf_puts(cw_buf_t *self, const char *s)
{
    if (!s)
        return self && !self->failed;
    return cw_buf_append(self, s, strlen(s));
}

bool cw_buf_putc(cw_buf_t *self, char c)
{
    return cw_buf_append(self, &c, 1);
}

bool cw_buf_vprintf(cw_buf_t *self, const char *fmt, va_list ap)
{
    if (!self || !fmt || self->failed)
        return false;
    /* try in the room there is; grow once to the exact size when it was too small */
    va_list again;
    va_copy(again, ap);
    size_t room = self->cap > self->len ? self->cap - self->len : 0;
    int n = vsnprintf(room ? self->data + self->len : NULL, room, fmt, ap);
    if (n < 0) {
        va_end(again);
        if (self->data)
            self->data[self->len] = '\0';
        return s_refuse(self, false);
    }
    if ((size_t)n < room) {
        va_end(again);
        if (!cw_buf_reserve(self, (size_t)n)) { /* within the maximum? */
            self->data[self->len] = '\0';
            return false;
        }
        self->len += (size_t)n;
        return true;
    }
    if (self->data)
        self->data[self->len] = '\0';
    if (!cw_buf_reserve(self, (size_t)n)) {
        va_end(again);
        return false;
    }
    vsnprintf(self->data + self->len, (size_t)n + 1, fmt, again);
    va_end(again);
    self->len += (size_t)n;
    return true;
}

bool cw_buf_printf(cw_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = cw_buf_vprintf(self, fmt, ap);
    va_end(ap);
    return ok;
}

void cw_buf_truncate(cw_buf_t *self, size_t len)
{
    if (!self || len >= self->len)
        return;
    self->len = len;
    self->data[len] = '\0';
}

const char *cw_buf_str(const cw_buf_t *self)
{
    return self && self->data ? self->data : "";
}

char *cw_buf_take(cw_buf_t *self, size_t *len)
{
    if (len)
        *len = 0;
    if (!self)
        return NULL;
    if (self->failed) {
        cw_buf_free(self);
        return NULL;
    }
    char *out = self->data ? self->data : calloc(1, 1);
    if (out && len)
        *len = self->len;
    self->data = NULL;
    cw_buf_free(self);
    return out;
}
