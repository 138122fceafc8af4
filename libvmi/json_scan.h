/*
 * json_scan.h - a look at JSON text before json-glib parses it.
 *
 * json-glib 1.6 (Debian 12) has two habits that a hostile peer can use:
 * its parser recurses once per nesting level with no limit of its own, and
 * text holding several top-level values ("{}{}", "0{...}") is read as
 * several roots of which all but the last are leaked, every time.  The QMP
 * client (a hostile QEMU on the socket) and the ISF reader (a hostile
 * symbol file) scan their input first and refuse what the parser would
 * mishandle.  One pass, constant space, whatever the input.
 */
#ifndef VMI_JSON_SCAN_H
#define VMI_JSON_SCAN_H

#include <stddef.h>

typedef struct vmi_json_scan {
    size_t depth;       /* deepest nesting of {} and [], counted up to max_depth + 1 */
    size_t values;      /* top-level values, counted up to 2 */
    size_t deep_at;     /* byte offset of the bracket that went past max_depth */
} vmi_json_scan_t;

/* Scans @len bytes of @text.  Brackets and quotes inside strings do not
 * count; stray separators and brackets at the top level count as values,
 * so any @values other than 1 means "not one JSON value". */
void vmi_json_scan(const char *text, size_t len, size_t max_depth, vmi_json_scan_t *out);

#endif
