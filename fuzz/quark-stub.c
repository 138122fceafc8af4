/*
 * quark-stub.c - the library's error domain alone, for the fuzz targets of
 * parsers that need nothing else of errors.c (which maps the driver error
 * domains too and would drag the drivers in).
 */
#include <glib.h>

GQuark vmi_error_quark(void);
G_DEFINE_QUARK(vmi-error-quark, vmi_error)
