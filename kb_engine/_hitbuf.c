/* The prefilter's Hyperscan match callback, and the numbering of its hits (kb_engine.hitbuf).
 *
 * HitBuffer(budget)
 *     A callable for hyperscan's match_event_handler. Each call (id, from, to, flags,
 *     context) keeps (to, id) and answers True, which stops the scan, once more than
 *     budget are kept. A Python callback costs a frame per match, and a match-dense
 *     window (a crash loop printing one traceback per request) has tens of thousands.
 *
 * HitBuffer.number(window, ids_of, cands, line0, start, end=None) -> int
 *     kb_engine.hitbuf.numbered over the kept hits: sorted by (to, id), each hit's line
 *     found by counting newlines from the previous hit, and every probe of ids_of[id]
 *     given that line in cands (probe -> {line: offset}) unless it has it already, the
 *     offset being max(to - 1, 0) from the window's start. Returns the number of lines of
 *     window[start:end]. A hit on the same entry and line as the one before it is skipped:
 *     it would record nothing new.
 *
 * Tests compare both with the Python they replace (tests/engine/test_speedups.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include "newlines.h"

typedef struct {
    unsigned long long to;
    unsigned long idx;
} Hit;

typedef struct {
    PyObject_HEAD
    Hit *hits;
    Py_ssize_t n, cap, budget;
} HitBuffer;

static PyObject *
hitbuffer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t budget;
    static char *kwlist[] = {"budget", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n:HitBuffer", kwlist, &budget)) {
        return NULL;
    }
    HitBuffer *self = (HitBuffer *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->budget = budget;
    }
    return (PyObject *)self;
}

static void
hitbuffer_dealloc(HitBuffer *self)
{
    PyMem_Free(self->hits);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
hitbuffer_call(HitBuffer *self, PyObject *args, PyObject *kwargs)
{
    if (kwargs != NULL || PyTuple_GET_SIZE(args) != 5) {
        PyErr_SetString(PyExc_TypeError, "HitBuffer takes (id, from, to, flags, context)");
        return NULL;
    }
    unsigned long idx = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(args, 0));
    if (idx == (unsigned long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    unsigned long long to = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(args, 2));
    if (to == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (self->n == self->cap) {
        Py_ssize_t cap = self->cap ? self->cap * 2 : 256;
        Hit *grown = PyMem_Realloc(self->hits, (size_t)cap * sizeof(Hit));
        if (grown == NULL) {
            return PyErr_NoMemory();
        }
        self->hits = grown;
        self->cap = cap;
    }
    self->hits[self->n].to = to;
    self->hits[self->n].idx = idx;
    self->n++;
    return PyBool_FromLong(self->n > self->budget);
}

static Py_ssize_t
hitbuffer_len(HitBuffer *self)
{
    return self->n;
}

static int
by_end_then_id(const void *a, const void *b)
{
    const Hit *x = a, *y = b;
    if (x->to != y->to) {
        return x->to < y->to ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* data.count(b"\n", start, end) for 0 <= start, as bytes.count clamps its bounds */
static Py_ssize_t
count_between(const unsigned char *data, Py_ssize_t len, Py_ssize_t start, Py_ssize_t end)
{
    if (end > len) {
        end = len;
    }
    return end > start ? count_newlines(data + start, end - start) : 0;
}

/* cands[pid].setdefault(line, offset) for each pid of ids; 0, or -1 with an exception */
static int
record(PyObject *cands, PyObject *ids, PyObject *line, Py_ssize_t offset)
{
    PyObject *seq = PySequence_Fast(ids, "ids_of items must be sequences");
    if (seq == NULL) {
        return -1;
    }
    PyObject *off = NULL;
    int rc = -1;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        PyObject *pid = PySequence_Fast_GET_ITEM(seq, k);
        PyObject *got = PyDict_GetItemWithError(cands, pid);
        if (got == NULL && PyErr_Occurred()) {
            goto done;
        }
        if (got != NULL && !PyDict_Check(got)) {
            PyErr_SetString(PyExc_TypeError, "cands values must be dicts");
            goto done;
        }
        if (got != NULL) {
            int has = PyDict_Contains(got, line);
            if (has < 0) {
                goto done;
            }
            if (has) {
                continue;
            }
        }
        if (off == NULL && (off = PyLong_FromSsize_t(offset)) == NULL) {
            goto done;
        }
        if (got != NULL) {
            if (PyDict_SetItem(got, line, off) < 0) {
                goto done;
            }
            continue;
        }
        PyObject *fresh = PyDict_New();
        if (fresh == NULL || PyDict_SetItem(fresh, line, off) < 0
                || PyDict_SetItem(cands, pid, fresh) < 0) {
            Py_XDECREF(fresh);
            goto done;
        }
        Py_DECREF(fresh);
    }
    rc = 0;
done:
    Py_XDECREF(off);
    Py_DECREF(seq);
    return rc;
}

static PyObject *
hitbuffer_number(HitBuffer *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *ids_of, *cands, *end_obj = Py_None, *line_obj = NULL, *out = NULL;
    Py_ssize_t line0, start, end;
    if (!PyArg_ParseTuple(args, "y*OO!nn|O:number", &buf, &ids_of, &PyDict_Type, &cands,
                          &line0, &start, &end_obj)) {
        return NULL;
    }
    end = buf.len;
    if (end_obj != Py_None && (end = PyLong_AsSsize_t(end_obj)) == -1 && PyErr_Occurred()) {
        goto done;
    }
    if (start < 0) {
        PyErr_SetString(PyExc_ValueError, "start must not be negative");
        goto done;
    }
    for (Py_ssize_t i = 1; i < self->n; i++) {
        if (by_end_then_id(&self->hits[i - 1], &self->hits[i]) > 0) {
            qsort(self->hits, (size_t)self->n, sizeof(Hit), by_end_then_id);
            break;
        }
    }
    const unsigned char *data = buf.buf;
    Py_ssize_t line = line0, prev = start, last_line = -1;
    unsigned long last_idx = 0;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Hit h = self->hits[i];
        if (h.to > (unsigned long long)(PY_SSIZE_T_MAX - start)) {
            PyErr_SetString(PyExc_OverflowError, "hit offset out of range");
            goto done;
        }
        Py_ssize_t to = (Py_ssize_t)h.to + start;
        line += count_between(data, buf.len, prev, to);
        prev = to;
        if (line == last_line && h.idx == last_idx) {
            continue;
        }
        if (line != last_line) {
            Py_XDECREF(line_obj);
            if ((line_obj = PyLong_FromSsize_t(line)) == NULL) {
                goto done;
            }
        }
        last_line = line;
        last_idx = h.idx;
        PyObject *ids = PySequence_GetItem(ids_of, (Py_ssize_t)h.idx);
        if (ids == NULL) {
            goto done;
        }
        int rc = record(cands, ids, line_obj, to > 0 ? to - 1 : 0);
        Py_DECREF(ids);
        if (rc < 0) {
            goto done;
        }
    }
    out = PyLong_FromSsize_t(line - line0 + count_between(data, buf.len, prev, end) + 1);
done:
    Py_XDECREF(line_obj);
    PyBuffer_Release(&buf);
    return out;
}

static PyMethodDef hitbuffer_methods[] = {
    {"number", (PyCFunction)hitbuffer_number, METH_VARARGS,
     "Record the kept hits' lines in cands; the number of lines of window[start:end]."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods hitbuffer_as_sequence = {
    .sq_length = (lenfunc)hitbuffer_len,
};

static PyTypeObject HitBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kb_engine._hitbuf.HitBuffer",
    .tp_doc = "Hyperscan match callback keeping (to, id); True past budget stops the scan.",
    .tp_basicsize = sizeof(HitBuffer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = hitbuffer_new,
    .tp_dealloc = (destructor)hitbuffer_dealloc,
    .tp_call = (ternaryfunc)hitbuffer_call,
    .tp_as_sequence = &hitbuffer_as_sequence,
    .tp_methods = hitbuffer_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "kb_engine._hitbuf", NULL, -1, NULL,
};

PyMODINIT_FUNC
PyInit__hitbuf(void)
{
    if (PyType_Ready(&HitBufferType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "HitBuffer", (PyObject *)&HitBufferType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
