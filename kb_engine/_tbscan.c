/* Two loops of traceback reading that Python runs slowly, for logs full of headers.
 *
 * may_parse(window, heads, offsets, n_lines, max_line, max_tb) -> list[int]
 *     heads: the window's header candidate lines, ascending; offsets: line -> a byte
 *     offset inside that line (the prefilter's). Returns the heads whose parse
 *     (kb_engine.tracebacks.parse_traceback_at) may find a traceback, in order: a head is
 *     left out only when the parse certainly finds none. Three cases, each what the
 *     parser does, for ASCII lines of at most max_line bytes (anything else is kept):
 *
 *     - the line is no header: stripped of trailing blanks, it does not end with HEADER;
 *     - an exception-group header whose next line is a header, as header_follows says
 *       (the memo's first test);
 *     - any other header, whose lines up to max_tb (the parser's cap) are read as the
 *       parser's FRAMES state reads them before any exception: the log prefix (the
 *       header's, digit runs free, then one optional blank) taken off when it matches;
 *       a blank or indented line read on; a header ends the parse with nothing, and so
 *       does a line that is neither a frame nor "Type: message" (_EXC_LINE); the lines
 *       running out, or the cap, too. A line starting 'File "' or
 *       "[Previous line repeated", or one _EXC_LINE matches, keeps the head, and so do
 *       more than WALK_MAX lines read (frames: a real traceback, the parser's to read).
 *
 *     One walk per head, which ends at the next header at the latest: the heads of a run
 *     cost a few byte compares each, where the parser costs microseconds of Python.
 *
 * nul_prefixes(data, literals) -> bytes
 *     re.sub(pattern, b"\0", data) for the MULTILINE bytes pattern ^L0\d+L1...\d+Lk of a
 *     log prefix's shape (kb_engine.prefixes; literals = (L0, ..., Lk), none holding a
 *     digit or a newline, not all empty): at each line start where the shape matches, the
 *     match becomes one NUL. The traceback memo compares blocks of a stamped crash loop
 *     in that form (kb_engine.tbmemo), a pass over each block it meets.
 *
 * Blanks are what str.isspace calls blank among ASCII: \t \n \v \f \r, 0x1c-0x1f, space.
 * A test compares the answers with the parser's on random header runs
 * (tests/engine/test_tbscan.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include "newlines.h"

static const char HEADER[] = "Traceback (most recent call last):";
static const char GROUP_HEADER[] = "Exception Group Traceback (most recent call last):";
#define HEADER_LEN ((Py_ssize_t)(sizeof(HEADER) - 1))
#define GROUP_LEN ((Py_ssize_t)(sizeof(GROUP_HEADER) - 1))

/* Lines read after a header at most: a header run has a frame or two between headers,
   and a real traceback (kept anyway) would be read twice, here and by the parser. */
#define WALK_MAX 24

typedef const unsigned char *Bytes;

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
is_word(unsigned char c)
{
    return is_digit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_ascii(Bytes p, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* the length of p[0:n] without its trailing blanks */
static Py_ssize_t
rstrip_len(Bytes p, Py_ssize_t n)
{
    while (n > 0 && ascii_blank(p[n - 1])) {
        n--;
    }
    return n;
}

static int
ends_with(Bytes p, Py_ssize_t n, const char *tail, Py_ssize_t k)
{
    return n >= k && memcmp(p + n - k, tail, (size_t)k) == 0;
}

static int
starts_with(Bytes p, Py_ssize_t n, const char *head)
{
    Py_ssize_t k = (Py_ssize_t)strlen(head);
    return n >= k && memcmp(p, head, (size_t)k) == 0;
}

/* The prefix shape's match (kb_engine.prefixes.FirstPrefix) of prefix p[0:np] (ASCII,
   no trailing blank, not empty) at the start of t[0:nt]: its end, or -1. Literal parts
   hold no digit, so a greedy digit run is the only way the regex can match. */
static Py_ssize_t
shape_match(Bytes p, Py_ssize_t np, Bytes t, Py_ssize_t nt)
{
    Py_ssize_t i = 0, pos = 0;
    while (i < np) {
        if (is_digit(p[i])) {
            while (i < np && is_digit(p[i])) {
                i++;
            }
            if (pos >= nt || !is_digit(t[pos])) {
                return -1;
            }
            while (pos < nt && is_digit(t[pos])) {
                pos++;
            }
        }
        else {
            Py_ssize_t k = i;
            while (k < np && !is_digit(p[k])) {
                k++;
            }
            if (nt - pos < k - i || memcmp(t + pos, p + i, (size_t)(k - i)) != 0) {
                return -1;
            }
            pos += k - i;
            i = k;
        }
    }
    if (pos < nt && ascii_blank(t[pos])) {
        pos++;
    }
    return pos;
}

/* Whether stripped text s[0:n] (not empty) is what _EXC_LINE matches: dotted
   identifiers, then the end or ":". */
static int
exception_like(Bytes s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    for (;;) {
        if (i >= n || !(is_word(s[i]) && !is_digit(s[i]))) {
            return 0;
        }
        while (i < n && is_word(s[i])) {
            i++;
        }
        if (i + 1 < n && s[i] == '.' && is_word(s[i + 1]) && !is_digit(s[i + 1])) {
            i++;
            continue;
        }
        return i == n || s[i] == ':';
    }
}

typedef struct {
    Bytes data;
    Py_ssize_t len, n_lines, max_line, max_tb;
} Window;

/* the end of the line starting at ls (its newline, or the window's end) */
static Py_ssize_t
line_end(const Window *w, Py_ssize_t ls)
{
    if (ls >= w->len) {
        return w->len;
    }
    const void *nl = memchr(w->data + ls, '\n', (size_t)(w->len - ls));
    return nl == NULL ? w->len : (Py_ssize_t)((Bytes)nl - w->data);
}

/* 1 when the parse from the header on line `line` (bytes ls..le) certainly finds nothing */
static int
finds_nothing(const Window *w, Py_ssize_t line, Py_ssize_t ls, Py_ssize_t le)
{
    Bytes head = w->data + ls;
    Py_ssize_t n = le - ls;
    if (n > w->max_line || !is_ascii(head, n)) {
        return 0;
    }
    Py_ssize_t text = rstrip_len(head, n);
    if (!ends_with(head, text, HEADER, HEADER_LEN)) {
        return 1;  /* no header: _opening gives None */
    }
    int group = ends_with(head, text, GROUP_HEADER, GROUP_LEN);
    Py_ssize_t np = text - (group ? GROUP_LEN : HEADER_LEN);  /* the raw prefix */
    if (group && np >= 2 && head[np - 2] == '+' && head[np - 1] == ' ') {
        np -= 2;  /* "^(.*?)(\s*\+ )$": the blanks before the "+" go with it */
    }
    np = rstrip_len(head, np);  /* prefix_shape strips it; empty: no prefix */

    Py_ssize_t next = le + 1, stop = line + w->max_tb;
    if (stop > w->n_lines) {
        stop = w->n_lines;
    }
    if (group) {  /* header_follows only */
        if (line + 1 >= w->n_lines || next > w->len) {
            return 0;
        }
        Py_ssize_t ne = line_end(w, next), nn = ne - next;
        if (nn > w->max_line || !is_ascii(w->data + next, nn)) {
            return 0;
        }
        Py_ssize_t following = rstrip_len(w->data + next, nn);
        if (!ends_with(w->data + next, following, HEADER, HEADER_LEN)) {
            return 0;
        }
        if (np == 0) {
            return 1;
        }
        Py_ssize_t end = shape_match(head, np, w->data + next, following);
        return end < 0 || end <= following - HEADER_LEN;
    }
    for (Py_ssize_t j = line + 1; j < stop; j++) {
        if (j > line + WALK_MAX) {
            return 0;  /* a real traceback's frames, most likely: the parser's to read */
        }
        if (next > w->len) {
            return 0;  /* n_lines says more lines than the bytes hold: no answer */
        }
        Py_ssize_t js = next, je = line_end(w, js);
        next = je + 1;
        Bytes t = w->data + js;
        Py_ssize_t nt = je - js;
        if (nt > w->max_line || !is_ascii(t, nt)) {
            return 0;
        }
        if (np > 0) {
            Py_ssize_t cut = shape_match(head, np, t, nt);
            if (cut >= 0) {
                t += cut;
                nt -= cut;
            }
        }
        Py_ssize_t a = 0, b = rstrip_len(t, nt);
        while (a < b && ascii_blank(t[a])) {
            a++;
        }
        if (a == b) {
            continue;  /* blank */
        }
        if (ends_with(t + a, b - a, HEADER, HEADER_LEN)) {
            return 1;  /* a header before any exception */
        }
        if (t[0] == ' ' || t[0] == '\t') {
            continue;  /* a frame or its code */
        }
        if (starts_with(t + a, b - a, "File \"")
                || starts_with(t + a, b - a, "[Previous line repeated")
                || exception_like(t + a, b - a)) {
            return 0;
        }
        return 1;  /* _exception gives None: the parse breaks */
    }
    return 1;  /* the lines ran out, or the cap: nothing */
}

static PyObject *
may_parse(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *heads, *offsets;
    Window w;
    if (!PyArg_ParseTuple(args, "y*O!O!nnn:may_parse", &buf, &PyList_Type, &heads,
                          &PyDict_Type, &offsets, &w.n_lines, &w.max_line, &w.max_tb)) {
        return NULL;
    }
    w.data = buf.buf;
    w.len = buf.len;
    PyObject *out = PyList_New(0);
    Py_ssize_t count = PyList_GET_SIZE(heads);
    for (Py_ssize_t k = 0; out != NULL && k < count; k++) {
        PyObject *key = PyList_GET_ITEM(heads, k);
        Py_ssize_t line = PyLong_AsSsize_t(key);
        PyObject *got = PyDict_GetItemWithError(offsets, key);
        Py_ssize_t off = got == NULL ? -1 : PyLong_AsSsize_t(got);
        if (PyErr_Occurred()) {
            Py_CLEAR(out);
            break;
        }
        int keep = 1;
        if (got != NULL && line >= 0 && line < w.n_lines && off >= 0 && off < w.len) {
            Py_ssize_t ls = off;  /* rfind(b"\n", 0, off) + 1, as WindowLines finds it */
            while (ls > 0 && w.data[ls - 1] != '\n') {
                ls--;
            }
            keep = !finds_nothing(&w, line, ls, line_end(&w, ls));
        }
        if (keep && PyList_Append(out, key) < 0) {
            Py_CLEAR(out);
        }
    }
    PyBuffer_Release(&buf);
    return out;
}

/* The length of the shape's match at t[0:n] (L0, then a digit run and the next literal
   for each further literal), or -1: the bytes regex ^L0\d+L1...\d+Lk, which has one way to
   match (no literal holds or starts with a digit). */
static Py_ssize_t
literals_match(Bytes t, Py_ssize_t n, PyObject *literals)
{
    Py_ssize_t pos = 0, count = PyTuple_GET_SIZE(literals);
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k > 0) {
            if (pos >= n || !is_digit(t[pos])) {
                return -1;
            }
            while (pos < n && is_digit(t[pos])) {
                pos++;
            }
        }
        PyObject *lit = PyTuple_GET_ITEM(literals, k);
        Py_ssize_t len = PyBytes_GET_SIZE(lit);
        if (n - pos < len || memcmp(t + pos, PyBytes_AS_STRING(lit), (size_t)len) != 0) {
            return -1;
        }
        pos += len;
    }
    return pos;
}

static PyObject *
nul_prefixes(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *literals;
    if (!PyArg_ParseTuple(args, "y*O!:nul_prefixes", &buf, &PyTuple_Type, &literals)) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(literals), total = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *lit = PyTuple_GET_ITEM(literals, k);
        if (!PyBytes_Check(lit)) {
            PyBuffer_Release(&buf);
            return PyErr_Format(PyExc_TypeError, "nul_prefixes: literals must be bytes");
        }
        total += PyBytes_GET_SIZE(lit);
    }
    if (count == 0 || (count == 1 && total == 0)) {
        PyBuffer_Release(&buf);
        return PyErr_Format(PyExc_ValueError, "nul_prefixes: the shape matches nothing");
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, buf.len);
    if (out == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Bytes in = buf.buf;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t at = 0, w = 0;
    while (at <= buf.len) {  /* a line start: 0, or after a newline */
        Py_ssize_t m = literals_match(in + at, buf.len - at, literals);
        if (m > 0) {
            dst[w++] = 0;
            at += m;
        }
        const void *nl = memchr(in + at, '\n', (size_t)(buf.len - at));
        Py_ssize_t end = nl == NULL ? buf.len : (Py_ssize_t)((Bytes)nl - in) + 1;
        memcpy(dst + w, in + at, (size_t)(end - at));
        w += end - at;
        if (nl == NULL) {
            break;
        }
        at = end;
    }
    PyBuffer_Release(&buf);
    if (_PyBytes_Resize(&out, w) < 0) {
        return NULL;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"may_parse", may_parse, METH_VARARGS,
     "The header lines whose parse may find a traceback (kb_engine.tbscan)."},
    {"nul_prefixes", nul_prefixes, METH_VARARGS,
     "Each line's log prefix made a NUL (kb_engine.tbmemo)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "kb_engine._tbscan", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__tbscan(void)
{
    return PyModule_Create(&module);
}
