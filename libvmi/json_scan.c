/*
 * json_scan.c - see json_scan.h.
 */
#include <stdbool.h>
#include "json_scan.h"

void vmi_json_scan(const char *text, size_t len, size_t max_depth, vmi_json_scan_t *out)
{
    size_t depth = 0;
    bool in_string = false, in_scalar = false;
    *out = (vmi_json_scan_t){ 0 };
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        bool structural = c == '{' || c == '[' || c == '}' || c == ']' || c == '"' ||
                          c == ',' || c == ':';
        if (depth == 0) {
            /* a scalar (number, true, garbage) runs to a space or a
             * structural character; anything else starts a value */
            if (in_scalar && (space || structural))
                in_scalar = false;
            if (!space && !in_scalar) {
                if (out->values < 2)
                    out->values++;
                in_scalar = !structural;
            }
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (depth <= max_depth) {
                depth++;
                if (depth > max_depth && !out->deep_at)
                    out->deep_at = i;
            }
            if (depth > out->depth)
                out->depth = depth;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
}
