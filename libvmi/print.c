/*
 * print.c - the classic hexdump: offset, 16 bytes in hex, ASCII column.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include "private.h"

void vmi_print_hex(const unsigned char *data, unsigned long length)
{
    if (!data)
        return;
    for (unsigned long off = 0; off < length; off += 16) {
        printf("%08lx  ", off);
        for (unsigned long i = 0; i < 16; i++) {
            if (off + i < length)
                printf("%02x ", data[off + i]);
            else
                printf("   ");
            if (i == 7)
                putchar(' ');
        }
        printf(" |");
        for (unsigned long i = 0; i < 16 && off + i < length; i++)
            putchar(isprint(data[off + i]) ? data[off + i] : '.');
        printf("|\n");
    }
}

/* Dumps what could be read; a short read prints what was there. */
static void print_buffer(unsigned char *buf, size_t want, size_t got)
{
    if (got)
        vmi_print_hex(buf, got);
    if (got < want)
        fprintf(stderr, "(%zu of %zu bytes readable)\n", got, want);
}

void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length)
{
    unsigned char *buf = malloc(length ? length : 1);
    if (!buf)
        return;
    print_buffer(buf, length, vmi_read_pa__4(vmi, paddr, buf, length));
    free(buf);
}

void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length)
{
    unsigned char *buf = malloc(length ? length : 1);
    if (!buf)
        return;
    print_buffer(buf, length, vmi_read_va__5(vmi, vaddr, pid, buf, length));
    free(buf);
}

void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length)
{
    unsigned char *buf = malloc(length ? length : 1);
    if (!buf)
        return;
    print_buffer(buf, length, vmi_read_ksym__4(vmi, sym, buf, length));
    free(buf);
}
