/*
 * vmi-domxml.c - turn introspection on and off in a libvirt domain's XML.
 *
 * The XML is parsed with libxml2 keeping whitespace and comments, edited as
 * a tree, and written back by a small serializer of our own: libxml2's
 * would turn libvirt's single-quoted attributes into double-quoted ones and
 * move namespace declarations before the attributes.  To keep the input's
 * layout, a scan of the source text records each start tag's attribute order
 * and quote characters, and the text before and after the root element is
 * copied as it was.  Inserted elements take the indentation of their new
 * siblings, and removing one takes back the whitespace inserted with it, so
 * disable(enable(x)) gives x again byte for byte in the usual case.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "vmi-domxml.h"
#include "sockdir.h"

G_DEFINE_QUARK(vmi-domxml-error-quark, vmi_domxml_error)

/* libvirt's domain XML is a few kilobytes; refuse anything absurd before
 * handing it to the parser. */
#define DOMXML_MAX_SIZE (16 * 1024 * 1024)

#define QEMU_NS VMI_DOMXML_QEMU_NAMESPACE
#define VMI_NS VMI_DOMXML_NAMESPACE

/* ------------------------------------------------------------ mode names */

const char *vmi_domxml_mode_to_string(vmi_domxml_mode_t mode)
{
    switch ((int)mode) {
    case VMI_DOMXML_SHM:
        return "shm";
    case VMI_DOMXML_GDBSTUB:
        return "gdbstub";
    case VMI_DOMXML_SHM | VMI_DOMXML_GDBSTUB:
        return "shm+gdbstub";
    default:
        return NULL;
    }
}

gboolean vmi_domxml_mode_from_string(const char *text, vmi_domxml_mode_t *mode)
{
    vmi_domxml_mode_t m;

    if (!text)
        return FALSE;
    if (g_str_equal(text, "shm"))
        m = VMI_DOMXML_SHM;
    else if (g_str_equal(text, "gdbstub"))
        m = VMI_DOMXML_GDBSTUB;
    else if (g_str_equal(text, "shm+gdbstub") || g_str_equal(text, "both"))
        m = VMI_DOMXML_SHM | VMI_DOMXML_GDBSTUB;
    else
        return FALSE;
    if (mode)
        *mode = m;
    return TRUE;
}

/* ------------------------------------------------------------ the source scan */

/* One start tag as written: attribute names (namespace declarations
 * included) in source order, with the quote character of each. */
typedef struct {
    char *qname;
    GPtrArray *attrs;
    GString *quotes;
} DomxmlTag;

static void domxml_tag_free(DomxmlTag *tag)
{
    g_free(tag->qname);
    g_ptr_array_unref(tag->attrs);
    g_string_free(tag->quotes, TRUE);
    g_free(tag);
}

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Offset just past @end found at or after @from, or 0 when absent. */
static size_t skip_past(const char *s, size_t len, size_t from, const char *end)
{
    size_t n = strlen(end);
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(s + i, end, n) == 0)
            return i + n;
    return 0;
}

static gboolean starts_at(const char *s, size_t len, size_t i, const char *prefix)
{
    size_t n = strlen(prefix);
    return i + n <= len && memcmp(s + i, prefix, n) == 0;
}

/* Scans the text of a document libxml2 has already found well-formed:
 * records every start tag outside comments, CDATA, processing instructions
 * and the DOCTYPE, in document order, and where the root element begins
 * and ends.  Returns FALSE if the text does not look as expected, and the
 * caller then falls back to defaults. */
static gboolean scan_tags(const char *s, size_t len, GPtrArray *tags,
                          size_t *root_begin, size_t *root_end)
{
    size_t i = 0;
    long depth = 0;
    gboolean seen_root = FALSE, closed_root = FALSE;

    while (i < len) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        if (starts_at(s, len, i, "<!--")) {
            if (!(i = skip_past(s, len, i + 4, "-->")))
                return FALSE;
        } else if (starts_at(s, len, i, "<![CDATA[")) {
            if (!(i = skip_past(s, len, i + 9, "]]>")))
                return FALSE;
        } else if (starts_at(s, len, i, "<?")) {
            if (!(i = skip_past(s, len, i + 2, "?>")))
                return FALSE;
        } else if (starts_at(s, len, i, "<!")) {
            /* DOCTYPE with its internal subset: skip quoted literals,
             * comments and the brackets */
            long brackets = 0;
            for (i += 2; i < len; i++) {
                char c = s[i];
                if (c == '"' || c == '\'') {
                    const char *q = memchr(s + i + 1, c, len - i - 1);
                    if (!q)
                        return FALSE;
                    i = (size_t)(q - s);
                } else if (starts_at(s, len, i, "<!--")) {
                    if (!(i = skip_past(s, len, i + 4, "-->")))
                        return FALSE;
                    i--;
                } else if (c == '[') {
                    brackets++;
                } else if (c == ']') {
                    brackets--;
                } else if (c == '>' && brackets <= 0) {
                    break;
                }
            }
            if (i >= len)
                return FALSE;
            i++;
        } else if (starts_at(s, len, i, "</")) {
            const char *gt = memchr(s + i, '>', len - i);
            if (!gt)
                return FALSE;
            i = (size_t)(gt - s) + 1;
            if (--depth < 0)
                return FALSE;
            if (depth == 0) {
                *root_end = i;
                closed_root = TRUE;
            }
        } else {
            size_t begin = i, name;
            gboolean empty = FALSE;
            DomxmlTag *tag;

            if (closed_root)
                return FALSE;
            for (name = ++i; i < len && !is_space(s[i]) && s[i] != '>' && s[i] != '/'; i++)
                ;
            if (i == name)
                return FALSE;
            tag = g_new0(DomxmlTag, 1);
            tag->qname = g_strndup(s + name, i - name);
            tag->attrs = g_ptr_array_new_with_free_func(g_free);
            tag->quotes = g_string_new(NULL);
            g_ptr_array_add(tags, tag);
            for (;;) {
                size_t aname;
                const char *q;

                while (i < len && is_space(s[i]))
                    i++;
                if (i >= len)
                    return FALSE;
                if (s[i] == '>') {
                    i++;
                    break;
                }
                if (starts_at(s, len, i, "/>")) {
                    i += 2;
                    empty = TRUE;
                    break;
                }
                for (aname = i; i < len && !is_space(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/'; i++)
                    ;
                if (i == aname)
                    return FALSE;
                g_ptr_array_add(tag->attrs, g_strndup(s + aname, i - aname));
                while (i < len && is_space(s[i]))
                    i++;
                if (i >= len || s[i] != '=')
                    return FALSE;
                i++;
                while (i < len && is_space(s[i]))
                    i++;
                if (i >= len || (s[i] != '\'' && s[i] != '"'))
                    return FALSE;
                g_string_append_c(tag->quotes, s[i]);
                q = memchr(s + i + 1, s[i], len - i - 1);
                if (!q)
                    return FALSE;
                i = (size_t)(q - s) + 1;
            }
            if (depth == 0) {
                *root_begin = begin;
                seen_root = TRUE;
            }
            if (empty) {
                if (depth == 0) {
                    *root_end = i;
                    closed_root = TRUE;
                }
            } else {
                depth++;
            }
        }
    }
    return seen_root && closed_root;
}

/* ------------------------------------------------------------ the document */

typedef struct {
    const char *text;   /* the input, borrowed */
    size_t len;
    xmlDoc *doc;
    xmlNode *root;
    GHashTable *tags;   /* xmlNode * -> DomxmlTag * (owned by tag_list) */
    GPtrArray *tag_list;
    gboolean have_span; /* root_begin/root_end are valid */
    size_t root_begin, root_end;
    char quote;         /* for attributes we add */
    const char *unit;   /* one level of indentation */
    gboolean compact;   /* the input has no line structure to follow */
} DomxmlDoc;

static void domxml_doc_free(DomxmlDoc *d)
{
    if (d->tags)
        g_hash_table_unref(d->tags);
    if (d->tag_list)
        g_ptr_array_unref(d->tag_list);
    if (d->doc)
        xmlFreeDoc(d->doc);
    g_free(d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomxmlDoc, domxml_doc_free)

static char *node_qname(xmlNode *n)
{
    if (n->ns && n->ns->prefix)
        return g_strdup_printf("%s:%s", (const char *)n->ns->prefix, (const char *)n->name);
    return g_strdup((const char *)n->name);
}

/* Pairs the scanned tags with the elements in document order; any
 * disagreement discards them all. */
static gboolean match_tags(DomxmlDoc *d, xmlNode *n, guint *next)
{
    for (; n; n = n->next) {
        DomxmlTag *tag;
        g_autofree char *qname = NULL;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (*next >= d->tag_list->len)
            return FALSE;
        tag = g_ptr_array_index(d->tag_list, (*next)++);
        qname = node_qname(n);
        if (!g_str_equal(qname, tag->qname))
            return FALSE;
        g_hash_table_insert(d->tags, n, tag);
        if (!match_tags(d, n->children, next))
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    char *message;
    int line;
} DomxmlParseError;

static void on_parse_error(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;
    DomxmlParseError *first = ctxt->_private;

    if (!err || err->level < XML_ERR_ERROR || first->message)
        return;
    first->message = g_strstrip(g_strdup(err->message ? err->message : "unknown error"));
    first->line = err->line;
}

static xmlNode *first_element(xmlNode *n)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

static xmlNode *next_element(xmlNode *n)
{
    return n ? first_element(n->next) : NULL;
}

/* The whitespace that indents @n when @n starts a line, else NULL. */
static const char *line_indent(xmlNode *n)
{
    xmlNode *prev = n->prev;
    const char *nl;

    if (!prev || prev->type != XML_TEXT_NODE || !prev->content)
        return NULL;
    nl = strrchr((const char *)prev->content, '\n');
    if (!nl)
        return NULL;
    for (const char *p = nl + 1; *p; p++)
        if (*p != ' ' && *p != '\t')
            return NULL;
    return nl + 1;
}

static DomxmlDoc *domxml_parse(const char *xml, GError **error)
{
    g_autoptr(DomxmlDoc) d = g_new0(DomxmlDoc, 1);
    DomxmlParseError first = { NULL, 0 };
    xmlParserCtxtPtr ctxt;
    gboolean well_formed, ns_well_formed;
    xmlNode *child;
    guint next = 0;
    size_t len;

    if (!xml) {
        g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                            "No domain XML was given");
        return NULL;
    }
    len = strlen(xml);
    if (len > DOMXML_MAX_SIZE) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED,
                    "The domain XML is %zu bytes long, more than the %d accepted",
                    len, DOMXML_MAX_SIZE);
        return NULL;
    }
    d->text = xml;
    d->len = len;

    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        g_error("libxml2 could not allocate a parser context");
    ctxt->_private = &first;
    ctxt->sax->serror = on_parse_error;
    /* no XML_PARSE_NOBLANKS: whitespace stays; no XML_PARSE_NOENT: entities
     * stay references; no network, nothing printed */
    d->doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
    well_formed = ctxt->wellFormed;
    ns_well_formed = ctxt->nsWellFormed;
    xmlFreeParserCtxt(ctxt);
    /* libxml2 also keeps a copy of the last error (message and text of the
     * input) per thread until the next one: we have ours in @first */
    xmlResetLastError();

    if (!d->doc || !well_formed || !ns_well_formed) {
        g_autofree char *message = first.message;
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED,
                    "The domain XML is not %s: line %d: %s",
                    d->doc && well_formed ? "namespace-well-formed" : "well-formed",
                    first.line, message ? message : "unknown error");
        return NULL;
    }
    g_free(first.message);

    if (d->doc->encoding && g_ascii_strcasecmp((const char *)d->doc->encoding, "UTF-8") != 0) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED,
                    "The domain XML declares the encoding '%s'; only UTF-8 is supported",
                    (const char *)d->doc->encoding);
        return NULL;
    }

    d->root = xmlDocGetRootElement(d->doc);
    if (!d->root || d->root->ns || !g_str_equal((const char *)d->root->name, "domain")) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED,
                    "The XML's root element is <%s>, not a libvirt <domain>",
                    d->root ? (const char *)d->root->name : "");
        return NULL;
    }

    d->tag_list = g_ptr_array_new_with_free_func((GDestroyNotify)domxml_tag_free);
    d->tags = g_hash_table_new(g_direct_hash, g_direct_equal);
    d->have_span = scan_tags(xml, len, d->tag_list, &d->root_begin, &d->root_end);
    if (!d->have_span || !match_tags(d, d->root, &next) || next != d->tag_list->len)
        g_hash_table_remove_all(d->tags);
    else if (((DomxmlTag *)g_ptr_array_index(d->tag_list, 0))->quotes->len > 0)
        d->quote = ((DomxmlTag *)g_ptr_array_index(d->tag_list, 0))->quotes->str[0];
    if (!d->quote)
        d->quote = '\''; /* as libvirt writes it */

    child = first_element(d->root->children);
    d->unit = child ? line_indent(child) : NULL;
    d->compact = child && !d->unit;
    if (!d->unit)
        d->unit = "  ";
    return g_steal_pointer(&d);
}

/* ------------------------------------------------------------ the serializer */

static void append_escaped(GString *out, const char *s, char quote)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '\r':
            g_string_append(out, "&#13;");
            break;
        case '\n':
            g_string_append(out, quote ? "&#10;" : "\n");
            break;
        case '\t':
            g_string_append(out, quote ? "&#9;" : "\t");
            break;
        case '\'':
            g_string_append(out, quote == '\'' ? "&apos;" : "'");
            break;
        case '"':
            g_string_append(out, quote == '"' ? "&quot;" : "\"");
            break;
        default:
            g_string_append_c(out, *s);
        }
    }
}

static void append_attr(GString *out, xmlAttr *a, char quote)
{
    g_string_append_c(out, ' ');
    if (a->ns && a->ns->prefix)
        g_string_append_printf(out, "%s:", (const char *)a->ns->prefix);
    g_string_append_printf(out, "%s=%c", (const char *)a->name, quote);
    for (xmlNode *v = a->children; v; v = v->next) {
        if (v->type == XML_ENTITY_REF_NODE)
            g_string_append_printf(out, "&%s;", (const char *)v->name);
        else
            append_escaped(out, (const char *)v->content, quote);
    }
    g_string_append_c(out, quote);
}

static void append_ns(GString *out, xmlNs *ns, char quote)
{
    g_string_append(out, " xmlns");
    if (ns->prefix)
        g_string_append_printf(out, ":%s", (const char *)ns->prefix);
    g_string_append_printf(out, "=%c", quote);
    append_escaped(out, (const char *)ns->href, quote);
    g_string_append_c(out, quote);
}

static gboolean attr_has_qname(xmlAttr *a, const char *qname)
{
    if (a->ns && a->ns->prefix) {
        size_t n = strlen((const char *)a->ns->prefix);
        return strncmp(qname, (const char *)a->ns->prefix, n) == 0 && qname[n] == ':' &&
               g_str_equal(qname + n + 1, (const char *)a->name);
    }
    return g_str_equal(qname, (const char *)a->name);
}

static void dump_node(DomxmlDoc *d, GString *out, xmlNode *n);

/* Attributes and namespace declarations in their source order and quotes;
 * the ones we added follow, quoted like the rest of the document. */
static void dump_element(DomxmlDoc *d, GString *out, xmlNode *n)
{
    DomxmlTag *tag = g_hash_table_lookup(d->tags, n);
    g_autoptr(GHashTable) done = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autofree char *qname = node_qname(n);
    char quote = d->quote;

    g_string_append_printf(out, "<%s", qname);
    for (guint i = 0; tag && i < tag->attrs->len; i++) {
        const char *name = g_ptr_array_index(tag->attrs, i);
        char q = tag->quotes->str[i];

        if (g_str_has_prefix(name, "xmlns") && (name[5] == '\0' || name[5] == ':')) {
            const char *prefix = name[5] ? name + 6 : NULL;
            for (xmlNs *ns = n->nsDef; ns; ns = ns->next) {
                if (g_hash_table_contains(done, ns) ||
                    g_strcmp0(prefix, (const char *)ns->prefix) != 0)
                    continue;
                append_ns(out, ns, q);
                g_hash_table_add(done, ns);
                break;
            }
        } else {
            for (xmlAttr *a = n->properties; a; a = a->next) {
                if (g_hash_table_contains(done, a) || !attr_has_qname(a, name))
                    continue;
                append_attr(out, a, q);
                g_hash_table_add(done, a);
                break;
            }
        }
    }
    if (tag && tag->quotes->len > 0)
        quote = tag->quotes->str[0];
    for (xmlNs *ns = n->nsDef; ns; ns = ns->next)
        if (!g_hash_table_contains(done, ns))
            append_ns(out, ns, quote);
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (!g_hash_table_contains(done, a))
            append_attr(out, a, quote);

    if (!n->children) {
        g_string_append(out, "/>");
        return;
    }
    g_string_append_c(out, '>');
    for (xmlNode *c = n->children; c; c = c->next)
        dump_node(d, out, c);
    g_string_append_printf(out, "</%s>", qname);
}

/* Nodes we have no reason to write ourselves: libxml2 writes them. */
static void dump_by_libxml2(DomxmlDoc *d, GString *out, xmlNode *n)
{
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf)
        g_error("libxml2 could not allocate a buffer");
    if (xmlNodeDump(buf, d->doc, n, 0, 0) >= 0)
        g_string_append_len(out, (const char *)xmlBufferContent(buf), xmlBufferLength(buf));
    xmlBufferFree(buf);
}

static void dump_node(DomxmlDoc *d, GString *out, xmlNode *n)
{
    switch (n->type) {
    case XML_ELEMENT_NODE:
        dump_element(d, out, n);
        break;
    case XML_TEXT_NODE:
        append_escaped(out, (const char *)n->content, 0);
        break;
    case XML_CDATA_SECTION_NODE:
        g_string_append_printf(out, "<![CDATA[%s]]>", n->content ? (const char *)n->content : "");
        break;
    case XML_COMMENT_NODE:
        g_string_append_printf(out, "<!--%s-->", n->content ? (const char *)n->content : "");
        break;
    case XML_PI_NODE:
        g_string_append_printf(out, "<?%s", (const char *)n->name);
        if (n->content && *n->content)
            g_string_append_printf(out, " %s", (const char *)n->content);
        g_string_append(out, "?>");
        break;
    case XML_ENTITY_REF_NODE:
        g_string_append_printf(out, "&%s;", (const char *)n->name);
        break;
    default:
        dump_by_libxml2(d, out, n);
    }
}

static char *domxml_serialize(DomxmlDoc *d)
{
    GString *out = g_string_sized_new(d->len + 1024);

    if (d->have_span) {
        /* the prolog and epilogue are untouched: copy them as written */
        g_string_append_len(out, d->text, (gssize)d->root_begin);
        dump_node(d, out, d->root);
        g_string_append_len(out, d->text + d->root_end, (gssize)(d->len - d->root_end));
        return g_string_free(out, FALSE);
    }
    if (g_str_has_prefix(d->text, "<?xml"))
        g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    for (xmlNode *n = d->doc->children; n; n = n->next) {
        dump_node(d, out, n);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------ tree helpers */

static gboolean node_is(xmlNode *n, const char *ns_href, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE || !g_str_equal((const char *)n->name, name))
        return FALSE;
    if (!ns_href)
        return n->ns == NULL;
    return n->ns && n->ns->href && g_str_equal((const char *)n->ns->href, ns_href);
}

static xmlNode *child_element(xmlNode *parent, const char *ns_href, const char *name)
{
    for (xmlNode *c = first_element(parent->children); c; c = next_element(c))
        if (node_is(c, ns_href, name))
            return c;
    return NULL;
}

static guint count_children(xmlNode *parent, const char *ns_href, const char *name)
{
    guint count = 0;
    for (xmlNode *c = first_element(parent->children); c; c = next_element(c))
        if (node_is(c, ns_href, name))
            count++;
    return count;
}

/* An attribute's value, in GLib's allocator. */
static char *get_attr(xmlNode *n, const char *name)
{
    xmlChar *value = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *copy = value ? g_strdup((const char *)value) : NULL;
    xmlFree(value);
    return copy;
}

static gboolean attr_equals(xmlNode *n, const char *name, const char *expected)
{
    g_autofree char *value = get_attr(n, name);
    return value && g_str_equal(value, expected);
}

static gboolean is_blank_text(xmlNode *n)
{
    if (!n || n->type != XML_TEXT_NODE)
        return FALSE;
    for (const xmlChar *p = n->content; p && *p; p++)
        if (!is_space((char)*p))
            return FALSE;
    return TRUE;
}

/* Nothing but whitespace inside. */
static gboolean is_blank_element(xmlNode *n)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (!is_blank_text(c))
            return FALSE;
    return TRUE;
}

/* Drops the scanned tags of @n's subtree, so that a node allocated later at
 * the same address does not inherit them. */
static void forget_tags(DomxmlDoc *d, xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE)
        return;
    g_hash_table_remove(d->tags, n);
    for (xmlNode *c = n->children; c; c = c->next)
        forget_tags(d, c);
}

static void free_node(DomxmlDoc *d, xmlNode *n)
{
    forget_tags(d, n);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

static void clear_children(DomxmlDoc *d, xmlNode *n)
{
    while (n->children)
        free_node(d, n->children);
}

/* The last element child of @parent named one of @names (no namespace). */
static xmlNode *last_of(xmlNode *parent, const char *const *names)
{
    xmlNode *last = NULL;
    for (xmlNode *c = first_element(parent->children); c; c = next_element(c))
        for (const char *const *name = names; *name; name++)
            if (node_is(c, NULL, *name))
                last = c;
    return last;
}

static xmlNode *last_element(xmlNode *parent)
{
    xmlNode *last = NULL;
    for (xmlNode *c = first_element(parent->children); c; c = next_element(c))
        last = c;
    return last;
}

static xmlNode *new_text(DomxmlDoc *d, const char *indent)
{
    g_autofree char *text = g_strconcat("\n", indent, NULL);
    return xmlNewDocText(d->doc, (const xmlChar *)text);
}

/* The indentation of @parent's children, or NULL to add no whitespace. */
static char *child_indent(DomxmlDoc *d, xmlNode *parent)
{
    xmlNode *first = first_element(parent->children);
    const char *indent;

    if (d->compact)
        return NULL;
    if (first)
        return g_strdup(line_indent(first));
    indent = parent == d->root ? "" : line_indent(parent);
    return indent ? g_strconcat(indent, d->unit, NULL) : NULL;
}

/* Inserts @node into @parent after the element @after (NULL: before the
 * first element), on a line of its own indented like its siblings.  The
 * whitespace goes in front of @node so that remove_node() takes it back. */
static void insert_node(DomxmlDoc *d, xmlNode *parent, xmlNode *after, xmlNode *node)
{
    g_autofree char *indent = child_indent(d, parent);
    xmlNode *first = first_element(parent->children);

    if (!first) {
        const char *closing = parent == d->root ? "" : line_indent(parent);
        /* Only whitespace is ours to replace: a comment or text the user
         * put there stays, before the new element. */
        if (is_blank_element(parent))
            clear_children(d, parent);
        if (indent)
            xmlAddChild(parent, new_text(d, indent));
        xmlAddChild(parent, node);
        if (indent && closing)
            xmlAddChild(parent, new_text(d, closing));
    } else if (after) {
        xmlAddNextSibling(after, node);
        if (indent)
            xmlAddPrevSibling(node, new_text(d, indent));
    } else {
        xmlAddPrevSibling(first, node);
        if (indent)
            xmlAddNextSibling(node, new_text(d, indent));
    }
}

static void insert_after_last_of(DomxmlDoc *d, xmlNode *parent, const char *const *names,
                                 xmlNode *node)
{
    insert_node(d, parent, last_of(parent, names), node);
}

/* Removes @n with the whitespace that put it on its own line. */
static void remove_node(DomxmlDoc *d, xmlNode *n)
{
    if (is_blank_text(n->prev))
        free_node(d, n->prev);
    free_node(d, n);
}

/* After removing from @parent: drop it if we added it and it is empty now,
 * or at least the whitespace left inside it. */
static void tidy_container(DomxmlDoc *d, xmlNode *parent, gboolean we_added)
{
    if (!is_blank_element(parent))
        return;
    if (we_added)
        remove_node(d, parent);
    else
        clear_children(d, parent);
}

static gboolean ns_in_use(xmlNode *n, xmlNs *ns)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns == ns)
            return TRUE;
        for (xmlAttr *a = n->properties; a; a = a->next)
            if (a->ns == ns)
                return TRUE;
        if (ns_in_use(n->children, ns))
            return TRUE;
    }
    return FALSE;
}

static xmlNode *new_element(DomxmlDoc *d, xmlNs *ns, const char *name,
                            const char *attr, const char *value)
{
    xmlNode *n = xmlNewDocNode(d->doc, ns, (const xmlChar *)name, NULL);
    if (!n)
        g_error("libxml2 could not allocate an element");
    if (attr)
        xmlNewProp(n, (const xmlChar *)attr, (const xmlChar *)value);
    return n;
}

/* ------------------------------------------------------------ our record */

/* Where libvirt writes each element, so that ours land where it would
 * put them. */
static const char *const metadata_after[] = {
    "name", "uuid", "genid", "title", "description", NULL
};
static const char *const memory_backing_after[] = {
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory",
    "memory", "currentMemory", "blkiotune", "memtune", NULL
};
static const char *const source_after[] = { "hugepages", "nosharepages", "locked", NULL };
static const char *const access_after[] = {
    "hugepages", "nosharepages", "locked", "source", NULL
};

static xmlNode *find_record(DomxmlDoc *d, xmlNode **metadata)
{
    xmlNode *md = child_element(d->root, NULL, "metadata");

    if (metadata)
        *metadata = md;
    return md ? child_element(md, VMI_NS, "introspection") : NULL;
}

static gboolean record_says(xmlNode *record, const char *flag)
{
    return attr_equals(record, flag, "yes");
}

static char *gdb_arg_for(const char *socket_path)
{
    return g_strdup_printf("unix:%s,server=on,wait=off", socket_path);
}

/* Is @arg a QEMU option that starts a gdbstub (-gdb DEV, or -s)? */
static gboolean is_gdb_option(const char *arg)
{
    if (!arg || arg[0] != '-')
        return FALSE;
    arg += arg[1] == '-' ? 2 : 1; /* QEMU takes --opt for -opt */
    return g_str_equal(arg, "gdb") || g_str_equal(arg, "s");
}

/* Finds our two <qemu:arg>s, "-gdb" then @gdb_arg, in @cmdline. */
static gboolean find_gdb_pair(xmlNode *cmdline, const char *gdb_arg,
                              xmlNode **first, xmlNode **second)
{
    for (xmlNode *a = first_element(cmdline->children); a; a = next_element(a)) {
        xmlNode *b = next_element(a);
        if (node_is(a, QEMU_NS, "arg") && attr_equals(a, "value", "-gdb") &&
            node_is(b, QEMU_NS, "arg") && attr_equals(b, "value", gdb_arg)) {
            *first = a;
            *second = b;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean memory_is_shared_file(xmlNode *mb)
{
    xmlNode *source = mb ? child_element(mb, NULL, "source") : NULL;
    xmlNode *access = mb ? child_element(mb, NULL, "access") : NULL;

    return source && access && !child_element(mb, NULL, "hugepages") &&
           attr_equals(source, "type", "file") && attr_equals(access, "mode", "shared");
}

/* Undoes what our record says, in the tree.  FALSE when there is no record. */
static gboolean domxml_undo(DomxmlDoc *d)
{
    xmlNode *metadata = NULL;
    xmlNode *record = find_record(d, &metadata);
    g_autofree char *gdb = NULL;

    if (!record)
        return FALSE;

    xmlNode *mb = child_element(d->root, NULL, "memoryBacking");
    if (mb) {
        xmlNode *source = child_element(mb, NULL, "source");
        xmlNode *access = child_element(mb, NULL, "access");
        gboolean touched = FALSE;

        if (record_says(record, "added-source") && source && attr_equals(source, "type", "file")) {
            remove_node(d, source);
            touched = TRUE;
        }
        if (record_says(record, "added-access") && access && attr_equals(access, "mode", "shared")) {
            remove_node(d, access);
            touched = TRUE;
        }
        if (touched)
            tidy_container(d, mb, record_says(record, "added-memoryBacking"));
    }

    gdb = get_attr(record, "gdb");
    if (gdb) {
        g_autofree char *gdb_arg = gdb_arg_for(gdb);
        xmlNode *c = first_element(d->root->children);

        while (c) {
            xmlNode *next = next_element(c);
            xmlNode *a, *b;
            gboolean touched = FALSE;

            while (node_is(c, QEMU_NS, "commandline") && find_gdb_pair(c, gdb_arg, &a, &b)) {
                remove_node(d, a);
                remove_node(d, b);
                touched = TRUE;
            }
            if (touched)
                tidy_container(d, c, record_says(record, "added-qemu-commandline"));
            c = next;
        }
        if (record_says(record, "added-qemu-namespace")) {
            for (xmlNs **p = &d->root->nsDef; *p; p = &(*p)->next) {
                xmlNs *ns = *p;
                if (!ns->href || !g_str_equal((const char *)ns->href, QEMU_NS) ||
                    ns_in_use(d->root, ns))
                    continue;
                *p = ns->next;
                ns->next = NULL;
                xmlFreeNs(ns);
                break;
            }
        }
    }

    gboolean added_metadata = record_says(record, "added-metadata");
    remove_node(d, record);
    tidy_container(d, metadata, added_metadata);
    return TRUE;
}

/* The modes @record records whose elements are still in place; @gdb gets
 * the recorded socket path. */
static vmi_domxml_mode_t enabled_modes(DomxmlDoc *d, xmlNode *record, char **gdb)
{
    g_autofree char *recorded = get_attr(record, "mode");
    vmi_domxml_mode_t recorded_mode = 0, found = 0;

    *gdb = get_attr(record, "gdb");
    if (!vmi_domxml_mode_from_string(recorded, &recorded_mode))
        return 0;
    if ((recorded_mode & VMI_DOMXML_SHM) &&
        memory_is_shared_file(child_element(d->root, NULL, "memoryBacking")))
        found |= VMI_DOMXML_SHM;
    if ((recorded_mode & VMI_DOMXML_GDBSTUB) && *gdb) {
        g_autofree char *gdb_arg = gdb_arg_for(*gdb);
        for (xmlNode *c = first_element(d->root->children); c; c = next_element(c)) {
            xmlNode *a, *b;
            if (node_is(c, QEMU_NS, "commandline") && find_gdb_pair(c, gdb_arg, &a, &b)) {
                found |= VMI_DOMXML_GDBSTUB;
                break;
            }
        }
    }
    return found;
}

/* ------------------------------------------------------------ enable */

static char *normalize_uuid(const char *text, GError **error)
{
    GString *hex = g_string_new(NULL);
    g_autofree char *digits = NULL;

    for (const char *p = text; p && *p; p++) {
        if (g_ascii_isxdigit(*p))
            g_string_append_c(hex, g_ascii_tolower(*p));
        else if (*p != '-' && !is_space(*p))
            break;
    }
    digits = g_string_free(hex, FALSE);
    if (strlen(digits) != 32 || strspn(text, "0123456789abcdefABCDEF- \t\r\n") != strlen(text)) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_MALFORMED,
                    "The domain's <uuid> '%s' is not a UUID", text);
        return NULL;
    }
    return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", digits, digits + 8, digits + 12,
                           digits + 16, digits + 20);
}

static char *gdb_socket_path(DomxmlDoc *d, const char *dir, GError **error)
{
    xmlNode *uuid_node = child_element(d->root, NULL, "uuid");
    g_autofree char *content = NULL;
    g_autofree char *uuid = NULL;
    g_autofree char *clean_dir = NULL;
    xmlChar *raw;
    char *path;
    size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;

    if (!dir)
        dir = VMI_DOMXML_DEFAULT_GDB_DIR;
    if (!g_path_is_absolute(dir)) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                    "The gdbstub socket directory '%s' is not an absolute path", dir);
        return NULL;
    }
    for (const char *p = dir; *p; p++) {
        /* QEMU's option syntax splits at commas */
        if (*p == ',' || g_ascii_iscntrl(*p)) {
            g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                        "The gdbstub socket directory '%s' contains a comma or a control "
                        "character, which QEMU's -gdb option cannot take", dir);
            return NULL;
        }
    }
    if (!uuid_node) {
        g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                            "The domain has no <uuid>, which names its gdbstub socket");
        return NULL;
    }
    raw = xmlNodeGetContent(uuid_node);
    content = g_strdup(raw ? (const char *)raw : "");
    xmlFree(raw);
    uuid = normalize_uuid(content, error);
    if (!uuid)
        return NULL;
    clean_dir = g_strdup(dir);
    while (strlen(clean_dir) > 1 && g_str_has_suffix(clean_dir, "/"))
        clean_dir[strlen(clean_dir) - 1] = '\0';
    path = g_strdup_printf("%s%s%s.gdb.sock", clean_dir,
                           g_str_has_suffix(clean_dir, "/") ? "" : "/", uuid);
    if (strlen(path) > max) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                    "The gdbstub socket path '%s' is longer than the %zu bytes a unix "
                    "socket address holds", path, max);
        g_free(path);
        return NULL;
    }
    return path;
}

typedef struct {
    gboolean have_memory_backing, have_source, have_access;
} ShmPlan;

static gboolean check_shm(DomxmlDoc *d, ShmPlan *plan, GError **error)
{
    xmlNode *mb, *source, *access, *cpu, *numa;

    if (count_children(d->root, NULL, "memoryBacking") > 1) {
        g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                            "The domain has more than one <memoryBacking> element");
        return FALSE;
    }
    /* a NUMA cell's memAccess overrides <access> for that cell's RAM */
    cpu = child_element(d->root, NULL, "cpu");
    numa = cpu ? child_element(cpu, NULL, "numa") : NULL;
    for (xmlNode *cell = numa ? first_element(numa->children) : NULL; cell;
         cell = next_element(cell)) {
        if (node_is(cell, NULL, "cell") && attr_equals(cell, "memAccess", "private")) {
            g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                                "A NUMA cell of the domain has memAccess='private', which "
                                "keeps its memory out of the shared file; remove it or enable "
                                "the gdbstub only");
            return FALSE;
        }
    }
    mb = child_element(d->root, NULL, "memoryBacking");
    plan->have_memory_backing = mb != NULL;
    if (!mb)
        return TRUE;
    if (child_element(mb, NULL, "hugepages")) {
        g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                            "The domain's memory is backed by hugepages "
                            "(<memoryBacking><hugepages/>), which shared-memory introspection "
                            "does not handle; remove <hugepages/> or enable the gdbstub only");
        return FALSE;
    }
    source = child_element(mb, NULL, "source");
    if (source) {
        g_autofree char *type = get_attr(source, "type");
        if (!type || !g_str_equal(type, "file")) {
            g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                        "The domain's memory backing is <source type='%s'/>; shared-memory "
                        "introspection needs <source type='file'/>, and changing the memory "
                        "source is left to you: edit it, or enable the gdbstub only",
                        type ? type : "");
            return FALSE;
        }
        plan->have_source = TRUE;
    }
    access = child_element(mb, NULL, "access");
    if (access) {
        g_autofree char *mode = get_attr(access, "mode");
        if (!mode || !g_str_equal(mode, "shared")) {
            g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                        "The domain's memory access is <access mode='%s'/>; shared-memory "
                        "introspection needs mode='shared', and changing it is left to you: "
                        "edit it, or enable the gdbstub only", mode ? mode : "");
            return FALSE;
        }
        plan->have_access = TRUE;
    }

    return TRUE;
}

static gboolean check_gdb(DomxmlDoc *d, GError **error)
{
    for (xmlNode *c = first_element(d->root->children); c; c = next_element(c)) {
        if (!node_is(c, QEMU_NS, "commandline"))
            continue;
        for (xmlNode *a = first_element(c->children); a; a = next_element(a)) {
            g_autofree char *value = node_is(a, QEMU_NS, "arg") ? get_attr(a, "value") : NULL;
            if (is_gdb_option(value)) {
                g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                            "The domain's <qemu:commandline> already starts a gdbstub "
                            "(<qemu:arg value='%s'/>) that was not added by libvmi; remove "
                            "it or enable shared memory only", value);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static void apply_shm(DomxmlDoc *d, const ShmPlan *plan, xmlNode *record)
{
    xmlNode *mb = child_element(d->root, NULL, "memoryBacking");

    if (!mb) {
        mb = new_element(d, NULL, "memoryBacking", NULL, NULL);
        insert_after_last_of(d, d->root, memory_backing_after, mb);
    }
    if (!plan->have_source)
        insert_after_last_of(d, mb, source_after, new_element(d, NULL, "source", "type", "file"));
    if (!plan->have_access)
        insert_after_last_of(d, mb, access_after,
                             new_element(d, NULL, "access", "mode", "shared"));
    xmlNewProp(record, (const xmlChar *)"added-memoryBacking",
               (const xmlChar *)(plan->have_memory_backing ? "no" : "yes"));
    xmlNewProp(record, (const xmlChar *)"added-source",
               (const xmlChar *)(plan->have_source ? "no" : "yes"));
    xmlNewProp(record, (const xmlChar *)"added-access",
               (const xmlChar *)(plan->have_access ? "no" : "yes"));
}

static xmlNs *qemu_namespace(DomxmlDoc *d, gboolean *added)
{
    xmlNs *ns = xmlSearchNsByHref(d->doc, d->root, (const xmlChar *)QEMU_NS);

    *added = FALSE;
    if (ns)
        return ns;
    for (int i = 1;; i++) {
        g_autofree char *prefix = i == 1 ? g_strdup("qemu") : g_strdup_printf("qemu%d", i);
        if (!xmlSearchNs(d->doc, d->root, (const xmlChar *)prefix)) {
            *added = TRUE;
            return xmlNewNs(d->root, (const xmlChar *)QEMU_NS, (const xmlChar *)prefix);
        }
    }
}

static void apply_gdb(DomxmlDoc *d, const char *socket_path, xmlNode *record)
{
    xmlNode *cmdline = child_element(d->root, QEMU_NS, "commandline");
    g_autofree char *gdb_arg = gdb_arg_for(socket_path);
    gboolean added_ns = FALSE, added_cmdline = FALSE;
    xmlNode *after = NULL, *first, *second;
    xmlNs *ns;

    if (cmdline) {
        ns = cmdline->ns;
    } else {
        ns = qemu_namespace(d, &added_ns);
        cmdline = new_element(d, ns, "commandline", NULL, NULL);
        insert_node(d, d->root, last_element(d->root), cmdline);
        added_cmdline = TRUE;
    }
    /* after the other arguments, before any <qemu:env> */
    for (xmlNode *a = first_element(cmdline->children); a; a = next_element(a))
        if (node_is(a, QEMU_NS, "arg"))
            after = a;
    first = new_element(d, ns, "arg", "value", "-gdb");
    second = new_element(d, ns, "arg", "value", gdb_arg);
    insert_node(d, cmdline, after, first);
    insert_node(d, cmdline, first, second);

    xmlNewProp(record, (const xmlChar *)"gdb", (const xmlChar *)socket_path);
    xmlNewProp(record, (const xmlChar *)"added-qemu-commandline",
               (const xmlChar *)(added_cmdline ? "yes" : "no"));
    xmlNewProp(record, (const xmlChar *)"added-qemu-namespace",
               (const xmlChar *)(added_ns ? "yes" : "no"));
}

char *vmi_domxml_enable(const char *xml, vmi_domxml_mode_t mode,
                        const char *gdb_socket_dir, GError **error)
{
    g_autoptr(DomxmlDoc) d = NULL;
    g_autofree char *type = NULL;
    g_autofree char *socket_path = NULL;
    g_autofree char *before_mode = NULL;
    g_autofree char *before_gdb = NULL;
    vmi_domxml_mode_t before = 0;
    ShmPlan plan = { FALSE, FALSE, FALSE };
    xmlNode *metadata, *record;
    gboolean added_metadata = FALSE;
    xmlNs *ns;

    if (!vmi_domxml_mode_to_string(mode)) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT,
                    "Unknown introspection mode %d", (int)mode);
        return NULL;
    }
    d = domxml_parse(xml, error);
    if (!d)
        return NULL;

    type = get_attr(d->root, "type");
    if (!type || (!g_str_equal(type, "kvm") && !g_str_equal(type, "qemu"))) {
        g_set_error(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                    "The domain's type is '%s'; only 'kvm' and 'qemu' domains can be "
                    "changed for introspection", type ? type : "");
        return NULL;
    }
    if (count_children(d->root, NULL, "metadata") > 1) {
        g_set_error_literal(error, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_UNSUPPORTED,
                            "The domain has more than one <metadata> element");
        return NULL;
    }

    /* start from the domain as it was before any earlier enable */
    record = find_record(d, NULL);
    if (record) {
        before = enabled_modes(d, record, &before_gdb);
        before_mode = get_attr(record, "mode");
    }
    domxml_undo(d);

    if ((mode & VMI_DOMXML_SHM) && !check_shm(d, &plan, error))
        return NULL;
    if (mode & VMI_DOMXML_GDBSTUB) {
        socket_path = gdb_socket_path(d, gdb_socket_dir, error);
        if (!socket_path || !check_gdb(d, error))
            return NULL;
    }

    /* enabled already, exactly so: keep the text as it is (libvirt may have
     * re-quoted our record, which undo and redo would change back) */
    if (before == mode && g_strcmp0(before_mode, vmi_domxml_mode_to_string(mode)) == 0 &&
        (!(mode & VMI_DOMXML_GDBSTUB) || g_strcmp0(before_gdb, socket_path) == 0))
        return g_strdup(xml);

    /* nothing can fail from here on */
    metadata = child_element(d->root, NULL, "metadata");
    if (!metadata) {
        metadata = new_element(d, NULL, "metadata", NULL, NULL);
        insert_after_last_of(d, d->root, metadata_after, metadata);
        added_metadata = TRUE;
    }
    record = new_element(d, NULL, "introspection", NULL, NULL);
    ns = xmlNewNs(record, (const xmlChar *)VMI_NS, (const xmlChar *)"vmi");
    xmlSetNs(record, ns);
    insert_node(d, metadata, last_element(metadata), record);
    xmlNewProp(record, (const xmlChar *)"mode", (const xmlChar *)vmi_domxml_mode_to_string(mode));

    if (mode & VMI_DOMXML_SHM)
        apply_shm(d, &plan, record);
    if (mode & VMI_DOMXML_GDBSTUB)
        apply_gdb(d, socket_path, record);
    xmlNewProp(record, (const xmlChar *)"added-metadata",
               (const xmlChar *)(added_metadata ? "yes" : "no"));

    return domxml_serialize(d);
}

/* ------------------------------------------------------------ disable, status */

char *vmi_domxml_disable(const char *xml, GError **error)
{
    g_autoptr(DomxmlDoc) d = domxml_parse(xml, error);

    if (!d)
        return NULL;
    if (!domxml_undo(d))
        return g_strdup(xml);
    return domxml_serialize(d);
}

gboolean vmi_domxml_status(const char *xml, vmi_domxml_mode_t *mode,
                           char **gdb_socket, GError **error)
{
    g_autoptr(DomxmlDoc) d = domxml_parse(xml, error);
    g_autofree char *gdb = NULL;
    vmi_domxml_mode_t found = 0;
    xmlNode *record;

    if (mode)
        *mode = 0;
    if (gdb_socket)
        *gdb_socket = NULL;
    if (!d)
        return FALSE;
    record = find_record(d, NULL);
    if (!record)
        return TRUE;

    found = enabled_modes(d, record, &gdb);

    if (mode)
        *mode = found;
    if (gdb_socket && (found & VMI_DOMXML_GDBSTUB))
        *gdb_socket = g_steal_pointer(&gdb);
    return TRUE;
}

/* ------------------------------------------------------------ socket dir */

/* QEMU's user, when it exists: its uid and primary group. */
static gboolean qemu_user(uid_t *uid, gid_t *gid)
{
    struct passwd pw, *pwp = NULL;
    char buf[4096];
    if (getpwnam_r(VMI_DOMXML_QEMU_USER, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
        return FALSE;
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    return TRUE;
}

/* Who may control the directory: root, QEMU's user, and the caller (root
 * for the helper; the user whose own QEMU it is for a session libvirt). */
static void socket_dir_trust(sockdir_trust_t *t, gboolean *have_qemu, uid_t *qemu_uid,
                             gid_t *qemu_gid)
{
    sockdir_trust_init(t);
    sockdir_trust_add(t, geteuid());
    *have_qemu = qemu_user(qemu_uid, qemu_gid);
    if (*have_qemu)
        sockdir_trust_add(t, *qemu_uid);
}

gboolean vmi_domxml_check_socket_dir(const char *dir, gboolean *missing, GError **error)
{
    sockdir_trust_t t;
    gboolean have_qemu;
    uid_t uid;
    gid_t gid;
    bool gone = false;

    socket_dir_trust(&t, &have_qemu, &uid, &gid);
    if (!sockdir_check("gdbstub socket", dir, &t, &gone, error))
        return FALSE;
    if (missing)
        *missing = gone;
    return TRUE;
}

gboolean vmi_domxml_ensure_socket_dir(const char *dir, gboolean *created, GError **error)
{
    sockdir_trust_t t;
    gboolean have_qemu;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    bool made = false;

    if (created)
        *created = FALSE;
    socket_dir_trust(&t, &have_qemu, &uid, &gid);
    /* QEMU runs as QEMU's user and creates the socket there: a directory
     * root makes is given to that user */
    if (!have_qemu || geteuid() != 0) {
        uid = (uid_t)-1;
        gid = (gid_t)-1;
    }
    if (!sockdir_make("gdbstub socket", dir, &t, uid, gid, &made, error))
        return FALSE;
    if (created)
        *created = made;
    return TRUE;
}
