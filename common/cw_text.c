/*  cw_text — strict UTF-8 sequences, safe cuts, case-insensitive search. */
#include "cw_text.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

size_t cw_utf8_seq_len(const unsigned char *s, size_t n)
{
    if (!s || n == 0 || s[0] == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

size_t cw_utf8_prefix(const char *s, size_t len, size_t max)
{
    if (!s)
        return 0;
    if (max >= len)
        return len;
    size_t n = max;
    /* step back over continuation bytes to the start of the character that straddles
       the cut; a cut right after a complete character is kept */
    size_t k = n;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

size_t cw_utf8_complete(const char *s, size_t n)
{
    while (s && n > 0) {
        size_t k = n - 1; /* the lead byte of the last character */
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        unsigned char lead = (unsigned char)s[k];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (n - k >= need)
            return n;
        n = k; /* drop the incomplete last character and look again */
    }
    return 0;
}

size_t cw_path_stem(const char *path, const char **stem)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path ? path : "";
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    *stem = base;
    /* a suffix is a dot that neither starts nor ends the name, and what follows it */
    if (dot && dot != base && (size_t)(dot - base) < len - 1)
        len = (size_t)(dot - base);
    return len;
}

bool cw_text_contains_ci(const char *haystack, const char *needle)
{
    if (!haystack || !needle)
        return false;
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}
