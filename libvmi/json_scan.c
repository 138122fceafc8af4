/*
 * json_scan.c - see json_scan.h.
 */
#include <stdbool.h>
#include "json_scan.h"

void vmi_json_scan(const char *text, size_t len, size_t max_depth, vmi_json_scan_t *out)
{
    enum { OTHER, SPACE, QUOTE, OPEN, CLOSE, SEPARATOR } kind;
    size_t depth = 0;
    bool in_string = false, in_scalar = false;
    *out = (vmi_json_scan_t){ 0 };
    /* Switches, not chains of tests: the fuzz targets instrument every
     * comparison, and this runs over every byte a peer sends. */
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            switch (c) {
            case '\\':
                i++;
                break;
            case '"':
                in_string = false;
                break;
            default:
                break;
            }
            continue;
        }
        switch (c) {
        case ' ': case '\t': case '\n': case '\r':
            kind = SPACE;
            break;
        case '"':
            kind = QUOTE;
            break;
        case '{': case '[':
            kind = OPEN;
            break;
        case '}': case ']':
            kind = CLOSE;
            break;
        case ',': case ':':
            kind = SEPARATOR;
            break;
        default:
            kind = OTHER;
            break;
        }
        if (depth == 0) {
            /* a scalar (number, true, garbage) runs to a space or a
             * structural character; anything else starts a value */
            if (in_scalar && kind != OTHER)
                in_scalar = false;
            if (kind != SPACE && !in_scalar) {
                if (out->values < 2)
                    out->values++;
                in_scalar = kind == OTHER;
            }
        }
        switch (kind) {
        case QUOTE:
            in_string = true;
            break;
        case OPEN:
            if (depth <= max_depth) {
                depth++;
                if (depth > max_depth && !out->deep_at)
                    out->deep_at = i;
            }
            if (depth > out->depth)
                out->depth = depth;
            break;
        case CLOSE:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
    }
}
