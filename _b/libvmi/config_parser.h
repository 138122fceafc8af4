/* A Bison parser, made by GNU Bison 3.8.2.  */

/* Bison interface for Yacc-like parsers in C

   Copyright (C) 1984, 1989-1990, 2000-2015, 2018-2021 Free Software Foundation,
   Inc.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation, either version 3 of the License, or
   (at your option) any later version.

   This program is distributed in the hope that it will be useful,
   but WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
   GNU General Public License for more details.

   You should have received a copy of the GNU General Public License
   along with this program.  If not, see <https://www.gnu.org/licenses/>.  */

/* As a special exception, you may create a larger work that contains
   part or all of the Bison parser skeleton and distribute that work
   under terms of your choice, so long as that work isn't itself a
   parser generator using the skeleton or a modified version thereof
   as a parser skeleton.  Alternatively, if you modify or redistribute
   the parser skeleton itself, you may (at your option) remove this
   special exception, which will cause the skeleton and the resulting
   Bison output files to be licensed under the GNU General Public
   License without this special exception.

   This special exception was added by the Free Software Foundation in
   version 2.2 of Bison.  */

/* DO NOT RELY ON FEATURES THAT ARE NOT DOCUMENTED in the manual,
   especially those whose name start with YY_ or yy_.  They are
   private implementation details that can be changed or removed.  */

#ifndef YY_VMI_CONFIG_LIBVMI_CONFIG_PARSER_H_INCLUDED
# define YY_VMI_CONFIG_LIBVMI_CONFIG_PARSER_H_INCLUDED
/* Debug traces.  */
#ifndef VMI_CONFIG_DEBUG
# if defined YYDEBUG
#if YYDEBUG
#   define VMI_CONFIG_DEBUG 1
#  else
#   define VMI_CONFIG_DEBUG 0
#  endif
# else /* ! defined YYDEBUG */
#  define VMI_CONFIG_DEBUG 0
# endif /* ! defined YYDEBUG */
#endif  /* ! defined VMI_CONFIG_DEBUG */
#if VMI_CONFIG_DEBUG
extern int vmi_config_debug;
#endif
/* "%code requires" blocks.  */
#line 22 "../libvmi/config_parser.y"

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

#line 82 "libvmi/config_parser.h"

/* Token kinds.  */
#ifndef VMI_CONFIG_TOKENTYPE
# define VMI_CONFIG_TOKENTYPE
  enum vmi_config_tokentype
  {
    CFG_TOK_VMI_CONFIG_EMPTY = -2,
    CFG_TOK_YYEOF = 0,             /* "end of file"  */
    CFG_TOK_VMI_CONFIG_error = 256, /* error  */
    CFG_TOK_VMI_CONFIG_UNDEF = 257, /* "invalid token"  */
    CFG_TOK_START_FILE = 258,      /* START_FILE  */
    CFG_TOK_START_BODY = 259,      /* START_BODY  */
    CFG_TOK_WORD = 260,            /* "name"  */
    CFG_TOK_NUMBER = 261,          /* "number"  */
    CFG_TOK_STRING = 262           /* "string"  */
  };
  typedef enum vmi_config_tokentype vmi_config_token_kind_t;
#endif

/* Value type.  */
#if ! defined VMI_CONFIG_STYPE && ! defined VMI_CONFIG_STYPE_IS_DECLARED
union VMI_CONFIG_STYPE
{
#line 67 "../libvmi/config_parser.y"

    char *str;

#line 110 "libvmi/config_parser.h"

};
typedef union VMI_CONFIG_STYPE VMI_CONFIG_STYPE;
# define VMI_CONFIG_STYPE_IS_TRIVIAL 1
# define VMI_CONFIG_STYPE_IS_DECLARED 1
#endif

/* Location type.  */
#if ! defined VMI_CONFIG_LTYPE && ! defined VMI_CONFIG_LTYPE_IS_DECLARED
typedef struct VMI_CONFIG_LTYPE VMI_CONFIG_LTYPE;
struct VMI_CONFIG_LTYPE
{
  int first_line;
  int first_column;
  int last_line;
  int last_column;
};
# define VMI_CONFIG_LTYPE_IS_DECLARED 1
# define VMI_CONFIG_LTYPE_IS_TRIVIAL 1
#endif




int vmi_config_parse (yyscan_t scanner, config_parse_ctx_t *ctx);

/* "%code provides" blocks.  */
#line 47 "../libvmi/config_parser.y"

/* The scanner (config_lexer.l), declared here rather than by including
 * flex's generated header, so the build needs no flex --header-file;
 * config_lexer.l includes this file, which checks the two agree. */
int vmi_config_lex(VMI_CONFIG_STYPE *lval, VMI_CONFIG_LTYPE *lloc, yyscan_t scanner);

/* Sets ctx->error unless one is set; @line 0 leaves the line out. */
void config_parse_set_error(config_parse_ctx_t *ctx, int line, int code,
                            const char *fmt, ...) G_GNUC_PRINTF(4, 5);

#line 149 "libvmi/config_parser.h"

#endif /* !YY_VMI_CONFIG_LIBVMI_CONFIG_PARSER_H_INCLUDED  */
