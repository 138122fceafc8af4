/*
 * config_parser.y - grammar of the classic LibVMI configuration syntax:
 *     name { key = value; key = "string"; ... }
 * The parser builds the tables described in config.h; everything it has
 * built so far hangs off the parse context, so an error anywhere frees it
 * all in one place (config_parse_bytes, in config_lexer.l).
 */

%define api.pure full
%define api.prefix {vmi_config_}
%define api.token.prefix {CFG_TOK_}
%define parse.error custom
/* Without LAC the default reductions make the "expected ..." list in
 * syntax errors incomplete (a missing ';' would be reported as expecting
 * only '}'). */
%define parse.lac full
%locations

%param {yyscan_t scanner}
%parse-param {config_parse_ctx_t *ctx}

%code requires {
#include <glib.h>

/* The scanner type without flex's header; flex guards its own typedef
 * with the same macro, so the two never clash. */
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* Shared by the scanner and the parser for one run of config_parse_bytes. */
typedef struct config_parse_ctx {
    const char *origin;
    int start_token;        /* emitted once before the input: picks file or body grammar */
    GHashTable *entries;    /* entry name -> key table: the result */
    GHashTable *first_entry; /* reference: the first entry, or the bare body */
    char *cur_name;         /* the entry being parsed, for messages and ownership */
    GHashTable *cur_entry;
    guint n_entries;
    int last_line;          /* of the last token: where "end of input" is reported */
    char near[80];          /* printable form of the last token, for syntax errors */
    GError *error;          /* the first error wins */
} config_parse_ctx_t;
}

%code provides {
/* The scanner (config_lexer.l), declared here rather than by including
 * flex's generated header, so the build needs no flex --header-file;
 * config_lexer.l includes this file, which checks the two agree. */
int vmi_config_lex(VMI_CONFIG_STYPE *lval, VMI_CONFIG_LTYPE *lloc, yyscan_t scanner);

/* Sets ctx->error unless one is set; @line 0 leaves the line out. */
void config_parse_set_error(config_parse_ctx_t *ctx, int line, int code,
                            const char *fmt, ...) G_GNUC_PRINTF(4, 5);
}

%code {
#include <stdarg.h>
#include "config.h"

static void yyerror(YYLTYPE *loc, yyscan_t scanner, config_parse_ctx_t *ctx, const char *msg);
static gboolean config_number_parse(const char *text, guint64 *out);
static void config_set_value(config_parse_ctx_t *ctx, char *key, config_value_t *value);
}

%union {
    char *str;
}

/* Declared first so "expected ..." lists read ';' before '}'. */
%token '=' ';' '{' '}'
%token START_FILE START_BODY
%token <str> WORD "name"
%token <str> NUMBER "number"
%token <str> STRING "string"
%type <str> name

%destructor { g_free($$); } <str>

%%

input
    : START_FILE entries
    | START_BODY body_input
    ;

/* What config_parse_entry_string takes: whole entries or one bare body. */
body_input
    : entry entries
    | body
        {
            if (!ctx->cur_entry)
                ctx->cur_entry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify)config_value_free);
            ctx->first_entry = g_steal_pointer(&ctx->cur_entry);
        }
    ;

entries
    : %empty
    | entries entry
    ;

entry
    : entry_head body '}'
        {
            if (++ctx->n_entries > CONFIG_MAX_ENTRIES) {
                config_parse_set_error(ctx, @3.first_line, VMI_CONFIG_ERROR_LIMIT,
                                       "more than %d entries", CONFIG_MAX_ENTRIES);
                YYABORT;
            }
            if (!ctx->first_entry)
                ctx->first_entry = g_hash_table_ref(ctx->cur_entry);
            g_hash_table_replace(ctx->entries, g_steal_pointer(&ctx->cur_name),
                                 g_steal_pointer(&ctx->cur_entry));
        }
    ;

entry_head
    : name '{'
        {
            g_autofree char *name = $1;
            if (!*name) {
                config_parse_set_error(ctx, @1.first_line, VMI_CONFIG_ERROR_SYNTAX,
                                       "empty entry name");
                YYABORT;
            }
            ctx->cur_name = g_steal_pointer(&name);
            ctx->cur_entry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify)config_value_free);
        }
    ;

/* Names that look like numbers ("123 { }") are still names. */
name
    : WORD
    | NUMBER
    | STRING
    ;

/* The ';' after the last assignment is optional. */
body
    : %empty
    | assignments
    | assignments ';'
    ;

assignments
    : assignment
    | assignments ';' assignment
    ;

assignment
    : WORD '=' NUMBER
        {
            g_autofree char *key = $1;
            g_autofree char *text = $3;
            guint64 num;
            if (!config_number_parse(text, &num)) {
                config_parse_set_error(ctx, @3.first_line, VMI_CONFIG_ERROR_LIMIT,
                                       "number too large for key '%s'", key);
                YYABORT;
            }
            config_value_t *value = g_new0(config_value_t, 1);
            value->type = CONFIG_NUM;
            value->num = num;
            value->line = @1.first_line;
            config_set_value(ctx, g_steal_pointer(&key), value);
        }
    | WORD '=' STRING
        {
            config_value_t *value = g_new0(config_value_t, 1);
            value->type = CONFIG_STR;
            value->str = $3;
            value->line = @1.first_line;
            config_set_value(ctx, $1, value);
        }
    ;

%%

void config_parse_set_error(config_parse_ctx_t *ctx, int line, int code, const char *fmt, ...)
{
    if (ctx->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        ctx->error = g_error_new(VMI_CONFIG_ERROR, code, "%s:%d: %s", ctx->origin, line, msg);
    else
        ctx->error = g_error_new(VMI_CONFIG_ERROR, code, "%s: %s", ctx->origin, msg);
}

void config_parse_escape(GString *out, const char *s, gsize len, gsize max)
{
    for (gsize i = 0; i < len && i < max; i++) {
        guchar c = (guchar)s[i];
        if (c >= 0x20 && c < 0x7f)
            g_string_append_c(out, (char)c);
        else
            g_string_append_printf(out, "\\x%02x", c);
    }
    if (len > max)
        g_string_append(out, "...");
}

/* The lexer only hands over [0-9]+ or 0x[0-9a-fA-F]+, so the one way to
 * fail is a value that does not fit in 64 bits. */
static gboolean config_number_parse(const char *text, guint64 *out)
{
    guint64 n = 0;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        for (const char *p = text + 2; *p; p++) {
            if (n >> 60)
                return FALSE;
            n = (n << 4) | (guint64)g_ascii_xdigit_value(*p);
        }
    } else {
        for (const char *p = text; *p; p++) {
            guint64 digit = (guint64)(*p - '0');
            if (n > (G_MAXUINT64 - digit) / 10)
                return FALSE;
            n = n * 10 + digit;
        }
    }
    *out = n;
    return TRUE;
}

/* A key set twice keeps the later value, as in classic LibVMI. */
static void config_set_value(config_parse_ctx_t *ctx, char *key, config_value_t *value)
{
    /* A bare body has no entry_head to create its table. */
    if (!ctx->cur_entry)
        ctx->cur_entry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)config_value_free);
    g_hash_table_replace(ctx->cur_entry, key, value);
}

static const char *config_symbol_name(yysymbol_kind_t kind)
{
    switch (kind) {
    case YYSYMBOL_YYEOF:
        return "end of input";
    case YYSYMBOL_WORD:
        return "name";
    case YYSYMBOL_NUMBER:
        return "number";
    case YYSYMBOL_STRING:
        return "string";
    default:
        return yysymbol_name(kind);
    }
}

/* "ORIGIN:LINE: syntax error near 'TOKEN' in entry 'NAME': expected A, B or C" */
static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 config_parse_ctx_t *ctx)
{
    (void)scanner;
    g_autoptr(GString) msg = g_string_new("syntax error");
    if (yypcontext_token(yyctx) == YYSYMBOL_YYEOF)
        g_string_append(msg, " at end of input");
    else
        g_string_append_printf(msg, " near '%s'", ctx->near);
    if (ctx->cur_name) {
        g_string_append(msg, " in entry '");
        config_parse_escape(msg, ctx->cur_name, strlen(ctx->cur_name), 64);
        g_string_append_c(msg, '\'');
    }

    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
    gboolean want_word = FALSE;
    for (int i = 0; i < n; i++)
        want_word |= expected[i] == YYSYMBOL_WORD;
    const char *names[YYNTOKENS];
    int n_names = 0;
    for (int i = 0; i < n; i++) {
        /* Where a name may stand a number may too; saying "name" is enough. */
        if (expected[i] == YYSYMBOL_NUMBER && want_word)
            continue;
        names[n_names++] = config_symbol_name(expected[i]);
    }
    for (int i = 0; i < n_names; i++) {
        const char *sep = i == 0 ? ": expected " : i == n_names - 1 ? " or " : ", ";
        g_string_append_printf(msg, "%s%s", sep, names[i]);
    }

    config_parse_set_error(ctx, yypcontext_location(yyctx)->first_line,
                           VMI_CONFIG_ERROR_SYNTAX, "%s", msg->str);
    return 0;
}

/* Only reached for the parser's own troubles (stack exhaustion). */
static void yyerror(YYLTYPE *loc, yyscan_t scanner, config_parse_ctx_t *ctx, const char *msg)
{
    (void)scanner;
    config_parse_set_error(ctx, loc->first_line, VMI_CONFIG_ERROR_SYNTAX, "%s", msg);
}
