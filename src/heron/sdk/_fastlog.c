/* heron.sdk._fastlog: Run.log's known-shape fast path, compiled (issue 19).
 *
 * A run on this path has a Logger as its ``log`` (an instance attribute over the
 * class's Python ``Run.log``): ``run.log(data, step=None)`` is one C call, which does
 * what run.py's pure-Python fast path does:
 *
 *   under the GIL, with the cursor held (see Cursor):
 *       write = run._shapes[tuple(data)]      (a Shape, else declined)
 *       step = cursor.step if step is None else step   (an exact int64, else declined)
 *       now = now_func()                       (time.time: the clock, read here)
 *       if cursor.off + need < cursor.end and every value has its shape's type:
 *           pack the SCALAR records into writer.mm at cursor.off
 *           cursor.off += need; cursor.step = step + 1
 *
 * and anything declined (new keys, conversions, rotation, bad input, a closed run)
 * goes to the Python ``Run.log``, which writes what the fast path writes or raises.
 *
 * The lookup in run._shapes is skipped when data's keys are the very objects of the
 * last call handled (a loop's dict literal) and no shape was added or removed since;
 * a shape stays right for its keys anyway (a key's id never changes in a run, and the
 * values' types are checked at every call).
 *
 * The bytes are those of ``struct.Struct("<dqdI3xB" * n).pack_into``: each value goes
 * through int.__float__ / PyFloat_AsDouble exactly as struct's 'd' does (so int, bool
 * and numpy's real scalars read the same; an int too large for a float64 is declined
 * and the Python path raises its usual error), the step as an int64 (else declined),
 * pad bytes zero, and each record's kind byte is stored last (a release store: a
 * reader never sees a kind byte before its record's fields). The records are in the
 * shared map before the call returns, as with pack_into: kill -9 after ``log``
 * returned loses none of them (the page cache has them).
 *
 * Cursor. What a call reads and moves (the writer's offset and end, the map's buffer,
 * the run's step) lives in the Logger while it holds the cursor, not in the Python
 * objects: reading five attributes through the instance dicts, asking the lock and
 * making two ints cost about 3 us a call with the caches cold after a training step
 * (issue 19), more than the rest of the call. The first call takes the cursor up
 * (from writer.off, writer.end, writer.mm's buffer and run._step, when no thread
 * holds the run's lock and the run is open); every thread that takes the run's lock
 * then has it put back first (``park``: the run's lock is a ParkingLock), so code
 * under the lock sees, and may change, the spool's real state; the next call after
 * the lock is let go takes it up again. ``step`` gives run._step's value while the cursor is
 * held (run.step reads it there).
 *
 * Locking: the GIL, and the run's lock as a flag. The Python path writes under the
 * run's lock, and so do the other threads that write into the spool (console
 * capture, the system sampler, ``record``, the shipper's prefault). A call does not
 * take that lock (two calls through lock.acquire's argument parsing and the
 * semaphore, about 2 us with the caches cold). Holding the cursor means no thread
 * has taken the lock since it was taken up while the lock was free; a thread that
 * takes the lock now parks the cursor before it touches the writer, and until then
 * a call may still write with the cursor (the thread has read nothing yet, and
 * ``park`` puts back what the call moved). From the check of the cursor (or taking it
 * up) to its move, the call runs no Python code, allocates no object the cyclic GC
 * tracks (a collection could run a finalizer's Python code) and never releases the
 * GIL: everything that could (the shape lookup, the time, the values' conversions)
 * happens before. So the write is atomic with respect to every other Python thread,
 * as under the lock. A build without the GIL (Py_GIL_DISABLED) does not import this
 * module: run.log stays in pure Python there. A forked child's run is ``disown``-ed:
 * its Logger declines everything without putting anything back.
 *
 * Relay: a framework logger's ``log_metrics``, in front of a run's Logger (see the
 * type below): one C call from the framework to the spool instead of three Python
 * frames.
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
    vectorcallfunc vectorcall;
    PyObject *types; /* tuple of n types (owns them) */
    struct {
        PyObject *type; /* types[i], here beside its key's id: one cache line for 4 keys */
        uint32_t id;
    } keys[MAX_KEYS];
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
        if ((PyObject *)Py_TYPE(v) != shape->keys[i].type) return 1;
        /* an int as int.__float__ makes it (struct's 'd' calls that), without the float */
        double x = PyFloat_CheckExact(v)  ? PyFloat_AS_DOUBLE(v)
                   : PyLong_CheckExact(v) ? PyLong_AsDouble(v)
                                          : PyFloat_AsDouble(v);
        if (x == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return 1;
        }
        out[i] = x;
    }
    return 0;
}

/* Write the call's records at p (room checked by the caller). */
static void pack_at(Shape *shape, unsigned char *p, const double *values, long long step,
                    double now) {
    uint64_t step_bits = (uint64_t)step, now_bits = double_bits(now);
    for (Py_ssize_t i = 0; i < shape->n; i++, p += SLOT) {
        unsigned char rec[SLOT - 1];
        store_le64(rec, double_bits(values[i]));
        store_le64(rec + 8, step_bits);
        store_le64(rec + 16, now_bits);
        store_le32(rec + 24, shape->keys[i].id);
        rec[28] = rec[29] = rec[30] = 0;
        memcpy(p, rec, SLOT - 1);
        commit_kind(p + SLOT - 1);
    }
}

/* Pack the records into mm at off when they fit in its buffer (0), else 1 (no
 * error); -1 with an error set when mm has no writable buffer. */
static int pack(Shape *shape, PyObject *mm, Py_ssize_t off, const double *values,
                long long step, double now) {
    Py_buffer view;
    if (PyObject_GetBuffer(mm, &view, PyBUF_WRITABLE) < 0) return -1;
    int fits = off >= 0 && off + SLOT * shape->n <= view.len;
    if (fits) pack_at(shape, (unsigned char *)view.buf + off, values, step, now);
    PyBuffer_Release(&view);
    return fits ? 0 : 1;
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
        self->keys[i].id = (uint32_t)id;
        self->keys[i].type = PyTuple_GET_ITEM(types, i);
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
    int r = pack(self, args[0], off, values, step, now);
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

/* -- Logger(run, lock, shapes, writer, python_log, now): a run's ``log`` -- */

/* What a run's calls need: the run (weakly: the run holds its Logger), the lock its
 * writes hold (only asked when the cursor is taken up), its shapes (the dict
 * run._shapes), its spool writer, the Python ``Run.log`` for what is declined, and
 * the clock; the shape of the last call handled, with the keys it was found for
 * (compared by identity: a loop's dict literal gives the same key objects every
 * time); and the cursor while held (module doc, Cursor). */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int held;            /* the cursor below is the truth, not writer.off / run._step */
    int dead;            /* disowned (a forked child): declines everything */
    Py_ssize_t off, end; /* writer.off, writer.end while held */
    long long step;      /* run._step while held */
    unsigned char *buf;  /* view.buf while held */
    Shape *last_shape;   /* or NULL */
    PyObject *last_keys; /* tuple, or NULL */
    Py_ssize_t last_count; /* len(shapes) when last_shape was found there */
    PyObject *run_ref, *locked, *shapes, *writer, *python_log, *now_func;
    Py_buffer view;      /* writer.mm's buffer while held */
} Logger;

static PyTypeObject LoggerType;
static PyObject *Logger_call(PyObject *, PyObject *const *, size_t, PyObject *);

static PyObject *Logger_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *run, *lock, *shapes, *writer, *python_log, *now_func;
    if (!PyArg_ParseTuple(args, "OOO!OOO:Logger", &run, &lock, &PyDict_Type, &shapes, &writer,
                          &python_log, &now_func))
        return NULL;
    if (!PyDict_CheckExact(shapes)) {
        PyErr_SetString(PyExc_TypeError, "a run's shapes are a dict");
        return NULL;
    }
    Logger *self = (Logger *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->vectorcall = Logger_call;
    if ((self->run_ref = PyWeakref_NewRef(run, NULL)) == NULL ||
        (self->locked = PyObject_GetAttr(lock, s_locked)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(shapes);
    self->shapes = shapes;
    Py_INCREF(writer);
    self->writer = writer;
    Py_INCREF(python_log);
    self->python_log = python_log;
    Py_INCREF(now_func);
    self->now_func = now_func;
    return (PyObject *)self;
}

/* Let the cursor go without writing it back (the buffer's export ends). */
static void drop_cursor(Logger *self) {
    if (self->held) {
        self->held = 0;
        self->buf = NULL;
        PyBuffer_Release(&self->view);
    }
}

static int Logger_traverse(Logger *self, visitproc visit, void *arg) {
    Py_VISIT(self->run_ref);
    Py_VISIT(self->locked);
    Py_VISIT(self->shapes);
    Py_VISIT(self->writer);
    Py_VISIT(self->python_log);
    Py_VISIT(self->now_func);
    Py_VISIT(self->last_keys);
    Py_VISIT(self->last_shape);
    if (self->held) Py_VISIT(self->view.obj);
    return 0;
}

static int Logger_clear(Logger *self) {
    drop_cursor(self);
    Py_CLEAR(self->run_ref);
    Py_CLEAR(self->locked);
    Py_CLEAR(self->shapes);
    Py_CLEAR(self->writer);
    Py_CLEAR(self->python_log);
    Py_CLEAR(self->now_func);
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
    if (last != NULL && self->last_shape != NULL && PyTuple_GET_SIZE(last) == n &&
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

/* Take up the cursor: 1 held, 0 not now (a thread holds the lock, the run is closed
 * or gone, a value is not what the fast path writes with), -1 error. Runs no Python
 * code (attribute reads of plain instance attributes, the lock's ``locked``, the
 * map's buffer): part of the critical section. */
static int take_cursor(Logger *self) {
    int result = -1;
    PyObject *is_locked = NULL, *closed = NULL, *step = NULL;
    PyObject *off_obj = NULL, *end_obj = NULL, *mm = NULL;
    PyObject *run = PyWeakref_GetObject(self->run_ref); /* borrowed */
    if (run == NULL) return -1;
    if (run == Py_None) return 0;
    if ((is_locked = PyObject_CallNoArgs(self->locked)) == NULL) goto done;
    if (is_locked != Py_False) goto no; /* a thread is in the middle of a write: wait */
    if ((closed = PyObject_GetAttr(run, s_closed)) == NULL) goto done;
    if (closed != Py_False) goto no; /* finished (or not a bool): the Python path */
    if ((step = PyObject_GetAttr(run, s_step)) == NULL ||
        (off_obj = PyObject_GetAttr(self->writer, s_off)) == NULL ||
        (end_obj = PyObject_GetAttr(self->writer, s_end)) == NULL ||
        (mm = PyObject_GetAttr(self->writer, s_mm)) == NULL)
        goto done;
    Py_ssize_t off, end;
    if (!PyLong_CheckExact(step) || as_offset(off_obj, &off) || as_offset(end_obj, &end)) goto no;
    long long step_value = PyLong_AsLongLong(step);
    if (step_value == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* past int64 (the step after 2**63 - 1): the Python path */
        goto no;
    }
    if (PyObject_GetBuffer(mm, &self->view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear(); /* (a closed map): the Python path says what is wrong */
        goto no;
    }
    if (off < 0 || end > self->view.len) {
        PyBuffer_Release(&self->view);
        goto no;
    }
    self->buf = (unsigned char *)self->view.buf;
    self->off = off;
    self->end = end;
    self->step = step_value;
    self->held = 1;
    result = 1;
    goto done;
no:
    result = 0;
done:
    Py_XDECREF(is_locked);
    Py_XDECREF(closed);
    Py_XDECREF(step);
    Py_XDECREF(off_obj);
    Py_XDECREF(end_obj);
    Py_XDECREF(mm);
    return result;
}

/* The call on the fast path: 1 handled, 0 not (nothing written or changed), -1 error.
 *
 * First what may run Python code or allocate objects the cyclic GC tracks (and so
 * run finalizers): the shape lookup, the step given, the values, the time. Then the
 * critical section: from the check that the cursor is held (or taking it up) to the
 * cursor's move, nothing here runs Python code, allocates a GC-tracked object or
 * releases the GIL, so no other Python thread runs in between (module doc). */
static int log_fast(Logger *self, PyObject *data, PyObject *step_arg) {
    if (self->dead || !PyDict_CheckExact(data)) return 0;
    Py_ssize_t n = PyDict_GET_SIZE(data);
    if (n < 1 || n > MAX_KEYS) return 0;
    Shape *shape = find_shape(self, data);
    if (shape == NULL) return PyErr_Occurred() ? -1 : 0;
    int result = 0;
    long long step_value = 0;
    int given = step_arg != NULL && step_arg != Py_None;
    if (given) {
        if (!PyLong_CheckExact(step_arg)) goto out; /* to_step converts: the Python path */
        step_value = PyLong_AsLongLong(step_arg);
        if (step_value == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            goto out; /* outside int64: the Python path says so */
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
    if (no_values) {
        /* The Python path may now give these keys a shape of these types, in the
         * same slot of run._shapes (its size unchanged): look it up next time. */
        Py_CLEAR(self->last_keys);
        goto out;
    }
    double now;
    if (!system_time(self->now_func, &now)) {
        PyObject *now_obj = PyObject_CallNoArgs(self->now_func);
        if (now_obj == NULL) {
            result = -1;
            goto out;
        }
        now = PyFloat_AsDouble(now_obj);
        Py_DECREF(now_obj);
        if (now == -1.0 && PyErr_Occurred()) {
            result = -1;
            goto out;
        }
    }

    /* -- the critical section -- */
    if (self->dead) goto out; /* (a fork's hook ran in __float__ or the clock) */
    if (!self->held && (result = take_cursor(self)) <= 0) goto out;
    if (!given) step_value = self->step;
    /* the next step must be an int64 too (2**63 is the Python path's to refuse) */
    Py_ssize_t need = SLOT * shape->n;
    if (step_value == INT64_MAX || self->off + need >= self->end) {
        result = 0; /* no room: the Python path rotates */
        goto out;
    }
    pack_at(shape, self->buf + self->off, values, step_value, now);
    self->off += need;
    self->step = step_value + 1;
    result = 1;
out:
    Py_DECREF(shape);
    return result;
}

/* The arguments of a call (first, step=None), either by keyword too (``first`` names
 * the first): 0 with *values and *step set (step None when not given), else -1 with a
 * TypeError that shows ``usage``. */
static int two_arguments(PyObject *const *args, size_t nargsf, PyObject *kwnames,
                         const char *first, const char *usage, PyObject **values,
                         PyObject **step) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *found[2] = {nargs > 0 ? args[0] : NULL, nargs > 1 ? args[1] : NULL};
    int bad = nargs > 2;
    for (Py_ssize_t k = 0; k < nkw && !bad; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int slot = PyUnicode_CompareWithASCIIString(name, first) == 0    ? 0
                   : PyUnicode_CompareWithASCIIString(name, "step") == 0 ? 1
                                                                         : -1;
        bad = slot < 0 || found[slot] != NULL;
        if (!bad) found[slot] = args[nargs + k];
    }
    if (bad || found[0] == NULL) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    *values = found[0];
    *step = found[1] == NULL ? Py_None : found[1];
    return 0;
}

/* logger(data, step=None): Run.log */
static PyObject *Logger_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                             PyObject *kwnames) {
    Logger *self = (Logger *)obj;
    PyObject *data, *step;
    if (two_arguments(args, nargsf, kwnames, "data", "log(data, step=None)", &data, &step) < 0)
        return NULL;
    int handled = log_fast(self, data, step);
    if (handled < 0) return NULL;
    if (handled) Py_RETURN_NONE;
    /* the Python path (Run.log), under the run's lock */
    PyObject *run = PyWeakref_GetObject(self->run_ref);
    if (run == NULL) return NULL;
    if (run == Py_None) {
        PyErr_SetString(PyExc_RuntimeError, "this run's log outlived its run");
        return NULL;
    }
    Py_INCREF(run);
    PyObject *result = PyObject_CallFunctionObjArgs(self->python_log, run, data, step, NULL);
    Py_DECREF(run);
    return result;
}

/* park(): put the cursor back (writer.off, run._step) and end the map's export; the
 * run's lock does it as a thread takes it (ParkingLock, below). */
static PyObject *Logger_park(Logger *self, PyObject *unused) {
    if (!self->held) Py_RETURN_NONE;
    PyObject *run = PyWeakref_GetObject(self->run_ref);
    if (run == NULL) return NULL;
    if (run == Py_None) { /* nothing to put it back into */
        drop_cursor(self);
        Py_RETURN_NONE;
    }
    /* both made first: a failure leaves the cursor held and nothing changed */
    PyObject *off = PyLong_FromSsize_t(self->off);
    PyObject *step = PyLong_FromLongLong(self->step);
    int failed = off == NULL || step == NULL || PyObject_SetAttr(self->writer, s_off, off) < 0 ||
                 PyObject_SetAttr(run, s_step, step) < 0;
    Py_XDECREF(off);
    Py_XDECREF(step);
    if (failed) return NULL;
    drop_cursor(self);
    Py_RETURN_NONE;
}

/* disown(): a forked child's copy; it never writes again (nor puts anything back). */
static PyObject *Logger_disown(Logger *self, PyObject *unused) {
    self->dead = 1;
    drop_cursor(self);
    Py_RETURN_NONE;
}

/* step: run._step's value while the cursor is held, else None (run._step is right). */
static PyObject *Logger_get_step(Logger *self, void *closure) {
    if (!self->held) Py_RETURN_NONE;
    return PyLong_FromLongLong(self->step);
}

static PyObject *Logger_get_held(Logger *self, void *closure) {
    return PyBool_FromLong(self->held);
}

/* What help(run.log), ``run.log?`` and inspect.signature show: Run.log's, as on the
 * pure-Python path. ``__wrapped__`` (the Python method bound to the run) gives the
 * signature; the descriptor's __get__ below makes pydoc and inspect treat the Logger
 * as a routine rather than describe the Logger type. */
static PyObject *Logger_get_wrapped(Logger *self, void *closure) {
    PyObject *run = PyWeakref_GetObject(self->run_ref);
    if (run == NULL) return NULL;
    if (run == Py_None) return Py_NewRef(self->python_log);
    return PyMethod_New(self->python_log, run);
}

static PyObject *Logger_get_doc(Logger *self, void *closure) {
    return PyObject_GetAttrString(self->python_log, "__doc__");
}

static PyObject *Logger_get_name(Logger *self, void *closure) {
    return PyObject_GetAttrString(self->python_log, "__name__");
}

static PyObject *Logger_get_qualname(Logger *self, void *closure) {
    return PyObject_GetAttrString(self->python_log, "__qualname__");
}

static PyObject *Logger_descr_get(PyObject *self, PyObject *obj, PyObject *type) {
    return Py_NewRef(self);
}

static PyMethodDef Logger_methods[] = {
    {"park", (PyCFunction)Logger_park, METH_NOARGS,
     "Put the cursor back into writer.off and run._step (under the run's lock)."},
    {"disown", (PyCFunction)Logger_disown, METH_NOARGS,
     "Stop for good without putting anything back (a forked child's copy)."},
    {NULL},
};

static PyGetSetDef Logger_getset[] = {
    {"step", (getter)Logger_get_step, NULL, "run._step while the cursor is held, else None",
     NULL},
    {"held", (getter)Logger_get_held, NULL, "whether the cursor is held", NULL},
    {"__wrapped__", (getter)Logger_get_wrapped, NULL, "Run.log, bound to the run", NULL},
    {"__doc__", (getter)Logger_get_doc, NULL, NULL, NULL},
    {"__name__", (getter)Logger_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)Logger_get_qualname, NULL, NULL, NULL},
    {NULL},
};

static PyTypeObject LoggerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heron.sdk._fastlog.Logger",
    .tp_basicsize = sizeof(Logger),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Logger(run, lock, shapes, writer, python_log, now): a run's log(data, "
              "step=None), compiled for calls of a known shape; the rest goes to "
              "python_log(run, data, step).",
    .tp_new = Logger_new,
    .tp_dealloc = (destructor)Logger_dealloc,
    .tp_traverse = (traverseproc)Logger_traverse,
    .tp_clear = (inquiry)Logger_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Logger, vectorcall),
    .tp_methods = Logger_methods,
    .tp_getset = Logger_getset,
    .tp_descr_get = Logger_descr_get,
};

/* -- Relay(fallback, rank_source): a framework logger's log_metrics -- */

/* A framework calls its logger's ``log_metrics(metrics, step)`` once a step, from
 * Python that has just run the step: each Python frame between it and the Logger
 * costs microseconds with the caches cold (HeronLogger's method, the run's lookup,
 * log_scalars: about 5 us a call of the 10 a Lightning step paid, issue 19). A Relay
 * is that method's instance attribute: a call whose dict the target Logger takes as
 * it is goes straight to it, everything else to ``fallback(metrics, step)`` (the
 * Python method), which also sets ``target`` to the run it logged to.
 *
 * Straight to the Logger only when the framework's dict is what the Python path
 * would log unchanged: a plain dict of plain ``float``/``int`` values (log_scalars
 * would build an equal dict), an exact int step, ``rank_source.rank`` 0 or unset
 * (the fallback checks the rank itself, as Lightning's rank_zero_only), and keys of
 * a shape the run already has: a shape is only made for keys run.log accepted, and
 * log_scalars keeps a valid key as it is. The Logger declines a closed run (the
 * fallback reopens or raises), a full spool, a value of another type than its
 * shape's, as for run.log. ``last_step`` is the step of the last call handled. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Logger *target;       /* or NULL */
    PyObject *fallback;   /* fallback(metrics, step) */
    PyObject *rank_source; /* or NULL */
    PyObject *last_step;  /* an int, or None */
} Relay;

static PyTypeObject RelayType;
static PyObject *s_rank;
static PyObject *Relay_call(PyObject *, PyObject *const *, size_t, PyObject *);

static PyObject *Relay_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *fallback, *rank_source = Py_None;
    if (!PyArg_ParseTuple(args, "O|O:Relay", &fallback, &rank_source)) return NULL;
    Relay *self = (Relay *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->vectorcall = Relay_call;
    self->fallback = Py_NewRef(fallback);
    self->rank_source = rank_source == Py_None ? NULL : Py_NewRef(rank_source);
    self->last_step = Py_NewRef(Py_None);
    return (PyObject *)self;
}

static int Relay_traverse(Relay *self, visitproc visit, void *arg) {
    Py_VISIT(self->target);
    Py_VISIT(self->fallback);
    Py_VISIT(self->rank_source);
    Py_VISIT(self->last_step);
    return 0;
}

static int Relay_clear(Relay *self) {
    Py_CLEAR(self->target);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->rank_source);
    Py_CLEAR(self->last_step);
    return 0;
}

static void Relay_dealloc(Relay *self) {
    PyObject_GC_UnTrack(self);
    Relay_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* 1 when rank_source says rank 0 (or has no rank), 0 otherwise: the fallback decides. */
static int rank_zero(Relay *self) {
    if (self->rank_source == NULL) return 1;
    PyObject *rank = PyObject_GetAttr(self->rank_source, s_rank);
    if (rank == NULL) {
        int missing = PyErr_ExceptionMatches(PyExc_AttributeError);
        PyErr_Clear();
        return missing;
    }
    int zero = PyLong_CheckExact(rank) && PyLong_AsLong(rank) == 0;
    Py_DECREF(rank);
    return zero;
}

/* 1 when every value of the dict is an exact float or int. */
static int plain_values(PyObject *data) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(data, &pos, &key, &value)) {
        if (!PyFloat_CheckExact(value) && !PyLong_CheckExact(value)) return 0;
    }
    return 1;
}

/* relay(metrics, step=None): the framework's log_metrics */
static PyObject *Relay_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames) {
    Relay *self = (Relay *)obj;
    PyObject *metrics, *step;
    if (two_arguments(args, nargsf, kwnames, "metrics", "log_metrics(metrics, step=None)",
                      &metrics, &step) < 0)
        return NULL;
    if (self->target != NULL && PyLong_CheckExact(step) && PyDict_CheckExact(metrics) &&
        rank_zero(self) && plain_values(metrics)) {
        int handled = log_fast(self->target, metrics, step);
        if (handled < 0) return NULL;
        if (handled) {
            Py_SETREF(self->last_step, Py_NewRef(step));
            Py_RETURN_NONE;
        }
    }
    return PyObject_CallFunctionObjArgs(self->fallback, metrics, step, NULL);
}

static PyObject *Relay_get_target(Relay *self, void *closure) {
    return Py_NewRef(self->target == NULL ? Py_None : (PyObject *)self->target);
}

/* target = a run's log: its Logger (the compiled path), else None (nothing straight) */
static int Relay_set_target(Relay *self, PyObject *value, void *closure) {
    Logger *target = value != NULL && Py_TYPE(value) == &LoggerType ? (Logger *)value : NULL;
    Py_XINCREF(target);
    Py_XSETREF(self->target, target);
    return 0;
}

static PyObject *Relay_get_last_step(Relay *self, void *closure) {
    return Py_NewRef(self->last_step);
}

static int Relay_set_last_step(Relay *self, PyObject *value, void *closure) {
    Py_XSETREF(self->last_step, Py_NewRef(value == NULL ? Py_None : value));
    return 0;
}

static PyGetSetDef Relay_getset[] = {
    {"target", (getter)Relay_get_target, (setter)Relay_set_target,
     "the run's log (a Logger) that calls go straight to, or None", NULL},
    {"last_step", (getter)Relay_get_last_step, (setter)Relay_set_last_step,
     "the step of the last call logged (the fallback sets it too), or None", NULL},
    {NULL},
};

static PyTypeObject RelayType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heron.sdk._fastlog.Relay",
    .tp_basicsize = sizeof(Relay),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Relay(fallback, rank_source=None): a framework logger's log_metrics(metrics, "
              "step=None): a dict its target Logger takes as it is goes straight there, the "
              "rest to fallback(metrics, step).",
    .tp_new = Relay_new,
    .tp_dealloc = (destructor)Relay_dealloc,
    .tp_traverse = (traverseproc)Relay_traverse,
    .tp_clear = (inquiry)Relay_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Relay, vectorcall),
    .tp_getset = Relay_getset,
};

/* -- ParkingLock(lock, logger): the run's lock on the compiled path -- */

/* The run's lock (a ``_thread.lock``), which has ``logger`` put its cursor back each
 * time a thread takes it (module doc, Cursor). In C, not Python, so that taking it is
 * as atomic with respect to signals as the lock's own ``with``: a Python ``__enter__``
 * could be interrupted (Ctrl-C) between the lock taken and its caller's ``try``, and
 * leave it held for good (``finish`` would then wait on it forever). */
typedef struct {
    PyObject_HEAD
    PyObject *acquire, *release, *locked; /* the lock's bound methods */
    Logger *logger;
} ParkingLock;

static PyObject *ParkingLock_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *lock;
    Logger *logger;
    if (!PyArg_ParseTuple(args, "OO!:ParkingLock", &lock, &LoggerType, &logger)) return NULL;
    ParkingLock *self = (ParkingLock *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    if ((self->acquire = PyObject_GetAttrString(lock, "acquire")) == NULL ||
        (self->release = PyObject_GetAttrString(lock, "release")) == NULL ||
        (self->locked = PyObject_GetAttrString(lock, "locked")) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    Py_INCREF(logger);
    self->logger = logger;
    return (PyObject *)self;
}

static void ParkingLock_dealloc(ParkingLock *self) {
    Py_XDECREF(self->acquire);
    Py_XDECREF(self->release);
    Py_XDECREF(self->locked);
    Py_XDECREF(self->logger);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* acquire(blocking=True, timeout=-1) -> bool, as the lock's; then the cursor is parked
 * (when that fails, for want of memory, the lock is let go and the error raised). */
static PyObject *ParkingLock_acquire(ParkingLock *self, PyObject *args, PyObject *kwargs) {
    PyObject *got = args == NULL ? PyObject_CallNoArgs(self->acquire)
                                 : PyObject_Call(self->acquire, args, kwargs);
    if (got == NULL || got != Py_True) return got;
    PyObject *parked = Logger_park(self->logger, NULL);
    if (parked == NULL) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyObject *released = PyObject_CallNoArgs(self->release);
        Py_XDECREF(released);
        PyErr_Restore(type, value, traceback);
        Py_DECREF(got);
        return NULL;
    }
    Py_DECREF(parked);
    return got;
}

static PyObject *ParkingLock_release(ParkingLock *self, PyObject *unused) {
    return PyObject_CallNoArgs(self->release);
}

static PyObject *ParkingLock_locked(ParkingLock *self, PyObject *unused) {
    return PyObject_CallNoArgs(self->locked);
}

static PyObject *ParkingLock_enter(ParkingLock *self, PyObject *unused) {
    return ParkingLock_acquire(self, NULL, NULL);
}

static PyObject *ParkingLock_exit(ParkingLock *self, PyObject *args) {
    PyObject *released = PyObject_CallNoArgs(self->release);
    if (released == NULL) return NULL;
    Py_DECREF(released);
    Py_RETURN_FALSE;
}

static PyMethodDef ParkingLock_methods[] = {
    {"acquire", (PyCFunction)(void (*)(void))ParkingLock_acquire, METH_VARARGS | METH_KEYWORDS,
     "acquire(blocking=True, timeout=-1) -> bool: the lock's, then the cursor parked."},
    {"release", (PyCFunction)ParkingLock_release, METH_NOARGS, "The lock's release()."},
    {"locked", (PyCFunction)ParkingLock_locked, METH_NOARGS, "The lock's locked()."},
    {"__enter__", (PyCFunction)ParkingLock_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)ParkingLock_exit, METH_VARARGS, NULL},
    {NULL},
};

static PyTypeObject ParkingLockType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "heron.sdk._fastlog.ParkingLock",
    .tp_basicsize = sizeof(ParkingLock),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ParkingLock(lock, logger): lock's acquire, release and with, where taking "
              "it has logger put its cursor back first.",
    .tp_new = ParkingLock_new,
    .tp_dealloc = (destructor)ParkingLock_dealloc,
    .tp_methods = ParkingLock_methods,
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
        {&s_rank, "rank"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL && (*names[i].slot = PyUnicode_InternFromString(names[i].name)) == NULL)
            return NULL;
    }
    if (PyType_Ready(&ShapeType) < 0 || PyType_Ready(&LoggerType) < 0 ||
        PyType_Ready(&ParkingLockType) < 0 || PyType_Ready(&RelayType) < 0)
        return NULL;
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
    Py_INCREF(&ParkingLockType);
    if (PyModule_AddObject(m, "ParkingLock", (PyObject *)&ParkingLockType) < 0) {
        Py_DECREF(&ParkingLockType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&RelayType);
    if (PyModule_AddObject(m, "Relay", (PyObject *)&RelayType) < 0) {
        Py_DECREF(&RelayType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "MAX_KEYS", MAX_KEYS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
