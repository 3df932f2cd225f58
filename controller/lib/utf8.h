/* UTF-8: one sequence decoded, as the model, the API's answers and the log check text. */
#ifndef FULCRUM_UTF8_H
#define FULCRUM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one UTF-8 sequence at s (len bytes left; s[0] exists). Returns
 * its length and the code point in *cp, or 0 when the bytes are not
 * well-formed UTF-8 (overlong forms, surrogates and values above U+10FFFF
 * included). It reads no byte past the first that does not belong, so a
 * NUL-terminated s may be given len 4.
 */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif
