/* Five byte loops that Python runs slowly, for big logs (kb_engine.speedups).
 *
 * newlines(data, start=0, end=len(data)) -> int
 *     data.count(b"\n", start, end), by newlines.h's vectorised loop (shared with
 *     _hitbuf.c).
 *
 * strip_cr_ansi(data) -> bytes
 *     What cleanup's reference gives: every CR LF and every lone CR made one LF, then
 *     every ANSI escape that kb_engine.cleanup._ANSI_B matches removed, searching on
 *     from the end of each removal, exactly as re.sub does. One pass at memcpy speed.
 *
 * replace_literals(data, pairs) -> bytes
 *     Every (marker, plain) of pairs replaced in one left-to-right pass: at each position
 *     the first marker (in pairs order) that starts there is replaced and the search goes
 *     on after it. That is what data.replace(marker, plain) one pair after the other gives
 *     when no marker can overlap another's occurrence, none holds another's plain text
 *     and a later pair's plain text holds no earlier marker (cleanup's entities and smart
 *     quotes, checked by a test). No plain text may be longer than its marker.
 *
 * present_literals(data, literals, budget) -> int | None
 *     Which literals occur in data, as a bit mask (bit k: literals[k]): memchr hops from
 *     one occurrence of a literal's first byte to the next, each compared with the
 *     literals starting with that byte and not found yet; a byte's search stops once all
 *     of them are found. None when the hops pass budget (a window dense with such bytes,
 *     where the caller's one-pass search is quicker).
 *
 * strip_fences(data, is_fence_line) -> bytes
 *     kb_engine.fences' pass: a line that _FENCE_LINE matches (^\s*```[\w+-]*\s*$ on its
 *     text) becomes empty, every "```" of another line is cut out. A line holding a fence
 *     is judged on its bytes where ASCII decides (a blank or tag byte past ASCII could be
 *     Unicode's: then is_fence_line(line bytes), the Python regex, decides). Lines
 *     without a fence are copied as they are; newlines are kept.
 *
 * The first four release the GIL while they loop. Tests compare them with the Python they replace.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include "newlines.h"

static PyObject *
newlines(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t start = 0, end = PY_SSIZE_T_MAX, found = 0;
    if (!PyArg_ParseTuple(args, "y*|nn:newlines", &buf, &start, &end)) {
        return NULL;
    }
    /* slice rules of bytes.count for the non-negative offsets kb passes; negative ones
       count from the end as they do there */
    if (start < 0) {
        start = start + buf.len < 0 ? 0 : start + buf.len;
    }
    if (end < 0) {
        end = end + buf.len < 0 ? 0 : end + buf.len;
    }
    if (end > buf.len) {
        end = buf.len;
    }
    if (end > start) {
        Py_BEGIN_ALLOW_THREADS
        found = count_newlines((const unsigned char *)buf.buf + start, end - start);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(found);
}

/* Length of the escape sequence _ANSI_B matches at p[0] == ESC, or 0:
 *   ESC [ [0-9;?]* [ -/]* [@-~]          (CSI)
 *   ESC ] [^BEL ESC]* (BEL | ESC \)       (OSC)
 *   ESC [@-Z\\-_]                         (two bytes: 0x40-0x5A, 0x5C-0x5F)
 * The classes of each part are disjoint, so greedy matching never needs to give back. */
static Py_ssize_t
escape_length(const unsigned char *p, Py_ssize_t n)
{
    if (n < 2) {
        return 0;
    }
    unsigned char c = p[1];
    if (c == '[') {
        Py_ssize_t i = 2;
        while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == ';' || p[i] == '?')) {
            i++;
        }
        while (i < n && p[i] >= 0x20 && p[i] <= 0x2F) {
            i++;
        }
        if (i < n && p[i] >= 0x40 && p[i] <= 0x7E) {
            return i + 1;
        }
        return 0; /* '[' is not a two-byte escape either */
    }
    if (c == ']') {
        Py_ssize_t i = 2;
        while (i < n && p[i] != 0x07 && p[i] != 0x1B) {
            i++;
        }
        if (i < n && p[i] == 0x07) {
            return i + 1;
        }
        if (i + 1 < n && p[i] == 0x1B && p[i + 1] == '\\') {
            return i + 2;
        }
        return 2; /* no terminator: ESC ] alone is a two-byte escape */
    }
    if ((c >= 0x40 && c <= 0x5A) || (c >= 0x5C && c <= 0x5F)) {
        return 2;
    }
    return 0;
}

/* One pass, jumping with memchr from one CR or ESC to the next and copying the runs
 * between them: CR LF or a lone CR becomes LF, an escape _ANSI_B matches is dropped.
 * Equal to the two passes (CRs first, then escapes on the result): no CSI or two-byte
 * escape holds a CR or an LF, and an OSC body that holds them is dropped whole, so
 * making CRs LFs first changes no escape; out needs at most n bytes. */
static Py_ssize_t
strip_pass(const unsigned char *in, Py_ssize_t n, unsigned char *out)
{
    Py_ssize_t i = 0, o = 0;
    const unsigned char *cr = memchr(in, '\r', (size_t)n);
    const unsigned char *esc = memchr(in, 0x1B, (size_t)n);
    while (cr != NULL || esc != NULL) {
        const unsigned char *at = (esc == NULL || (cr != NULL && cr < esc)) ? cr : esc;
        Py_ssize_t pos = at - in;
        memcpy(out + o, in + i, (size_t)(pos - i));
        o += pos - i;
        if (at == cr) {
            out[o++] = '\n';
            i = pos + 1 + (pos + 1 < n && in[pos + 1] == '\n');
        }
        else {
            Py_ssize_t len = escape_length(in + pos, n - pos);
            if (len == 0) {
                out[o++] = 0x1B; /* kept; the search goes on after it */
                len = 1;
            }
            i = pos + len;
        }
        if (cr != NULL && cr < in + i) {
            cr = i < n ? memchr(in + i, '\r', (size_t)(n - i)) : NULL;
        }
        if (esc != NULL && esc < in + i) {
            esc = i < n ? memchr(in + i, 0x1B, (size_t)(n - i)) : NULL;
        }
    }
    memcpy(out + o, in + i, (size_t)(n - i));
    return o + (n - i);
}

static PyObject *
strip_cr_ansi(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*:strip_cr_ansi", &buf)) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, buf.len);
    if (out == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t n;
    Py_BEGIN_ALLOW_THREADS
    n = strip_pass((const unsigned char *)buf.buf, buf.len, dst);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    if (n != PyBytes_GET_SIZE(out) && _PyBytes_Resize(&out, n) < 0) {
        return NULL;
    }
    return out;
}

#define MAX_PAIRS 64

typedef struct {
    const unsigned char *marker, *plain;
    Py_ssize_t mlen, plen;
} Pair;

/* The pair whose marker starts at in[i] (its first byte is c), or NULL. */
static const Pair *
marker_at(const unsigned char *in, Py_ssize_t i, Py_ssize_t n, const Pair *pairs,
          Py_ssize_t npairs, Py_ssize_t from)
{
    unsigned char c = in[i];
    for (Py_ssize_t k = from; k < npairs; k++) {
        const Pair *p = &pairs[k];
        if (p->marker[0] == c && p->mlen <= n - i
                && in[i + p->mlen - 1] == p->marker[p->mlen - 1]  /* cheap tests first */
                && memcmp(in + i, p->marker, (size_t)p->mlen) == 0) {
            return p;
        }
    }
    return NULL;
}

/* first[c]: 1 + the index of the first pair whose marker starts with byte c, or 0.
 * Candidates are found with memchr, one pointer per distinct first byte (at most one per
 * pair): the next candidate is the nearest pointer, and a pointer a replacement passed
 * searches again from its end. */
static Py_ssize_t
replace_pass(const unsigned char *in, Py_ssize_t n, unsigned char *out, const Pair *pairs,
             Py_ssize_t npairs, const unsigned char *first)
{
    unsigned char bytes[MAX_PAIRS];
    const unsigned char *next[MAX_PAIRS];
    int nfirst = 0;
    for (int c = 0; c < 256; c++) {
        if (first[c]) {
            bytes[nfirst] = (unsigned char)c;
            next[nfirst++] = n > 0 ? memchr(in, c, (size_t)n) : NULL;
        }
    }
    Py_ssize_t o = 0, run = 0;
    for (;;) {
        int best = -1;
        for (int k = 0; k < nfirst; k++) {
            if (next[k] != NULL && (best < 0 || next[k] < next[best])) {
                best = k;
            }
        }
        if (best < 0) {
            break;
        }
        Py_ssize_t i = next[best] - in;
        const Pair *hit = marker_at(in, i, n, pairs, npairs, first[in[i]] - 1);
        Py_ssize_t resume = i + 1;
        if (hit != NULL) {
            memcpy(out + o, in + run, (size_t)(i - run));
            o += i - run;
            memcpy(out + o, hit->plain, (size_t)hit->plen);
            o += hit->plen;
            run = resume = i + hit->mlen;
        }
        for (int k = 0; k < nfirst; k++) {  /* every pointer the match passed */
            if (next[k] != NULL && next[k] < in + resume) {
                next[k] = resume < n ? memchr(in + resume, bytes[k], (size_t)(n - resume))
                                     : NULL;
            }
        }
    }
    memcpy(out + o, in + run, (size_t)(n - run));
    return o + (n - run);
}

/* A tuple of its own of seq's items, not the caller's list: it keeps every item alive
   while the GIL is released, whatever another thread does to that list. NULL with an
   exception set on error or past MAX_PAIRS items. */
static PyObject *
own_tuple(PyObject *seq, const char *too_many)
{
    PyObject *held = PySequence_Tuple(seq);
    if (held != NULL && PyTuple_GET_SIZE(held) > MAX_PAIRS) {
        PyErr_SetString(PyExc_ValueError, too_many);
        Py_CLEAR(held);
    }
    return held;
}

static PyObject *
replace_literals(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "y*O:replace_literals", &buf, &seq)) {
        return NULL;
    }
    PyObject *held = own_tuple(seq, "replace_literals: at most 64 pairs");
    if (held == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Py_ssize_t npairs = PyTuple_GET_SIZE(held);
    Pair pairs[MAX_PAIRS];
    unsigned char first[256] = {0};
    PyObject *out = NULL;
    for (Py_ssize_t k = 0; k < npairs; k++) {
        PyObject *pair = PyTuple_GET_ITEM(held, k);
        PyObject *marker, *plain;
        if (!PyTuple_Check(pair) || !PyArg_ParseTuple(pair, "SS", &marker, &plain)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "replace_literals: pairs of bytes");
            }
            goto done;
        }
        pairs[k].marker = (const unsigned char *)PyBytes_AS_STRING(marker);
        pairs[k].mlen = PyBytes_GET_SIZE(marker);
        pairs[k].plain = (const unsigned char *)PyBytes_AS_STRING(plain);
        pairs[k].plen = PyBytes_GET_SIZE(plain);
        if (pairs[k].mlen == 0 || pairs[k].plen > pairs[k].mlen) {
            PyErr_SetString(PyExc_ValueError,
                            "replace_literals: empty marker, or plain longer than marker");
            goto done;
        }
        if (!first[pairs[k].marker[0]]) {
            first[pairs[k].marker[0]] = (unsigned char)(k + 1);
        }
    }
    out = PyBytes_FromStringAndSize(NULL, buf.len);
    if (out == NULL) {
        goto done;
    }
    Py_ssize_t n;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    n = replace_pass((const unsigned char *)buf.buf, buf.len, dst, pairs, npairs, first);
    Py_END_ALLOW_THREADS
    if (n != PyBytes_GET_SIZE(out) && _PyBytes_Resize(&out, n) < 0) {
        out = NULL;
    }
done:
    Py_DECREF(held);
    PyBuffer_Release(&buf);
    return out;
}

/* The mask of literals present, or -1 past budget hops. want[c]: the literals starting
 * with byte c. */
static long long
present_pass(const unsigned char *in, Py_ssize_t n, const Pair *lits, const uint64_t *want,
             Py_ssize_t budget)
{
    uint64_t found = 0;
    Py_ssize_t hops = 0;
    for (int c = 0; c < 256; c++) {
        const unsigned char *p = in, *end = in + n;
        while (want[c] & ~found) {
            const unsigned char *q = p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
            if (q == NULL) {
                break;
            }
            if (++hops > budget) {
                return -1;
            }
            uint64_t todo = want[c] & ~found;
            for (int k = 0; todo; k++, todo >>= 1) {
                if ((todo & 1) && lits[k].mlen <= end - q
                        && memcmp(q, lits[k].marker, (size_t)lits[k].mlen) == 0) {
                    found |= (uint64_t)1 << k;
                }
            }
            p = q + 1;
        }
    }
    return (long long)found;
}

static PyObject *
present_literals(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *seq;
    Py_ssize_t budget;
    if (!PyArg_ParseTuple(args, "y*On:present_literals", &buf, &seq, &budget)) {
        return NULL;
    }
    PyObject *held = own_tuple(seq, "present_literals: at most 64 literals");
    if (held == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Py_ssize_t nlits = PyTuple_GET_SIZE(held);
    Pair lits[MAX_PAIRS];
    uint64_t want[256] = {0};
    PyObject *out = NULL;
    for (Py_ssize_t k = 0; k < nlits; k++) {
        PyObject *lit = PyTuple_GET_ITEM(held, k);
        if (!PyBytes_Check(lit) || PyBytes_GET_SIZE(lit) == 0) {
            PyErr_SetString(PyExc_TypeError, "present_literals: non-empty bytes literals");
            goto done;
        }
        lits[k].marker = (const unsigned char *)PyBytes_AS_STRING(lit);
        lits[k].mlen = PyBytes_GET_SIZE(lit);
        want[lits[k].marker[0]] |= (uint64_t)1 << k;
    }
    long long found;
    Py_BEGIN_ALLOW_THREADS
    found = present_pass((const unsigned char *)buf.buf, buf.len, lits, want, budget);
    Py_END_ALLOW_THREADS
    if (found < 0) {
        out = Py_NewRef(Py_None);
    }
    else {
        out = PyLong_FromUnsignedLongLong((unsigned long long)found);
    }
done:
    Py_DECREF(held);
    PyBuffer_Release(&buf);
    return out;
}

static int
fence_tag(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || c == '_' || c == '+' || c == '-';
}

/* Whether line p[0:n] is what kb_engine.fences._FENCE_LINE matches (^\s*```[\w+-]*\s*$ on
   its text): 1 yes, 0 no, -1 when a byte past ASCII stands where only str's Unicode
   classes can tell (the caller's Python decides those). */
static int
fence_line(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int unsure = 0;
    while (i < n && (ascii_blank(p[i]) || p[i] >= 0x80)) {
        unsure |= p[i] >= 0x80;
        i++;
    }
    if (n - i < 3 || memcmp(p + i, "```", 3) != 0) {
        return 0;  /* an ASCII byte other than a blank comes before the first fence */
    }
    for (i += 3; i < n && (fence_tag(p[i]) || p[i] >= 0x80); i++) {
        unsure |= p[i] >= 0x80;
    }
    for (; i < n && (ascii_blank(p[i]) || p[i] >= 0x80); i++) {
        unsure |= p[i] >= 0x80;
    }
    if (i < n) {
        return 0;  /* an ASCII byte neither blank nor of the tag, after them */
    }
    return unsure ? -1 : 1;
}

/* The first "```" in p[0:n], or NULL (memmem is not everywhere). */
static const unsigned char *
find_fence(const unsigned char *p, Py_ssize_t n)
{
    const unsigned char *end = p + n;
    while (end - p >= 3) {
        const unsigned char *b = memchr(p, '`', (size_t)(end - p - 2));
        if (b == NULL) {
            return NULL;
        }
        if (b[1] == '`' && b[2] == '`') {
            return b;
        }
        p = b + 1;
    }
    return NULL;
}

/* strip_fences(data, is_fence_line) -> bytes: see the module comment. */
static PyObject *
strip_fences(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *decide;
    if (!PyArg_ParseTuple(args, "y*O:strip_fences", &buf, &decide)) {
        return NULL;
    }
    if (!PyCallable_Check(decide)) {
        PyBuffer_Release(&buf);
        return PyErr_Format(PyExc_TypeError, "strip_fences: is_fence_line must be callable");
    }
    const unsigned char *in = buf.buf;
    Py_ssize_t size = buf.len, pos = 0, w = 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    while (pos < size) {
        const unsigned char *f = find_fence(in + pos, size - pos);
        if (f == NULL) {
            break;
        }
        Py_ssize_t at = f - in, ls = at, le;
        while (ls > pos && in[ls - 1] != '\n') {
            ls--;
        }
        const unsigned char *nl = memchr(in + at, '\n', (size_t)(size - at));
        le = nl == NULL ? size : nl - in;
        memcpy(dst + w, in + pos, (size_t)(ls - pos));  /* the lines before, as they are */
        w += ls - pos;
        int verdict = fence_line(in + ls, le - ls);
        if (verdict < 0) {
            PyObject *line = PyBytes_FromStringAndSize((const char *)in + ls, le - ls);
            PyObject *got = line == NULL ? NULL : PyObject_CallOneArg(decide, line);
            Py_XDECREF(line);
            verdict = got == NULL ? -1 : PyObject_IsTrue(got);
            Py_XDECREF(got);
            if (verdict < 0) {
                Py_DECREF(out);
                PyBuffer_Release(&buf);
                return NULL;
            }
        }
        if (!verdict) {  /* the line without its fences */
            Py_ssize_t i = ls;
            while (i < le) {
                const unsigned char *g = find_fence(in + i, le - i);
                Py_ssize_t stop = g == NULL ? le : g - in;
                memcpy(dst + w, in + i, (size_t)(stop - i));
                w += stop - i;
                i = g == NULL ? le : stop + 3;
            }
        }
        pos = le;  /* its newline goes with what follows */
    }
    memcpy(dst + w, in + pos, (size_t)(size - pos));
    w += size - pos;
    PyBuffer_Release(&buf);
    if (_PyBytes_Resize(&out, w) < 0) {
        return NULL;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"newlines", newlines, METH_VARARGS, "data.count(b'\\n', start, end), vectorised."},
    {"strip_cr_ansi", strip_cr_ansi, METH_VARARGS,
     "CRs made LFs, then ANSI escapes removed, as kb_engine.cleanup's reference does."},
    {"replace_literals", replace_literals, METH_VARARGS,
     "Every (marker, plain) pair replaced in one left-to-right pass."},
    {"present_literals", present_literals, METH_VARARGS,
     "Which literals occur, as a bit mask; None past the budget of memchr hops."},
    {"strip_fences", strip_fences, METH_VARARGS,
     "Fence lines made empty, other fences cut out, as kb_engine.fences does."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "kb_engine._speedups", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
