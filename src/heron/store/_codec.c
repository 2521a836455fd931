/* heron.store._codec: the metric chunk codec's format 3 and the block summaries, in C
 * (issue 19).
 *
 * A shipper's batch rewrites the tail chunk of every key it has points of, and its
 * summary: decode, encode, summarize. In numpy that is about 40 array operations a
 * key, each with its fixed cost, and several times that with the caches cold after a
 * training step: most of a batch's CPU. Here each is one pass over the points. The
 * bytes are exactly those of the pure-Python code (chunks.py, lod.py: the reference,
 * and the fallback when this module is not built), which tests check on random
 * chunks, with two freedoms in a summary: where 0.0 and -0.0 tie for a block's
 * minimum or maximum either may be kept, and a NaN's payload (numpy's own choice
 * there depends on its SIMD code). The zstd frames are made and read by the same
 * ``zstandard`` objects, passed in as callables. Little-endian machines only: it
 * refuses to import elsewhere, and chunks.py and lod.py use their own code there.
 *
 *   encode(steps, times, values, compress) -> bytes
 *       the whole format-3 chunk; the arrays: C-contiguous int64, float64, float64 of
 *       one length (chunks.encode checks); compress(bytes) -> zstd frame.
 *   decode_into(body, flags, steps, times, values, decompress, content_size)
 *       a format-3 body into three writable C-contiguous arrays of the chunk's length
 *       (NotImplemented for other arrays); raises ValueError with chunks.py's
 *       message for bytes it cannot read.
 *   lod_planes(steps, times, values) -> bytes
 *       the block records of lod.summarize, as differences of words, byte planes:
 *       what lod.py compresses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define STEPS_LINEAR 0x01
#define STEPS_DELTA 0x02
#define TIMES_MICROS 0x04
#define TIMES_RAW 0x08
#define VALUES_F32 0x10
#define VALUES_F64 0x20
#define VALUES_DELTA 0x40
#define PLANE_RAW 0
#define PLANE_CONST 1
#define PLANE_ZSTD 2
#define FORMAT_VERSION 3
#define HEADER_SIZE 6
#define BLOCK 64
#define WORDS 10 /* 8-byte words of a summary record */

/* --- a growing byte buffer --------------------------------------------------- */

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buf;

static int
buf_reserve(Buf *b, Py_ssize_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    char *grown = PyMem_Realloc(b->data, (size_t)cap);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

static int
buf_put(Buf *b, const void *src, Py_ssize_t size)
{
    if (buf_reserve(b, size) < 0)
        return -1;
    memcpy(b->data + b->len, src, (size_t)size);
    b->len += size;
    return 0;
}

static int
buf_byte(Buf *b, unsigned char byte)
{
    return buf_put(b, &byte, 1);
}

static int
buf_u64(Buf *b, uint64_t v)
{
    return buf_put(b, &v, 8); /* little-endian host */
}

/* --- encoding ---------------------------------------------------------------- */

/* The byte planes of ``n`` elements of ``width`` bytes, all of them, into ``planes``
 * (plane i at planes + i * n): one pass over the elements, each read once. */
#define TRANSPOSE(WIDTH, TYPE)                                                          \
    for (Py_ssize_t j = 0; j < n; j++) {                                                \
        TYPE v;                                                                         \
        memcpy(&v, elems + j * (WIDTH), (WIDTH)); /* little-endian host */               \
        for (int i = 0; i < (WIDTH); i++)                                               \
            planes[i * n + j] = (unsigned char)(v >> (8 * i));                          \
    }

static void
transpose(const unsigned char *elems, Py_ssize_t n, int width, unsigned char *planes)
{
    switch (width) { /* a constant width each: no memcpy call per element */
    case 1:
        memcpy(planes, elems, (size_t)n);
        break;
    case 2:
        TRANSPOSE(2, uint16_t)
        break;
    case 4:
        TRANSPOSE(4, uint32_t)
        break;
    default:
        TRANSPOSE(8, uint64_t)
    }
}

/* chunks._planes: the byte planes of ``n`` elements of ``width`` bytes, each as
 * PLANE_CONST, PLANE_ZSTD or PLANE_RAW, whichever is smallest, in that order of
 * preference. ``scratch`` holds width * n bytes. */
static int
put_planes(Buf *out, const unsigned char *elems, Py_ssize_t n, int width,
           unsigned char *scratch, PyObject *compress)
{
    if (n == 0)
        return 0;
    transpose(elems, n, width, scratch);
    for (int i = 0; i < width; i++) {
        const unsigned char *plane = scratch + i * n;
        unsigned char first = plane[0], differ = 0;
        for (Py_ssize_t j = 0; j < n; j++) /* no early exit: vectorised */
            differ |= (unsigned char)(plane[j] ^ first);
        if (!differ) {
            unsigned char part[2] = {PLANE_CONST, first};
            if (buf_put(out, part, 2) < 0)
                return -1;
            continue;
        }
        PyObject *bytes = PyBytes_FromStringAndSize((const char *)plane, n);
        if (bytes == NULL)
            return -1;
        PyObject *packed = PyObject_CallOneArg(compress, bytes);
        Py_DECREF(bytes);
        if (packed == NULL)
            return -1;
        if (!PyBytes_Check(packed)) {
            Py_DECREF(packed);
            PyErr_SetString(PyExc_TypeError, "compress must return bytes");
            return -1;
        }
        Py_ssize_t size = PyBytes_GET_SIZE(packed);
        int rc;
        if (size + 4 < n) {
            uint32_t len32 = (uint32_t)size;
            rc = buf_byte(out, PLANE_ZSTD) < 0 || buf_put(out, &len32, 4) < 0 ||
                         buf_put(out, PyBytes_AS_STRING(packed), size) < 0
                     ? -1
                     : 0;
        }
        else {
            rc = buf_byte(out, PLANE_RAW) < 0 || buf_put(out, plane, n) < 0 ? -1 : 0;
        }
        Py_DECREF(packed);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* chunks._pack_deltas (format 3): the width byte, then the deltas' planes in the
 * narrowest signed integer that holds them all. ``narrow`` holds 8 * m bytes. */
static int
put_deltas(Buf *out, const int64_t *d, Py_ssize_t m, unsigned char *narrow,
           unsigned char *scratch, PyObject *compress)
{
    if (m == 0)
        return buf_byte(out, 1);
    int64_t low = d[0], high = d[0];
    for (Py_ssize_t i = 1; i < m; i++) {
        if (d[i] < low)
            low = d[i];
        if (d[i] > high)
            high = d[i];
    }
    int width = 8;
    if (low >= INT8_MIN && high <= INT8_MAX)
        width = 1;
    else if (low >= INT16_MIN && high <= INT16_MAX)
        width = 2;
    else if (low >= INT32_MIN && high <= INT32_MAX)
        width = 4;
    for (Py_ssize_t i = 0; i < m; i++) /* the low bytes: two's complement, LE */
        memcpy(narrow + i * width, &d[i], (size_t)width);
    if (buf_byte(out, (unsigned char)width) < 0)
        return -1;
    return put_planes(out, narrow, m, width, scratch, compress);
}

/* x rounded to the nearest integer, ties to even (np.rint, in the default rounding
 * mode): libm's nearbyint saves and restores the floating-point environment, which
 * cost more than the rest of a chunk's encoding. Every double of magnitude 2**52 or
 * more is an integer already. */
static double
round_even(double x)
{
    const double big = 4503599627370496.0; /* 2**52 */
    if (!(fabs(x) < big))
        return x;
    return x >= 0 ? (x + big) - big : (x - big) + big;
}

static int
same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    return x == y;
}

typedef struct {
    Py_buffer steps, times, values;
} Columns;

static void
columns_release(Columns *c)
{
    if (c->steps.obj)
        PyBuffer_Release(&c->steps);
    if (c->times.obj)
        PyBuffer_Release(&c->times);
    if (c->values.obj)
        PyBuffer_Release(&c->values);
}

/* Three C-contiguous buffers of n 8-byte items each (writable ones for decoding). */
static int
columns_get(Columns *c, PyObject *steps, PyObject *times, PyObject *values, int writable,
            Py_ssize_t *n)
{
    int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    memset(c, 0, sizeof(*c));
    if (PyObject_GetBuffer(steps, &c->steps, flags) < 0 ||
        PyObject_GetBuffer(times, &c->times, flags) < 0 ||
        PyObject_GetBuffer(values, &c->values, flags) < 0) {
        columns_release(c);
        return -1;
    }
    if (c->steps.len % 8 || c->steps.len != c->times.len || c->steps.len != c->values.len) {
        columns_release(c);
        PyErr_SetString(PyExc_ValueError, "steps, times and values must be 8-byte arrays of one length");
        return -1;
    }
    *n = c->steps.len / 8;
    return 0;
}

/* A function's arguments: exactly ``want`` of them, the first three read-only
 * columns. */
static int
column_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, const char *usage,
            Columns *c, Py_ssize_t *n)
{
    if (nargs != want) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    return columns_get(c, args[0], args[1], args[2], 0, n);
}

static int
encode_columns(Buf *out, const int64_t *steps, const double *times, const double *values,
               Py_ssize_t n, PyObject *compress)
{
    unsigned char flags = 0;
    Py_ssize_t flags_at;
    uint32_t count = (uint32_t)n;
    int rc = -1;
    /* work space: deltas (8n), narrow copies (8n), the planes (8n) */
    int64_t *work = PyMem_Malloc((size_t)(n > 0 ? n : 1) * 8);
    unsigned char *narrow = PyMem_Malloc((size_t)(n > 0 ? n : 1) * 8);
    unsigned char *scratch = PyMem_Malloc((size_t)(n > 0 ? n : 1) * 8);
    if (work == NULL || narrow == NULL || scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (buf_byte(out, FORMAT_VERSION) < 0)
        goto done;
    flags_at = out->len;
    if (buf_byte(out, 0) < 0 || buf_put(out, &count, 4) < 0)
        goto done;

    /* steps */
    if (n == 0) {
        flags |= STEPS_LINEAR;
    }
    else {
        uint64_t first_delta = n > 1 ? (uint64_t)steps[1] - (uint64_t)steps[0] : 0;
        int linear = 1;
        for (Py_ssize_t i = 1; i < n; i++) {
            uint64_t d = (uint64_t)steps[i] - (uint64_t)steps[i - 1];
            work[i - 1] = (int64_t)d;
            linear &= (d == first_delta);
        }
        if (linear) {
            flags |= STEPS_LINEAR;
            if (buf_u64(out, (uint64_t)steps[0]) < 0 || buf_u64(out, first_delta) < 0)
                goto done;
        }
        else {
            flags |= STEPS_DELTA;
            if (buf_u64(out, (uint64_t)steps[0]) < 0 ||
                put_deltas(out, work, n - 1, narrow, scratch, compress) < 0)
                goto done;
        }
    }

    /* times: whole microseconds when every time is one, bit-exactly */
    if (n == 0) {
        flags |= TIMES_MICROS;
    }
    else {
        const double limit = 9007199254740992.0 / 1e6; /* chunks._MAX_MICROS / 1e6 */
        int micros = 1;
        for (Py_ssize_t i = 0; i < n && micros; i++) {
            double t = times[i];
            if (!(fabs(t) < limit)) {
                micros = 0;
                break;
            }
            int64_t m = (int64_t)round_even(t * 1e6);
            work[i] = m;
            micros = same_bits((double)m / 1e6, t);
        }
        if (micros) {
            flags |= TIMES_MICROS;
            int64_t first = work[0];
            for (Py_ssize_t i = 0; i + 1 < n; i++)
                work[i] = (int64_t)((uint64_t)work[i + 1] - (uint64_t)work[i]);
            if (buf_u64(out, (uint64_t)first) < 0 ||
                put_deltas(out, work, n - 1, narrow, scratch, compress) < 0)
                goto done;
        }
        else {
            flags |= TIMES_RAW;
            if (put_planes(out, (const unsigned char *)times, n, 8, scratch, compress) < 0)
                goto done;
        }
    }

    /* values: float32 when every value survives the round trip, bit-exactly */
    {
        int f32 = 1;
        uint32_t *narrow32 = (uint32_t *)narrow;
        for (Py_ssize_t i = 0; i < n; i++) {
            float f = (float)values[i];
            memcpy(&narrow32[i], &f, 4);
            if (f32 && !same_bits((double)f, values[i]))
                f32 = 0;
        }
        int width = f32 ? 4 : 8;
        const unsigned char *pattern = f32 ? narrow : (const unsigned char *)values;
        flags |= f32 ? VALUES_F32 : VALUES_F64;
        Py_ssize_t plain_at = out->len;
        if (put_planes(out, pattern, n, width, scratch, compress) < 0)
            goto done;
        Py_ssize_t plain = out->len - plain_at;
        if (n > 2 && plain > n / 2) { /* the wrapping differences may be smaller */
            unsigned char *deltas = (unsigned char *)work;
            if (f32) {
                uint32_t *d = (uint32_t *)deltas;
                d[0] = narrow32[0];
                for (Py_ssize_t i = 1; i < n; i++)
                    d[i] = narrow32[i] - narrow32[i - 1];
            }
            else {
                uint64_t *d = (uint64_t *)deltas;
                const uint64_t *p = (const uint64_t *)values;
                d[0] = p[0];
                for (Py_ssize_t i = 1; i < n; i++)
                    d[i] = p[i] - p[i - 1];
            }
            Buf packed = {0};
            if (put_planes(&packed, deltas, n, width, scratch, compress) < 0) {
                PyMem_Free(packed.data);
                goto done;
            }
            if (packed.len < plain) {
                flags |= VALUES_DELTA;
                out->len = plain_at;
                if (buf_put(out, packed.data, packed.len) < 0) {
                    PyMem_Free(packed.data);
                    goto done;
                }
            }
            PyMem_Free(packed.data);
        }
    }
    out->data[flags_at] = (char)flags;
    rc = 0;
done:
    PyMem_Free(work);
    PyMem_Free(narrow);
    PyMem_Free(scratch);
    return rc;
}

static PyObject *
codec_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Columns c;
    Py_ssize_t n;
    if (column_args(args, nargs, 4, "encode(steps, times, values, compress)", &c, &n) < 0)
        return NULL;
    Buf out = {0};
    PyObject *result = NULL;
    if (encode_columns(&out, c.steps.buf, c.times.buf, c.values.buf, n, args[3]) == 0)
        result = PyBytes_FromStringAndSize(out.data, out.len);
    PyMem_Free(out.data);
    columns_release(&c);
    return result;
}

/* --- decoding ---------------------------------------------------------------- */

typedef struct {
    const unsigned char *data;
    Py_ssize_t len;
    Py_ssize_t pos;
    PyObject *decompress;
    PyObject *content_size;
} Reader;

static int
truncated(void)
{
    PyErr_SetString(PyExc_ValueError, "chunk body is truncated");
    return -1;
}

static int
take(Reader *r, Py_ssize_t size, const unsigned char **at)
{
    if (size > r->len - r->pos)
        return truncated();
    *at = r->data + r->pos;
    r->pos += size;
    return 0;
}

static int
take_byte(Reader *r, unsigned char *byte)
{
    if (r->pos >= r->len)
        return truncated();
    *byte = r->data[r->pos++];
    return 0;
}

static int
take_u64(Reader *r, uint64_t *v)
{
    const unsigned char *at;
    if (take(r, 8, &at) < 0)
        return -1;
    memcpy(v, at, 8);
    return 0;
}

/* One zstd frame of exactly n bytes, scattered into plane i of ``dst``. */
static int
inflate_plane(Reader *r, unsigned char *dst, Py_ssize_t n, int width)
{
    const unsigned char *at;
    uint32_t size;
    if (take(r, 4, &at) < 0)
        return -1;
    memcpy(&size, at, 4);
    if (take(r, (Py_ssize_t)size, &at) < 0)
        return -1;
    PyObject *frame = PyMemoryView_FromMemory((char *)at, (Py_ssize_t)size, PyBUF_READ);
    if (frame == NULL)
        return -1;
    PyObject *claimed = PyObject_CallOneArg(r->content_size, frame);
    if (claimed == NULL) {
        Py_DECREF(frame);
        return -1;
    }
    long long said = PyLong_AsLongLong(claimed);
    Py_DECREF(claimed);
    if (said == -1 && PyErr_Occurred()) {
        Py_DECREF(frame);
        return -1;
    }
    if (said != (long long)n) {
        Py_DECREF(frame);
        PyErr_Format(PyExc_ValueError, "chunk byte plane does not hold %zd bytes", n);
        return -1;
    }
    PyObject *plane = PyObject_CallOneArg(r->decompress, frame);
    Py_DECREF(frame);
    if (plane == NULL)
        return -1;
    Py_buffer view;
    if (PyObject_GetBuffer(plane, &view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(plane);
        return -1;
    }
    int rc = 0;
    if (view.len != n) {
        PyErr_Format(PyExc_ValueError, "chunk byte plane does not hold %zd bytes", n);
        rc = -1;
    }
    else {
        const unsigned char *src = view.buf;
        for (Py_ssize_t j = 0; j < n; j++)
            dst[j * width] = src[j];
    }
    PyBuffer_Release(&view);
    Py_DECREF(plane);
    return rc;
}

/* chunks._Reader._planes_into: ``n`` elements of ``width`` bytes into ``dst``. */
static int
read_planes(Reader *r, unsigned char *dst, Py_ssize_t n, int width)
{
    if (n == 0)
        return 0;
    for (int i = 0; i < width; i++) {
        unsigned char mode;
        const unsigned char *at;
        if (take_byte(r, &mode) < 0)
            return -1;
        if (mode == PLANE_RAW) {
            if (take(r, n, &at) < 0)
                return -1;
            for (Py_ssize_t j = 0; j < n; j++)
                dst[j * width + i] = at[j];
        }
        else if (mode == PLANE_CONST) {
            unsigned char byte;
            if (take_byte(r, &byte) < 0)
                return -1;
            for (Py_ssize_t j = 0; j < n; j++)
                dst[j * width + i] = byte;
        }
        else if (mode == PLANE_ZSTD) {
            if (inflate_plane(r, dst + i, n, width) < 0)
                return -1;
        }
        else {
            PyErr_Format(PyExc_ValueError, "chunk byte plane has no encoding %d", (int)mode);
            return -1;
        }
    }
    return 0;
}

/* chunks._Reader.deltas_into: m deltas, sign-extended into ``out``; ``narrow`` holds
 * 8 * m bytes. */
static int
read_deltas(Reader *r, int64_t *out, Py_ssize_t m, unsigned char *narrow)
{
    unsigned char width;
    if (take_byte(r, &width) < 0)
        return -1;
    if (width != 1 && width != 2 && width != 4 && width != 8) {
        PyErr_Format(PyExc_ValueError, "chunk deltas have no width %d", (int)width);
        return -1;
    }
    if (width == 8)
        return read_planes(r, (unsigned char *)out, m, 8);
    if (read_planes(r, narrow, m, width) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < m; i++) {
        const unsigned char *p = narrow + i * width;
        if (width == 1)
            out[i] = (int8_t)p[0];
        else if (width == 2) {
            int16_t v;
            memcpy(&v, p, 2);
            out[i] = v;
        }
        else {
            int32_t v;
            memcpy(&v, p, 4);
            out[i] = v;
        }
    }
    return 0;
}

static int
no_encoding(const char *what, int flags)
{
    PyErr_Format(PyExc_ValueError, "chunk flags %#x name no %s encoding", flags, what);
    return -1;
}

static int
decode_columns(Reader *r, int flags, int64_t *steps, double *times, double *values,
               Py_ssize_t n)
{
    int rc = -1;
    unsigned char *narrow = PyMem_Malloc((size_t)(n > 0 ? n : 1) * 8);
    if (narrow == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    /* steps */
    if (n > 0) {
        uint64_t first, delta;
        if (flags & STEPS_LINEAR) {
            if (take_u64(r, &first) < 0 || take_u64(r, &delta) < 0)
                goto done;
            for (Py_ssize_t i = 0; i < n; i++)
                steps[i] = (int64_t)(first + delta * (uint64_t)i);
        }
        else if (flags & STEPS_DELTA) {
            if (take_u64(r, &first) < 0 || read_deltas(r, steps + 1, n - 1, narrow) < 0)
                goto done;
            uint64_t acc = first;
            steps[0] = (int64_t)first;
            for (Py_ssize_t i = 1; i < n; i++) {
                acc += (uint64_t)steps[i];
                steps[i] = (int64_t)acc;
            }
        }
        else {
            no_encoding("step", flags);
            goto done;
        }
    }
    /* times */
    if (n > 0) {
        if (flags & TIMES_MICROS) {
            uint64_t first;
            int64_t *micros = (int64_t *)times; /* same size: converted in place */
            if (take_u64(r, &first) < 0 || read_deltas(r, micros + 1, n - 1, narrow) < 0)
                goto done;
            uint64_t acc = first;
            times[0] = (double)(int64_t)first / 1e6;
            for (Py_ssize_t i = 1; i < n; i++) {
                acc += (uint64_t)micros[i];
                times[i] = (double)(int64_t)acc / 1e6;
            }
        }
        else if (flags & TIMES_RAW) {
            if (read_planes(r, (unsigned char *)times, n, 8) < 0)
                goto done;
        }
        else {
            no_encoding("time", flags);
            goto done;
        }
    }
    /* values */
    if (flags & VALUES_F32) {
        uint32_t *pattern = (uint32_t *)narrow;
        if (read_planes(r, narrow, n, 4) < 0)
            goto done;
        if (flags & VALUES_DELTA)
            for (Py_ssize_t i = 1; i < n; i++)
                pattern[i] += pattern[i - 1];
        for (Py_ssize_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, &pattern[i], 4);
            values[i] = (double)f;
        }
    }
    else if (flags & VALUES_F64) {
        uint64_t *pattern = (uint64_t *)values;
        if (read_planes(r, (unsigned char *)values, n, 8) < 0)
            goto done;
        if (flags & VALUES_DELTA)
            for (Py_ssize_t i = 1; i < n; i++)
                pattern[i] += pattern[i - 1];
    }
    else {
        no_encoding("value", flags);
        goto done;
    }
    if (r->pos != r->len) {
        PyErr_Format(PyExc_ValueError, "chunk has %zd unexpected trailing bytes", r->len - r->pos);
        goto done;
    }
    rc = 0;
done:
    PyMem_Free(narrow);
    return rc;
}

static PyObject *
codec_decode_into(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "decode_into(body, flags, steps, times, values, decompress, content_size)");
        return NULL;
    }
    long flags = PyLong_AsLong(args[1]);
    if (flags == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer body;
    if (PyObject_GetBuffer(args[0], &body, PyBUF_SIMPLE) < 0)
        return NULL;
    Columns c;
    Py_ssize_t n;
    if (columns_get(&c, args[2], args[3], args[4], 1, &n) < 0) {
        /* arrays it cannot write in place (a view with a stride): the caller's
         * pure-Python reader does it */
        PyErr_Clear();
        PyBuffer_Release(&body);
        Py_RETURN_NOTIMPLEMENTED;
    }
    Reader r = {body.buf, body.len, 0, args[5], args[6]};
    int rc = decode_columns(&r, (int)flags, c.steps.buf, c.times.buf, c.values.buf, n);
    columns_release(&c);
    PyBuffer_Release(&body);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* --- block summaries (lod.summarize) ----------------------------------------- */

/* numpy's sum of a reduce over n contiguous float64s (pairwise_sum in its loops: eight
 * accumulators up to 128 items, halves beyond): the same additions in the same order,
 * so that the summaries are bit-for-bit those of np.add.reduceat. */
static double
pairwise_sum(const double *a, Py_ssize_t n)
{
    if (n < 8) {
        double res = -0.0; /* numpy's start: the sum of -0.0s stays -0.0 */
        for (Py_ssize_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        Py_ssize_t i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* np.add.reduceat over one block: its first item, plus the pairwise sum of the rest. */
static double
block_sum(const double *a, Py_ssize_t n)
{
    return n == 1 ? a[0] : a[0] + pairwise_sum(a + 1, n - 1);
}

/* np.minimum / np.maximum reduced: NaN propagates. */
static double
nan_min(double acc, double x)
{
    return isnan(acc) ? acc : (isnan(x) || x < acc) ? x : acc;
}

static double
nan_max(double acc, double x)
{
    return isnan(acc) ? acc : (isnan(x) || x > acc) ? x : acc;
}

typedef struct {
    int32_t count, finite;
    int64_t step_min, step_max;
    double time_min, time_max, step_sum, time_sum, y_min, y_max, y_sum;
} Record;

static PyObject *
codec_lod_planes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Columns c;
    Py_ssize_t n;
    if (column_args(args, nargs, 3, "lod_planes(steps, times, values)", &c, &n) < 0)
        return NULL;
    const int64_t *steps = c.steps.buf;
    const double *times = c.times.buf, *values = c.values.buf;
    Py_ssize_t blocks = (n + BLOCK - 1) / BLOCK;
    PyObject *result = PyBytes_FromStringAndSize(NULL, blocks * WORDS * 8);
    uint64_t *words = PyMem_Malloc((size_t)(blocks > 0 ? blocks : 1) * WORDS * 8);
    if (result == NULL || words == NULL) {
        if (result != NULL) { /* else PyBytes set the error */
            Py_DECREF(result);
            PyErr_NoMemory();
        }
        PyMem_Free(words);
        columns_release(&c);
        return NULL;
    }
    double s_steps[BLOCK], s_times[BLOCK], s_values[BLOCK];
    for (Py_ssize_t b = 0; b < blocks; b++) {
        Py_ssize_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        Record rec;
        rec.count = (int32_t)count;
        rec.finite = 0;
        rec.step_min = rec.step_max = steps[start];
        rec.time_min = rec.time_max = times[start];
        rec.y_min = INFINITY;
        rec.y_max = -INFINITY;
        for (Py_ssize_t i = 0; i < count; i++) {
            int64_t s = steps[start + i];
            double t = times[start + i], y = values[start + i];
            int finite = isfinite(y) != 0; /* counted: 1, not any non-zero */
            rec.finite += finite;
            if (s < rec.step_min)
                rec.step_min = s;
            if (s > rec.step_max)
                rec.step_max = s;
            if (i) {
                rec.time_min = nan_min(rec.time_min, t);
                rec.time_max = nan_max(rec.time_max, t);
            }
            s_steps[i] = finite ? (double)s : 0.0;
            s_times[i] = finite ? t : 0.0;
            s_values[i] = finite ? y : 0.0;
            double lo = finite ? y : INFINITY, hi = finite ? y : -INFINITY;
            if (lo < rec.y_min)
                rec.y_min = lo;
            if (hi > rec.y_max)
                rec.y_max = hi;
        }
        rec.step_sum = block_sum(s_steps, count);
        rec.time_sum = block_sum(s_times, count);
        rec.y_sum = block_sum(s_values, count);
        /* the record's ten words, stored word-major: words[w * blocks + b] */
        uint64_t w[WORDS];
        memcpy(&w[0], &rec.count, 4);
        memcpy((char *)&w[0] + 4, &rec.finite, 4);
        memcpy(&w[1], &rec.step_min, 8);
        memcpy(&w[2], &rec.step_max, 8);
        memcpy(&w[3], &rec.time_min, 8);
        memcpy(&w[4], &rec.time_max, 8);
        memcpy(&w[5], &rec.step_sum, 8);
        memcpy(&w[6], &rec.time_sum, 8);
        memcpy(&w[7], &rec.y_min, 8);
        memcpy(&w[8], &rec.y_max, 8);
        memcpy(&w[9], &rec.y_sum, 8);
        for (int k = 0; k < WORDS; k++)
            words[k * blocks + b] = w[k];
    }
    /* each word minus the same word of the block before (wrapping), then byte planes:
     * for each word, byte 0 of every block, then byte 1, ... */
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(result);
    for (int k = 0; k < WORDS; k++) {
        uint64_t *row = words + k * blocks;
        for (Py_ssize_t b = blocks - 1; b > 0; b--)
            row[b] -= row[b - 1];
        for (int byte = 0; byte < 8; byte++)
            for (Py_ssize_t b = 0; b < blocks; b++)
                *dst++ = (unsigned char)(row[b] >> (8 * byte));
    }
    PyMem_Free(words);
    columns_release(&c);
    return result;
}

static PyMethodDef codec_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))codec_encode, METH_FASTCALL,
     "encode(steps, times, values, compress) -> a format-3 chunk"},
    {"decode_into", (PyCFunction)(void (*)(void))codec_decode_into, METH_FASTCALL,
     "decode_into(body, flags, steps, times, values, decompress, content_size)"},
    {"lod_planes", (PyCFunction)(void (*)(void))codec_lod_planes, METH_FASTCALL,
     "lod_planes(steps, times, values) -> the summary records' planes, uncompressed"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef codec_module = {
    PyModuleDef_HEAD_INIT, "heron.store._codec",
    "The chunk codec's format 3 and the block summaries, compiled (see _codec.c).", -1,
    codec_methods,
};

PyMODINIT_FUNC
PyInit__codec(void)
{
    const uint16_t one = 1;
    if (*(const unsigned char *)&one != 1) { /* the code below reads and writes LE */
        PyErr_SetString(PyExc_ImportError, "heron.store._codec: little-endian machines only");
        return NULL;
    }
    return PyModule_Create(&codec_module);
}
