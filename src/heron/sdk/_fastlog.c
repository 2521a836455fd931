/* heron.sdk._fastlog: Run.log's known-shape fast path, compiled (issue 19).
 *
 * A run holds a Logger(run._lock, run._shapes, run._writer); ``logger(run, data,
 * step, now_func)`` does what run.py's pure-Python fast path does, in one call:
 *
 *   under the GIL, with no thread holding run._lock (see Locking):
 *       if run._closed: -> not handled
 *       step = run._step if step is None else step   (an exact int, else not handled)
 *       now = now_func()                              (time.time: the clock, read here)
 *       write, need = run._shapes[tuple(data)]        (a Shape, else not handled)
 *       off = writer.off
 *       if off + need < writer.end and every value has its shape's type:
 *           pack the SCALAR records into writer.mm at off
 *           writer.off = off + need; run._step = step + 1
 *           -> handled
 *
 * The lookup in run._shapes is skipped when data's keys are the very objects of the
 * last call handled (a loop's dict literal) and no shape was added or removed since;
 * a shape stays right for its keys anyway (a key's id never changes in a run, and the
 * values' types are checked at every call).
 *
 * "Not handled" (False) means nothing was written or changed: Run.log then does the
 * call in Python (new keys, conversions, rotation, bad input, a closed run). The
 * bytes are those of ``struct.Struct("<dqdI3xB" * n).pack_into``: each value goes
 * through PyFloat_AsDouble exactly as struct's 'd' does (so int, bool and numpy's
 * real scalars read the same; an int too large for a float64 is "not handled" and
 * the Python path raises its usual error), the step through PyLong_AsLongLong (out
 * of int64: not handled), pad bytes zero, and each record's kind byte is stored last
 * (a release store: a reader never sees a kind byte before its record's fields).
 * The records are in the shared map before the call returns, as with pack_into:
 * kill -9 after ``log`` returned loses none of them (the page cache has them).
 *
 * Locking: the GIL, and the run's lock as a flag. The Python path writes under the
 * run's lock (``with self._lock``), and so do the other threads that write into the
 * spool (console capture, the system sampler, ``record``, the shipper's prefault).
 * Taking that lock costs two calls through lock.acquire's argument parsing and the
 * semaphore (about 2 us with the caches cold after a training step: most of what
 * this module saves), so the call does not take it. Instead, holding the GIL, it
 * checks ``lock.locked()`` and falls back to the Python path (which waits on the
 * lock) when a thread holds it: such a thread may be in the middle of a write,
 * between reading ``writer.off`` and advancing it, and only lost the GIL. When no
 * thread holds it, no other thread can start a write before this call returns,
 * because from that check until ``writer.off`` and ``run._step`` are updated the
 * call runs no Python code, allocates no object the cyclic GC tracks (a collection
 * could run a finalizer's Python code) and never releases the GIL: everything that
 * could (the shape lookup, the time, the values' conversions) happens before the
 * check. A thread woken inside ``acquire`` holds the lock's semaphore before the
 * lock's flag says so, but it needs the GIL before it can touch the writer, and gets
 * it only after this call. So the write is atomic with respect to every other
 * Python thread, as under the lock. A build without the GIL (Py_GIL_DISABLED) does
 * not import this module: run.log stays in pure Python there.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define SLOT 32
#define KIND_SCALAR 1
#define MAX_KEYS 64 /* run.py's MAX_SHAPE_KEYS */

static PyObject *s_closed, *s_step, *s_mm, *s_off, *s_end, *s_locked;

/* -- a shape: the key ids of a call's keys (in order) and its values' types -- */

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    PyObject *types;   /* tuple of n types */
    uint32_t ids[MAX_KEYS];
    vectorcallfunc vectorcall;
} Shape;

static PyTypeObject ShapeType;
static PyObject *Shape_call(PyObject *, PyObject *const *, size_t, PyObject *);

static void store_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void store_le32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t double_bits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static void commit_kind(unsigned char *p) {
#if defined(__GNUC__) || defined(__clang__)
    __atomic_store_n(p, (unsigned char)KIND_SCALAR, __ATOMIC_RELEASE);
#else
    *(volatile unsigned char *)p = KIND_SCALAR;
#endif
}

/* The values as doubles when each has its shape's type (0), else 1 (no error set). */
static int convert(Shape *shape, PyObject *const *values, double *out) {
    for (Py_ssize_t i = 0; i < shape->n; i++) {
        PyObject *v = values[i];
        if ((PyObject *)Py_TYPE(v) != PyTuple_GET_ITEM(shape->types, i)) return 1;
        double x = PyFloat_CheckExact(v) ? PyFloat_AS_DOUBLE(v) : PyFloat_AsDouble(v);
        if (x == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return 1;
        }
        out[i] = x;
    }
    return 0;
}

/* Pack the records into mm at off when off + n slots < end (0), else 1 (no error).
 * -1 with an error set when mm has no writable buffer of that size. */
static int pack(Shape *shape, PyObject *mm, Py_ssize_t off, Py_ssize_t end,
                const double *values, long long step, double now) {
    Py_ssize_t need = SLOT * shape->n;
    if (off < 0 || off + need >= end) return 1;
    Py_buffer view;
    if (PyObject_GetBuffer(mm, &view, PyBUF_WRITABLE) < 0) return -1;
    if (off + need > view.len) {
        PyBuffer_Release(&view);
        return 1;
    }
    unsigned char *p = (unsigned char *)view.buf + off;
    uint64_t step_bits = (uint64_t)step, now_bits = double_bits(now);
    for (Py_ssize_t i = 0; i < shape->n; i++, p += SLOT) {
        unsigned char rec[SLOT - 1];
        store_le64(rec, double_bits(values[i]));
        store_le64(rec + 8, step_bits);
        store_le64(rec + 16, now_bits);
        store_le32(rec + 24, shape->ids[i]);
        rec[28] = rec[29] = rec[30] = 0;
        memcpy(p, rec, SLOT - 1);
        commit_kind(p + SLOT - 1);
    }
    PyBuffer_Release(&view);
    return 0;
}

static int as_offset(PyObject *obj, Py_ssize_t *out) {
    if (!PyLong_CheckExact(obj)) return 1;
    *out = PyLong_AsSsize_t(obj);
    if (*out == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 1;
    }
    return 0;
}

/* Shape(key_ids, types) */
static PyObject *Shape_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *ids, *types;
    if (!PyArg_ParseTuple(args, "O!O!:Shape", &PyTuple_Type, &ids, &PyTuple_Type, &types))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(ids);
    if (n < 1 || n > MAX_KEYS || PyTuple_GET_SIZE(types) != n) {
        PyErr_Format(PyExc_ValueError, "a shape has 1 to %d keys and one type per key", MAX_KEYS);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyType_Check(PyTuple_GET_ITEM(types, i))) {
            PyErr_SetString(PyExc_TypeError, "a shape's types are types");
            return NULL;
        }
    }
    Shape *self = (Shape *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->n = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long id = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(ids, i));
        if ((id == (unsigned long)-1 && PyErr_Occurred()) || id > UINT32_MAX) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_OverflowError, "a key id is a u32");
            Py_DECREF(self);
            return NULL;
        }
        self->ids[i] = (uint32_t)id;
    }
    Py_INCREF(types);
    self->types = types;
    self->vectorcall = Shape_call;
    return (PyObject *)self;
}

static void Shape_dealloc(Shape *self) {
    Py_XDECREF(self->types);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* write(mm, off, step, now, values) -> bool: run.py's shape-writer signature (the
 * Python fast path's call, for mappings other than a plain dict). */
static PyObject *Shape_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames) {
    Shape *self = (Shape *)obj;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 5 || (kwnames && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "write(mm, off, step, now, values)");
        return NULL;
    }
    Py_ssize_t off;
    long long step;
    double now, values[MAX_KEYS];
    if (as_offset(args[1], &off) || !PyLong_Check(args[2])) Py_RETURN_FALSE;
    step = PyLong_AsLongLong(args[2]);
    if (step == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    now = PyFloat_AsDouble(args[3]);
    if (now == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    PyObject *seq = PySequence_Fast(args[4], "values");
    if (seq == NULL) return NULL;
    int no = PySequence_Fast_GET_SIZE(seq) != self->n ||
             convert(self, PySequence_Fast_ITEMS(seq), values);
    Py_DECREF(seq);
    if (no) Py_RETURN_FALSE;
    /* the caller checked off + need < end; the buffer's length bounds it here */
    int r = pack(self, args[0], off, PY_SSIZE_T_MAX, values, step, now);
    if (r < 0) return NULL;
    return PyBool_FromLong(r == 0);
}

static PyObject *Shape_get_n(Shape *self, void *closure) { return PyLong_FromSsize_t(self->n); }

static PyGetSetDef Shape_getset[] = {
    {"size", (getter)Shape_get_n, NULL, "how many keys", NULL},
    {NULL},
};

static PyTypeObject ShapeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heron.sdk._fastlog.Shape",
    .tp_basicsize = sizeof(Shape),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Shape(key_ids, types): writes the SCALAR records of a call of this shape.",
    .tp_new = Shape_new,
    .tp_dealloc = (destructor)Shape_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Shape, vectorcall),
    .tp_getset = Shape_getset,
};

/* -- Logger(lock, shapes, writer): a run's log(run, data, step, now_func) -> bool -- */

/* What a run's calls need and never changes for the run: its lock's bound
 * ``locked``, its shapes (the dict run._shapes) and its spool writer; and the shape
 * of the last call handled, with the keys it was found for (compared by identity:
 * a loop's dict literal gives the same key objects every time). */
typedef struct {
    PyObject_HEAD
    PyObject *locked, *shapes, *writer;
    PyObject *last_keys; /* tuple, or NULL */
    Shape *last_shape;   /* or NULL */
    Py_ssize_t last_count; /* len(shapes) when last_shape was found there */
    vectorcallfunc vectorcall;
} Logger;

static PyTypeObject LoggerType;
static PyObject *Logger_call(PyObject *, PyObject *const *, size_t, PyObject *);

static PyObject *Logger_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *lock, *shapes, *writer;
    if (!PyArg_ParseTuple(args, "OO!O:Logger", &lock, &PyDict_Type, &shapes, &writer))
        return NULL;
    if (!PyDict_CheckExact(shapes)) {
        PyErr_SetString(PyExc_TypeError, "a run's shapes are a dict");
        return NULL;
    }
    Logger *self = (Logger *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->vectorcall = Logger_call;
    if ((self->locked = PyObject_GetAttr(lock, s_locked)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(shapes);
    self->shapes = shapes;
    Py_INCREF(writer);
    self->writer = writer;
    return (PyObject *)self;
}

static int Logger_traverse(Logger *self, visitproc visit, void *arg) {
    Py_VISIT(self->locked);
    Py_VISIT(self->shapes);
    Py_VISIT(self->writer);
    Py_VISIT(self->last_keys);
    Py_VISIT(self->last_shape);
    return 0;
}

static int Logger_clear(Logger *self) {
    Py_CLEAR(self->locked);
    Py_CLEAR(self->shapes);
    Py_CLEAR(self->writer);
    Py_CLEAR(self->last_keys);
    Py_CLEAR(self->last_shape);
    return 0;
}

static void Logger_dealloc(Logger *self) {
    PyObject_GC_UnTrack(self);
    Logger_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The Shape for data's keys (a new reference), or NULL: none, or not a Shape (no
 * error set unless one was raised, e.g. by a key's __hash__). */
static Shape *find_shape(Logger *self, PyObject *data) {
    Py_ssize_t n = PyDict_GET_SIZE(data), pos = 0, i = 0;
    PyObject *key, *value;
    PyObject *last = self->last_keys;
    if (last != NULL && PyTuple_GET_SIZE(last) == n &&
        PyDict_GET_SIZE(self->shapes) == self->last_count) {
        /* the same keys as the last call (and no shape added or removed since) */
        int same = 1;
        while (same && PyDict_Next(data, &pos, &key, &value)) {
            same = key == PyTuple_GET_ITEM(last, i++);
        }
        if (same) {
            Py_INCREF(self->last_shape);
            return self->last_shape;
        }
        pos = 0;
        i = 0;
    }
    PyObject *keys = PyTuple_New(n);
    if (keys == NULL) return NULL;
    while (PyDict_Next(data, &pos, &key, &value)) {
        Py_INCREF(key);
        PyTuple_SET_ITEM(keys, i++, key);
    }
    PyObject *entry = PyDict_GetItemWithError(self->shapes, keys);
    if (entry == NULL || !PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) < 1 ||
        Py_TYPE(PyTuple_GET_ITEM(entry, 0)) != &ShapeType ||
        ((Shape *)PyTuple_GET_ITEM(entry, 0))->n != n) {
        Py_DECREF(keys);
        return NULL;
    }
    Shape *shape = (Shape *)PyTuple_GET_ITEM(entry, 0);
    Py_XSETREF(self->last_keys, keys);
    Py_INCREF(shape);
    Py_XSETREF(self->last_shape, shape);
    self->last_count = PyDict_GET_SIZE(self->shapes);
    Py_INCREF(shape);
    return shape;
}

/* time.time() without the call when now_func is time.time (run.py's _now unless a
 * test replaced it): CLOCK_REALTIME in nanoseconds, made a float as CPython's
 * _PyTime_AsSecondsDouble does, so the value is the one time.time() would return.
 * 0 when now_func is something else (or the clock fails): call it. */
static PyObject *time_time; /* the time module's time(), or NULL */

static int system_time(PyObject *now_func, double *out) {
#if defined(CLOCK_REALTIME) && defined(__linux__)
    struct timespec ts;
    if (now_func != time_time || time_time == NULL || clock_gettime(CLOCK_REALTIME, &ts))
        return 0;
    long long t = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (t % 1000000000LL == 0) {
        *out = (double)(t / 1000000000LL);
    } else {
        double d = (double)t;
        *out = d / 1e9;
    }
    return 1;
#else
    return 0;
#endif
}

/* logger(run, data, step, now_func) -> bool: 1 handled, 0 not, -1 error.
 *
 * First what may run Python code or allocate objects the cyclic GC tracks (and so
 * run finalizers): the shape lookup, the step given, the time, the values. Then the
 * critical section: from the check that no thread holds the run's lock to the update
 * of writer.off and run._step, nothing here runs Python code, allocates a GC-tracked
 * object or releases the GIL (attribute reads and writes of plain instance
 * attributes, ints, the mmap's buffer, memory stores), so no other Python thread
 * runs in between (module doc). */
static int log_call(Logger *self, PyObject *run, PyObject *data, PyObject *step_arg,
                    PyObject *now_func) {
    int result = -1;
    PyObject *now_obj = NULL, *is_locked = NULL, *closed = NULL, *step = NULL;
    PyObject *off_obj = NULL, *end_obj = NULL, *mm = NULL, *new_off = NULL;
    PyObject *new_step = NULL;
    Shape *shape = NULL;
    PyObject *writer = self->writer;
    long long step_value = 0;

    if ((shape = find_shape(self, data)) == NULL) {
        if (PyErr_Occurred()) goto done;
        goto no;
    }
    if (step_arg != Py_None) {
        if (!PyLong_CheckExact(step_arg)) goto no; /* to_step converts: the Python path */
        step_value = PyLong_AsLongLong(step_arg);
        if (step_value == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            goto no; /* outside int64: the Python path says so */
        }
    }
    double values[MAX_KEYS];
    PyObject *items[MAX_KEYS];
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (i < shape->n && PyDict_Next(data, &pos, &key, &value)) items[i++] = value;
    for (Py_ssize_t j = 0; j < i; j++) Py_INCREF(items[j]); /* __float__ may run code */
    int no_values = i != shape->n || convert(shape, items, values);
    for (Py_ssize_t j = 0; j < i; j++) Py_DECREF(items[j]);
    if (no_values) goto no;
    double now;
    if (!system_time(now_func, &now)) {
        if ((now_obj = PyObject_CallNoArgs(now_func)) == NULL) goto done;
        now = PyFloat_AsDouble(now_obj);
        if (now == -1.0 && PyErr_Occurred()) goto done;
    }

    /* -- the critical section -- */
    if ((is_locked = PyObject_CallNoArgs(self->locked)) == NULL) goto done;
    if (is_locked != Py_False) goto no; /* a thread is in the middle of a write: wait */
    if ((closed = PyObject_GetAttr(run, s_closed)) == NULL) goto done;
    if (closed != Py_False) goto no; /* finished (or not a bool): the Python path */
    if (step_arg == Py_None) {
        if ((step = PyObject_GetAttr(run, s_step)) == NULL) goto done;
        if (!PyLong_CheckExact(step)) goto no;
        step_value = PyLong_AsLongLong(step);
        if (step_value == -1 && PyErr_Occurred()) {
            PyErr_Clear(); /* (an OverflowError: allocated, but nothing is written) */
            goto no;
        }
    } else {
        Py_INCREF(step_arg);
        step = step_arg;
    }
    Py_ssize_t off, end;
    if ((off_obj = PyObject_GetAttr(writer, s_off)) == NULL ||
        (end_obj = PyObject_GetAttr(writer, s_end)) == NULL ||
        (mm = PyObject_GetAttr(writer, s_mm)) == NULL)
        goto done;
    if (as_offset(off_obj, &off) || as_offset(end_obj, &end)) goto no;
    int packed = pack(shape, mm, off, end, values, step_value, now);
    if (packed < 0) goto done;
    if (packed > 0) goto no; /* no room: rotate in Python */
    /* written: the offset and the step move on (a failure here leaves the records
     * uncounted, as an exception in the Python path would) */
    if ((new_off = PyLong_FromSsize_t(off + SLOT * shape->n)) == NULL) goto done;
    if (PyObject_SetAttr(writer, s_off, new_off) < 0) goto done;
    if (step_value < INT64_MAX) {
        new_step = PyLong_FromLongLong(step_value + 1);
    } else { /* the Python path's step + 1: 2**63, refused at the next call */
        PyObject *one = PyLong_FromLong(1);
        new_step = one == NULL ? NULL : PyNumber_Add(step, one);
        Py_XDECREF(one);
    }
    if (new_step == NULL || PyObject_SetAttr(run, s_step, new_step) < 0) goto done;
    result = 1;
    goto done;
no:
    result = 0;
done:
    Py_XDECREF(shape);
    Py_XDECREF(now_obj);
    Py_XDECREF(is_locked);
    Py_XDECREF(closed);
    Py_XDECREF(step);
    Py_XDECREF(off_obj);
    Py_XDECREF(end_obj);
    Py_XDECREF(mm);
    Py_XDECREF(new_off);
    Py_XDECREF(new_step);
    return result;
}

/* logger(run, data, step, now_func) -> bool */
static PyObject *Logger_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                             PyObject *kwnames) {
    Logger *self = (Logger *)obj;
    if (PyVectorcall_NARGS(nargsf) != 4 || (kwnames && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "logger(run, data, step, now_func)");
        return NULL;
    }
    PyObject *data = args[1];
    /* a plain dict of 1 to MAX_KEYS items (anything else: the Python path) */
    if (!PyDict_CheckExact(data)) Py_RETURN_FALSE;
    Py_ssize_t n = PyDict_GET_SIZE(data);
    if (n < 1 || n > MAX_KEYS || self->locked == NULL) Py_RETURN_FALSE;
    int handled = log_call(self, args[0], data, args[2], args[3]);
    if (handled < 0) return NULL;
    return PyBool_FromLong(handled);
}

static PyTypeObject LoggerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heron.sdk._fastlog.Logger",
    .tp_basicsize = sizeof(Logger),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Logger(lock, shapes, writer): a run's known-shape fast path. "
              "logger(run, data, step, now_func) -> bool: False when nothing was "
              "written (the Python path does the call, under the lock).",
    .tp_new = Logger_new,
    .tp_dealloc = (destructor)Logger_dealloc,
    .tp_traverse = (traverseproc)Logger_traverse,
    .tp_clear = (inquiry)Logger_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Logger, vectorcall),
};

static PyMethodDef methods[] = {
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "heron.sdk._fastlog",
    .m_doc = "Run.log's known-shape fast path, compiled (see heron/sdk/run.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__fastlog(void) {
#ifdef Py_GIL_DISABLED
    /* the critical section relies on the GIL (module doc): pure Python there */
    PyErr_SetString(PyExc_ImportError, "heron.sdk._fastlog needs the GIL");
    return NULL;
#endif
    struct {
        PyObject **slot;
        const char *name;
    } names[] = {
        {&s_closed, "_closed"}, {&s_step, "_step"},       {&s_mm, "mm"},
        {&s_off, "off"},        {&s_end, "end"},          {&s_locked, "locked"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL && (*names[i].slot = PyUnicode_InternFromString(names[i].name)) == NULL)
            return NULL;
    }
    if (PyType_Ready(&ShapeType) < 0 || PyType_Ready(&LoggerType) < 0) return NULL;
    if (time_time == NULL) {
        PyObject *time_module = PyImport_ImportModule("time");
        if (time_module == NULL) return NULL;
        time_time = PyObject_GetAttrString(time_module, "time");
        Py_DECREF(time_module);
        if (time_time == NULL) return NULL;
    }
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    Py_INCREF(&ShapeType);
    if (PyModule_AddObject(m, "Shape", (PyObject *)&ShapeType) < 0) {
        Py_DECREF(&ShapeType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&LoggerType);
    if (PyModule_AddObject(m, "Logger", (PyObject *)&LoggerType) < 0) {
        Py_DECREF(&LoggerType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "MAX_KEYS", MAX_KEYS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
