# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""The Cython twin of ``_purepy.py``: same functions, same results, byte for byte.

``_purepy`` is the reference. Everything off the hot path (odd OBIS spellings, COSEM dates,
malformed values) is handed to the same Python functions the pure twin uses, so every value and
every error message is identical by construction. Timestamps (``_fasttime.pxi``: offsets from a
table of each zone's changes) and the COMPLEX converters (``_fastcomplex.pxi``) are in C, and
hand anything they are not sure of to those Python functions.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.datetime cimport datetime_new, import_datetime
from cpython.dict cimport PyDict_CheckExact
from cpython.list cimport PyList_CheckExact, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_CheckExact, PyLong_FromLongLong, PyLong_FromSsize_t
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF, Py_XINCREF
from cpython.tuple cimport (
    PyTuple_Check,
    PyTuple_CheckExact,
    PyTuple_GET_ITEM,
    PyTuple_GET_SIZE,
    PyTuple_New,
    PyTuple_SET_ITEM,
)
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_DecodeLatin1
from libc.stdint cimport int32_t, uint16_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove

from . import _lazyre as re  # patterns compiled on first use: no `re` at import
from datetime import datetime
from decimal import Decimal

from . import _kinds as K
from ._types import Entry, Frame, Line, Problem, Tokens
from .errors import FramingError
from ._fastjson import dumps, entries_json  # the JSON writer, in its own module
from ._fastjson cimport scalar_json
from .obis import ObisCode
from .obis import spelling_problem as _spelling_problem
from ._unknown import unknown_entry as _unknown_entry
from .values import (
    SENTINEL_TIMESTAMPS,
    decode_hex_text,
    flag_problem as _flag_problem,
    parse_integer,
    parse_quantity,
    parse_timestamp,
    time_context as _time_context,
    units_equal,
)

from ._capi cimport (
    PyDict_GetItemWithError,
    PyLong_AsLongAndOverflow,
    Py_UCS1,
    PyUnicode_1BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_Substring,
    _PyTuple_Resize,
)

# The records are NamedTuples, i.e. tuple subclasses without a __dict__: allocating them with the
# type's tp_alloc and filling the slots is what tuple.__new__(Line, ...) does, minus the call and
# the temporary tuple (several times faster on the hot path).
cdef extern from *:
    """
    /* A tuple whose items are all untracked by the cycle collector can never be part of a
       cycle; CPython untracks such tuples itself, but only lazily, during a collection. Doing it
       now keeps the thousands of records of a batch out of every later collection, which
       otherwise costs more than the parsing once many telegrams are alive at once. */
    static void dsmr_untrack_if_atomic(PyObject *tup) {
        Py_ssize_t i, n = PyTuple_GET_SIZE(tup);
        PyObject *item;
        for (i = 0; i < n; i++) {
            item = PyTuple_GET_ITEM(tup, i);
            /* str, int, Decimal, datetime, None: not collectable at all, no call needed */
            if (PyType_IS_GC(Py_TYPE(item)) && PyObject_GC_IsTracked(item)) return;
        }
        PyObject_GC_UnTrack(tup);
    }
    /* A record (a NamedTuple: a tuple subclass with no __dict__ and the generic allocator)
       is allocated untracked and only tracked when an item could be part of a cycle, which
       saves the zeroing and the track/untrack pair of tp_alloc on every record. */
    static PyObject *dsmr_record(PyObject *type, Py_ssize_t n, PyObject **items) {
        PyTypeObject *tp = (PyTypeObject *)type;
        PyObject *rec, *item;
        Py_ssize_t i;
        int atomic = 1;
        if (tp->tp_alloc != PyType_GenericAlloc || tp->tp_itemsize != sizeof(PyObject *)
                || tp->tp_basicsize != PyTuple_Type.tp_basicsize || !PyType_IS_GC(tp)) {
            rec = tp->tp_alloc(tp, n);  /* not the plain layout: the type's own way */
            if (rec == NULL) return NULL;
            for (i = 0; i < n; i++) {
                Py_INCREF(items[i]);
                PyTuple_SET_ITEM(rec, i, items[i]);
            }
            dsmr_untrack_if_atomic(rec);
            return rec;
        }
        rec = (PyObject *)_PyObject_GC_NewVar(tp, n);  /* (INCREFs a heap type, as tp_alloc) */
        if (rec == NULL) return NULL;
        for (i = 0; i < n; i++) {
            item = items[i];
            Py_INCREF(item);
            PyTuple_SET_ITEM(rec, i, item);
            if (atomic && PyType_IS_GC(Py_TYPE(item)) && PyObject_GC_IsTracked(item)) atomic = 0;
        }
        if (!atomic) PyObject_GC_Track(rec);
        return rec;
    }
    static PyObject *dsmr_rec4(PyObject *t, PyObject *a, PyObject *b, PyObject *c, PyObject *d) {
        PyObject *v[4] = {a, b, c, d};
        return dsmr_record(t, 4, v);
    }
    static PyObject *dsmr_rec5(PyObject *t, PyObject *a, PyObject *b, PyObject *c, PyObject *d,
                               PyObject *e) {
        PyObject *v[5] = {a, b, c, d, e};
        return dsmr_record(t, 5, v);
    }
    static PyObject *dsmr_rec9(PyObject *t, PyObject *a, PyObject *b, PyObject *c, PyObject *d,
                               PyObject *e, PyObject *f, PyObject *g, PyObject *h, PyObject *i) {
        PyObject *v[9] = {a, b, c, d, e, f, g, h, i};
        return dsmr_record(t, 9, v);
    }
    static PyObject *dsmr_rec11(PyObject *t, PyObject *a, PyObject *b, PyObject *c, PyObject *d,
                                PyObject *e, PyObject *f, PyObject *g, PyObject *h, PyObject *i,
                                PyObject *j, PyObject *k) {
        PyObject *v[11] = {a, b, c, d, e, f, g, h, i, j, k};
        return dsmr_record(t, 11, v);
    }
    """
    void dsmr_untrack_if_atomic(object tup)
    object dsmr_rec4(object t, object a, object b, object c, object d)
    object dsmr_rec5(object t, object a, object b, object c, object d, object e)
    object dsmr_rec9(object t, object a, object b, object c, object d, object e, object f,
                     object g, object h, object i)
    object dsmr_rec11(object t, object a, object b, object c, object d, object e, object f,
                      object g, object h, object i, object j, object k)

import_datetime()

import collections.abc

NAME = "cython"
DEFAULT_MAX_FRAME = 8192

__all__ = [
    "NAME", "crc16", "tokenize", "convert", "clear_memo", "freeze", "entries_json", "dumps",
    "FrameScanner", "Frame", "DEFAULT_MAX_FRAME", "complex_value",
]

# Module-level references the hot loops use without a dict lookup.
cdef object _Line = Line
cdef object _Problem = Problem
cdef object _Tokens = Tokens
cdef object _Entry = Entry
cdef object _Frame = Frame
cdef object _Decimal = Decimal
cdef object _parse_quantity = parse_quantity
cdef object _parse_integer = parse_integer
cdef object _parse_timestamp = parse_timestamp
cdef object _decode_hex_text = decode_hex_text
cdef object _units_equal = units_equal
cdef object _NOFAST = object()  # "the fast path cannot say: ask the Python function"

cdef int _QUANTITY = K.QUANTITY
cdef int _INTEGER = K.INTEGER
cdef int _TEXT = K.TEXT
cdef int _HEX_TEXT = K.HEX_TEXT
cdef int _TIMESTAMP = K.TIMESTAMP
cdef int _TIMESTAMPED = K.TIMESTAMPED
cdef int _COMPLEX = K.COMPLEX

# --------------------------------------------------------------------------------------------
# byte classes, built from Python's own rules so the C loops agree with str methods exactly

cdef bint _ISSPACE[256]   # str.isspace() of the latin-1 character (what str.strip() removes)
cdef bint _ISHEX[256]
cdef bint _SKIPPABLE[256]  # white space and padding between frames

cdef void _init_classes():
    # Python sets on purpose: Cython turns "c in b'...'" into a (signed) char compare
    skippable = frozenset(b" \t\r\n\x00\xff")
    hexdigits = frozenset(b"0123456789abcdefABCDEF")
    for i in range(256):
        _ISSPACE[i] = chr(i).isspace()
        _ISHEX[i] = i in hexdigits
        _SKIPPABLE[i] = i in skippable

_init_classes()

cdef inline bint _isdigit(Py_UCS1 c) noexcept nogil:
    return 0x30 <= c <= 0x39

cdef inline int _hexval(Py_UCS1 c) noexcept nogil:
    if 0x30 <= c <= 0x39:
        return c - 0x30
    c |= 0x20
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    return -1

# --------------------------------------------------------------------------------------------
# CRC-16/ARC, slicing-by-16: sixteen 256-entry tables (8 KiB, stays in L1), sixteen input bytes
# per step with independent lookups

cdef uint16_t _T[16][256]

cdef void _init_crc_tables() noexcept:
    cdef int i, k
    cdef uint16_t crc
    for i in range(256):
        crc = <uint16_t>i
        for k in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        _T[0][i] = crc
    for i in range(256):
        crc = _T[0][i]
        for k in range(1, 16):
            crc = (crc >> 8) ^ _T[0][crc & 0xFF]
            _T[k][i] = crc

_init_crc_tables()


cdef inline uint16_t _crc_update(uint16_t crc, const unsigned char* p, Py_ssize_t n) noexcept nogil:
    # T[k][b] is byte b followed by k zero bytes; the CRC enters through the first two bytes
    while n >= 16:
        crc ^= <uint16_t>(p[0] | (p[1] << 8))
        crc = (_T[15][crc & 0xFF] ^ _T[14][crc >> 8] ^ _T[13][p[2]] ^ _T[12][p[3]]
               ^ _T[11][p[4]] ^ _T[10][p[5]] ^ _T[9][p[6]] ^ _T[8][p[7]]
               ^ _T[7][p[8]] ^ _T[6][p[9]] ^ _T[5][p[10]] ^ _T[4][p[11]]
               ^ _T[3][p[12]] ^ _T[2][p[13]] ^ _T[1][p[14]] ^ _T[0][p[15]])
        p += 16
        n -= 16
    while n > 0:
        crc = (crc >> 8) ^ _T[0][(crc ^ p[0]) & 0xFF]
        p += 1
        n -= 1
    return crc


cdef uint16_t _crc_lf_as_crlf(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """CRC of p[0:n] with every bare LF read as CR LF, without making the copy."""
    cdef uint16_t crc = 0
    cdef const unsigned char* nl
    cdef Py_ssize_t i = 0, at
    while i < n:
        nl = <const unsigned char*>memchr(p + i, 0x0A, n - i)
        if nl == NULL:
            return _crc_update(crc, p + i, n - i)
        at = nl - p
        crc = _crc_update(crc, p + i, at - i)
        if at == 0 or p[at - 1] != 0x0D:
            crc = (crc >> 8) ^ _T[0][(crc ^ 0x0D) & 0xFF]
        crc = (crc >> 8) ^ _T[0][(crc ^ 0x0A) & 0xFF]
        i = at + 1
    return crc


def crc16(data) -> int:
    """CRC-16/ARC of ``data`` (the DSMR telegram CRC, computed over ``/`` through ``!``)."""
    cdef Py_buffer view
    cdef uint16_t crc
    if PyBytes_CheckExact(data):
        return _crc_update(0, <const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data))
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    with nogil:
        crc = _crc_update(0, <const unsigned char*>view.buf, view.len)
    PyBuffer_Release(&view)
    return crc


# --------------------------------------------------------------------------------------------
# tokenizer

_CANONICAL = re.compile(r"^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}$")
cdef dict _obis_cache = {}


cdef inline Py_ssize_t _digits(const Py_UCS1* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """Index after 1 to 3 ASCII digits at s[i], -1 when there are none."""
    cdef Py_ssize_t j = i
    while j < n and j - i < 3 and _isdigit(s[j]):
        j += 1
    return j if j > i else -1


cdef bint _is_plain(const Py_UCS1* s, Py_ssize_t n) noexcept nogil:
    """A canonical code whose groups are all 0 to 255 (the pure twin's _PLAIN)."""
    cdef Py_ssize_t i = 0, j
    cdef int field, value
    cdef Py_UCS1 seps[4]
    seps[0] = 0x2D  # -
    seps[1] = 0x3A  # :
    seps[2] = 0x2E  # .
    seps[3] = 0x2E
    for field in range(5):
        j = i
        value = 0
        while i < n and i - j < 3 and _isdigit(s[i]):
            value = value * 10 + (s[i] - 0x30)
            i += 1
        if i == j or value > 255:
            return False
        if field == 4:
            return i == n
        if i >= n or s[i] != seps[field]:
            return False
        i += 1
    return False


cdef bint _is_canonical(const Py_UCS1* s, Py_ssize_t n) noexcept nogil:
    """``A-B:C.D.E`` with 1 to 3 ASCII digits each: a subset of what _CANONICAL accepts."""
    cdef Py_ssize_t i = 0
    cdef int field
    cdef Py_UCS1 seps[4]
    seps[0] = 0x2D  # -
    seps[1] = 0x3A  # :
    seps[2] = 0x2E  # .
    seps[3] = 0x2E
    for field in range(5):
        i = _digits(s, i, n)
        if i < 0:
            return False
        if field == 4:
            return i == n
        if i >= n or s[i] != seps[field]:
            return False
        i += 1
    return False


cdef object _canonical_slow(str code):
    # exactly the pure twin's canonical_obis
    if _CANONICAL.match(code):
        return code
    cached = _obis_cache.get(code, _NOFAST)
    if cached is not _NOFAST:
        return cached
    try:
        cached = str(ObisCode.parse(code))
    except ValueError:
        cached = None
    if len(_obis_cache) < 4096:
        _obis_cache[code] = cached
    return cached


def canonical_obis(str code):
    """``1-0:1.8.0*255`` -> ``1-0:1.8.0``; None when the text is no OBIS code."""
    if PyUnicode_KIND(code) == PyUnicode_1BYTE_KIND and _is_canonical(
        <const Py_UCS1*>PyUnicode_DATA(code), PyUnicode_GET_LENGTH(code)
    ):
        return code
    return _canonical_slow(code)


# Canonical OBIS codes seen lately, by a hash of their bytes: a telegram repeats the same ~35
# codes every second, so reusing the str objects saves an allocation and a pattern check per
# line, and their cached str hash makes the plan lookups in convert() cheaper too. Two-way sets,
# so that two codes of one telegram that hash alike do not evict each other every telegram; a
# slot keeps the first and last 8 bytes of its code, so a hit costs two integer compares.
# Bounded: one strong reference per slot.
cdef struct _ObisSlot:
    uint64_t head  # the code's first 8 bytes
    uint64_t tail  # and its last 8 (they overlap, and cover every byte of a code up to 16 long)
    Py_ssize_t size  # (OBIS slots: negative when the code is not written plainly, _is_plain)
    PyObject* code
    PyObject* note  # OBIS slots: _spelling_pair of the code's spelling once asked, else NULL

cdef enum:
    _OBIS_SETS = 512  # of two slots each
cdef _ObisSlot _obis_slots[2 * _OBIS_SETS]


cdef bint _plain = True  # what the last _obis_code call said of its code (_is_plain)
cdef _ObisSlot* _last_slot = NULL  # the slot the last _obis_code call found or filled, if any


cdef object _obis_code(const unsigned char* s, Py_ssize_t n):
    """The canonical code for s[0:n] (stripped code text), None when it is no OBIS code; _plain
    says whether s[0:n] was written plainly (_is_plain), kept in the slot with the code."""
    # (_plain and _last_slot are set after the last call that may run Python code, so another
    # thread's tokenizer cannot change them between here and the caller's look)
    global _plain, _last_slot
    cdef uint64_t head = 0, tail = 0
    cdef size_t h
    cdef _ObisSlot* slot
    cdef bint plain
    if n > 19 or n < 9:  # outside "1-2:3.4.5" ... "123-123:123.123.123": never canonical
        code = _canonical_slow(_text(s, 0, n))
        _plain = False
        _last_slot = NULL
        return code
    memcpy(&head, s, 8)
    memcpy(&tail, s + n - 8, 8)
    h = 2 * <size_t>(
        ((head * 0x9E3779B97F4A7C15ULL) ^ (tail + <uint64_t>n)) * 0xFF51AFD7ED558CCDULL >> 55
    )
    cdef size_t j
    for j in range(h, h + 2):
        slot = &_obis_slots[j]
        if (
            slot.code != NULL and slot.head == head and slot.tail == tail
            and (slot.size == n or slot.size == -n)
            and (n <= 16 or memcmp(PyUnicode_DATA(<object>slot.code), s, n) == 0)
        ):
            _plain = slot.size > 0
            _last_slot = slot
            return <object>slot.code
    plain = _is_plain(s, n)
    if _is_canonical(s, n):
        code = _text(s, 0, n)
    else:  # "1-0:1.8.0*255" and other spellings: kept by their own bytes if they have a code
        code = _canonical_slow(_text(s, 0, n))
        if code is None or n > 16:  # (past 16 bytes the compare needs the text itself)
            _plain = plain
            _last_slot = NULL
            return code
    _plain = plain
    _last_slot = _keep(&_obis_slots[h], head, tail, n if plain else -n, code)
    return code


cdef _ObisSlot* _keep(_ObisSlot* pair, uint64_t head, uint64_t tail, Py_ssize_t size,
                      object obj):
    """Keep obj in a two-way set: in a free slot, else in the first, whose entry moves to the
    second in place of the older one (look-ups try the first slot first). Gives the slot."""
    cdef _ObisSlot* slot = pair
    if pair[0].code != NULL:
        if pair[1].code == NULL:
            slot = pair + 1
        else:
            Py_XDECREF(pair[1].code)
            Py_XDECREF(pair[1].note)
            pair[1] = pair[0]
            pair[0].code = NULL
    Py_INCREF(obj)
    slot.code = <PyObject*>obj
    slot.note = NULL
    slot.head = head
    slot.tail = tail
    slot.size = size
    return slot


cdef inline str _text(const unsigned char* p, Py_ssize_t a, Py_ssize_t b):
    """p[a:b] decoded as latin-1 (what the pure twin's ``body.decode("latin-1")`` slices give)."""
    return PyUnicode_DecodeLatin1(<const char*>(p + a), b - a, NULL)


def tokenize(data) -> Tokens:
    """One pass over one telegram: header, object lines, CRC status, line endings.

    Raises :class:`FramingError` when there is no ``/`` header at all; everything else wrong is
    reported in ``Tokens.problems``. ``Tokens.lines`` is a :class:`LineTable`.
    """
    if not PyBytes_CheckExact(data):
        data = bytes(data)  # the table keeps the bytes its spans point into
    return _tokenize(<bytes>data)


# --------------------------------------------------------------------------------------------
# the line table: Tokens.lines without a Python object per line

cdef struct _LineRec:
    int32_t number  # 1-based line number
    int32_t offset  # of the line's first byte
    int32_t stop    # end of its last text (continuation lines included, CR excluded)
    int32_t first   # its first group in the span array
    int32_t count   # its number of groups

cdef enum:
    _SMALL_INTS = 8192  # line numbers and offsets of any real telegram
    _STACK_LINES = 96   # a table is built in these, then copied to one block of its exact size
    _STACK_GROUPS = 192
cdef PyObject* _small_ints[_SMALL_INTS]


cdef inline object _int(Py_ssize_t v):
    """A Python int for v; the first 8192 are made once and shared, like CPython's own -5..256,
    which saves an allocation per line number and offset."""
    cdef object obj
    if v < 0 or v >= _SMALL_INTS:
        return PyLong_FromSsize_t(v)
    if _small_ints[v] == NULL:
        obj = PyLong_FromSsize_t(v)
        Py_INCREF(obj)
        _small_ints[v] = <PyObject*>obj
    return <object>_small_ints[v]


cdef void* _grown(void* old, bint on_heap, Py_ssize_t used, Py_ssize_t cap) except NULL:
    """A heap copy of an array of ``used`` bytes with room for ``cap`` (the stack one stays)."""
    cdef void* mem
    if on_heap:
        mem = realloc(old, cap)
    else:
        mem = malloc(cap)
        if mem != NULL:
            memcpy(mem, old, used)
    if mem == NULL:
        raise MemoryError()
    return mem


cdef bint _all_ascii(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """No byte of p[0:n] has its high bit set (eight at a time)."""
    cdef uint64_t acc = 0, word
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&word, p + i, 8)
        acc |= word
        i += 8
    while i < n:
        acc |= p[i]
        i += 1
    return (acc & 0x8080808080808080ULL) == 0


cdef tuple _tuple_grown(tuple old):
    """A tuple twice as long holding old's items (moved, not copied); the rest NULL."""
    cdef Py_ssize_t i, n = PyTuple_GET_SIZE(old)
    cdef tuple new = PyTuple_New(2 * n)
    cdef PyObject* item
    for i in range(n):
        item = PyTuple_GET_ITEM(old, i)
        Py_XINCREF(item)
        PyTuple_SET_ITEM(new, i, <object>item)
    return new


@cython.final
@cython.no_gc  # bytes and a tuple of str: it can never be part of a cycle
cdef class LineTable:
    """The object lines of one telegram as spans into its bytes (the compiled twin's
    ``Tokens.lines``).

    A read-only sequence of :class:`Line`, equal to the pure twin's list; each ``Line`` is made
    when it is asked for. ``convert()`` reads the spans directly, so the hot path builds no object
    per line except the entry itself.
    """

    cdef readonly bytes data
    cdef readonly tuple codes  # the canonical OBIS code of each line (Tokens.codes)
    cdef _LineRec* recs
    cdef int32_t* spans  # start, end of each group's text (inside the parentheses)
    cdef Py_ssize_t nlines, cap_lines, ngroups, cap_groups
    cdef void* block  # what this table owns once settled: recs and spans in one allocation
    cdef bint recs_on_heap, spans_on_heap  # while building: grown past the caller's stack arrays
    cdef bint ascii  # every byte of the telegram is ASCII: group texts need no widest-char scan

    def __cinit__(self):
        self.recs = NULL
        self.spans = NULL
        self.block = NULL
        self.recs_on_heap = self.spans_on_heap = False
        self.nlines = self.cap_lines = self.ngroups = self.cap_groups = 0

    def __dealloc__(self):
        free(self.block)
        if self.recs_on_heap:
            free(self.recs)
        if self.spans_on_heap:
            free(self.spans)

    cdef inline int add_line(
        self, object code, Py_ssize_t number, Py_ssize_t offset, Py_ssize_t stop
    ) except -1:
        if self.nlines == self.cap_lines:
            self.recs = <_LineRec*>_grown(
                self.recs, self.recs_on_heap, self.nlines * sizeof(_LineRec),
                2 * self.cap_lines * sizeof(_LineRec),
            )
            self.recs_on_heap = True
            self.cap_lines *= 2
        if self.nlines == PyTuple_GET_SIZE(self.codes):
            self.codes = _tuple_grown(self.codes)
        Py_INCREF(code)  # PyTuple_SET_ITEM steals it
        PyTuple_SET_ITEM(self.codes, self.nlines, code)
        self.recs[self.nlines] = _LineRec(
            <int32_t>number, <int32_t>offset, <int32_t>stop, <int32_t>self.ngroups, 0
        )
        self.nlines += 1
        return 0

    cdef inline int pending_group(self, Py_ssize_t k, Py_ssize_t a, Py_ssize_t b) except -1:
        """Group k of the line being read, kept after the table's groups until committed."""
        cdef Py_ssize_t i = self.ngroups + k
        if i == self.cap_groups:
            self.spans = <int32_t*>_grown(
                self.spans, self.spans_on_heap, 2 * i * sizeof(int32_t),
                4 * self.cap_groups * sizeof(int32_t),
            )
            self.spans_on_heap = True
            self.cap_groups *= 2
        self.spans[2 * i] = <int32_t>a
        self.spans[2 * i + 1] = <int32_t>b
        return 0

    cdef inline void commit_groups(self, Py_ssize_t count) noexcept:
        """The pending groups belong to the last line (a continuation line's extend it)."""
        self.ngroups += count
        self.recs[self.nlines - 1].count += <int32_t>count

    cdef int settle(self) except -1:
        """Move the arrays off the builder's stack into one block of their exact size."""
        cdef size_t size_recs = self.nlines * sizeof(_LineRec)
        cdef size_t size_spans = 2 * self.ngroups * sizeof(int32_t)
        cdef char* block = <char*>malloc(size_recs + size_spans + 1)
        if block == NULL:
            raise MemoryError()
        memcpy(block, self.recs, size_recs)
        memcpy(block + size_recs, self.spans, size_spans)
        if self.recs_on_heap:
            free(self.recs)
        if self.spans_on_heap:
            free(self.spans)
        self.recs_on_heap = self.spans_on_heap = False
        self.block = block
        self.recs = <_LineRec*>block
        self.spans = <int32_t*>(block + size_recs)
        self.cap_lines = self.nlines
        self.cap_groups = self.ngroups
        cdef PyObject* codes = <PyObject*>self.codes
        if PyTuple_GET_SIZE(self.codes) != self.nlines:  # in place: ours is the only reference
            Py_INCREF(<object>codes)
            self.codes = None
            _PyTuple_Resize(&codes, self.nlines)
            self.codes = <tuple>codes
            Py_XDECREF(codes)
        dsmr_untrack_if_atomic(self.codes)
        return 0

    cdef tuple groups(self, Py_ssize_t i):
        cdef _LineRec* r = &self.recs[i]
        cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(self.data)
        cdef Py_ssize_t k
        cdef tuple out = PyTuple_New(r.count)
        cdef Py_ssize_t a, b
        for k in range(r.count):
            a = self.spans[2 * (r.first + k)]
            b = self.spans[2 * (r.first + k) + 1]
            if self.ascii:
                item = PyUnicode_New(b - a, 127)
                memcpy(PyUnicode_DATA(item), p + a, b - a)
            else:
                item = _text(p, a, b)
            Py_INCREF(item)  # PyTuple_SET_ITEM steals it
            PyTuple_SET_ITEM(out, k, item)
        dsmr_untrack_if_atomic(out)
        return out

    cdef object line(self, Py_ssize_t i):
        cdef _LineRec* r = &self.recs[i]
        return dsmr_rec4(
            _Line, <object>PyTuple_GET_ITEM(self.codes, i), self.groups(i), _int(r.number),
            _int(r.offset),
        )

    def __len__(self):
        return self.nlines

    def __getitem__(self, index):
        cdef Py_ssize_t i
        if isinstance(index, slice):
            return [self.line(i) for i in range(*index.indices(self.nlines))]
        i = index
        if i < 0:
            i += self.nlines
        if i < 0 or i >= self.nlines:
            raise IndexError("line index out of range")
        return self.line(i)

    def __iter__(self):
        cdef Py_ssize_t i
        for i in range(self.nlines):
            yield self.line(i)

    def __eq__(self, other):
        if isinstance(other, (LineTable, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, (LineTable, list, tuple)):
            return list(self) != list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return repr(list(self))  # shown as the list it stands for, like the pure twin's

    def __reduce__(self):
        return (list, (list(self),))  # what the pure twin's Tokens.lines is


cdef inline bint _looks_like_header(const unsigned char* q) noexcept:
    """``/XXXZ`` after the slash: three letters, then the baud-rate digit (``/NWA-`` too)."""
    cdef int i
    for i in range(3):
        if (q[i] & 0xDF) < 0x41 or (q[i] & 0xDF) > 0x5A:  # & 0xDF: ASCII upper case
            return False
    return (0x30 <= q[3] <= 0x39) or q[3] == 0x2D


cdef Py_ssize_t _header_start(const unsigned char* p, Py_ssize_t n) noexcept:
    """Offset of the header's "/", or -1: the pure twin's _header_start (the first byte past
    padding when it is "/"; else the first /XXXn; else the first "/" at a line start)."""
    cdef const unsigned char* hit
    cdef Py_ssize_t pos = 0
    while pos < n and _SKIPPABLE[p[pos]]:
        pos += 1
    if pos < n and p[pos] == 0x2F:
        return pos
    pos = 0
    while pos < n:
        hit = <const unsigned char*>memchr(p + pos, 0x2F, n - pos)
        if hit == NULL:
            break
        pos = hit - p
        if pos + 5 <= n and _looks_like_header(p + pos + 1):
            return pos
        pos += 1
    for pos in range(1, n):
        if p[pos] == 0x2F and p[pos - 1] == 0x0A:
            return pos
    return -1


cdef object _odd_header(const unsigned char* p, Py_ssize_t n, Py_ssize_t start):
    """The framing problem of an identification line that is not /XXXn... (as the pure twin)."""
    cdef Py_ssize_t e = start
    while e < n and p[e] != 0x0A:
        e += 1
    while e > start and p[e - 1] == 0x0D:
        e -= 1
    line = _text(p, start, e)
    return dsmr_rec5(
        _Problem, "framing",
        f"identification line {line[:40]!r} is not '/XXXn...' (three letters, a baud digit)",
        1, start, None,
    )


cdef list _syntax(list found, str message, object line, object offset):
    """found (made on the first problem: most telegrams have none) with one more syntax problem."""
    if found is None:
        found = []
    found.append(dsmr_rec5(_Problem, "syntax", message, line, offset, None))
    return found


# The syntax problems of a code spelling, as obis.spelling_problem gives them: they depend on the
# spelling's text only, so each spelling costs the Python call once (kept in its OBIS slot, or
# here when the spelling has none): a meter that writes "1-0:1.8.0*255" on every line would
# otherwise pay a regular expression per line and telegram.
cdef dict _spelling_cache = {}


cdef tuple _spelling_pair(str code, object obis):
    """(problems when the code touches its "(", problems when a space comes between)."""
    pair = _spelling_cache.get(code)
    if pair is None:
        pair = (
            tuple(_spelling_problem(code, obis, False)), tuple(_spelling_problem(code, obis, True))
        )
        if len(_spelling_cache) < 4096:
            _spelling_cache[code] = pair
    return <tuple>pair


cdef list _spelling(list found, const unsigned char* p, Py_ssize_t a, Py_ssize_t b, object obis,
                    bint spaced, object line, object offset):
    """found with the syntax problems of a line whose code p[a:b] was read as obis (what
    obis.spelling_problem says), the code being the one the last _obis_code call looked at."""
    cdef _ObisSlot* slot = _last_slot
    cdef _ObisSlot seen
    seen.code = NULL
    seen.head = seen.tail = 0
    seen.size = 0
    if slot != NULL and slot.note != NULL:
        pair = <tuple>slot.note
    else:
        if slot != NULL:
            seen = slot[0]
        pair = _spelling_pair(_text(p, a, b), obis)
        # (the Python call may let another thread refill the slot: keep the pair only in the
        # slot of this very spelling)
        if (
            slot != NULL and slot.note == NULL and slot.code == seen.code
            and slot.head == seen.head and slot.tail == seen.tail and slot.size == seen.size
        ):
            Py_INCREF(pair)
            slot.note = <PyObject*>pair
    for message in <tuple>(<tuple>pair)[1 if spaced else 0]:
        if found is None:
            found = []
        found.append(dsmr_rec5(_Problem, "syntax", message, line, offset, obis))
    return found


cdef object _tokenize(bytes data):
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t n = len(data)
    cdef const unsigned char* hit
    cdef Py_ssize_t start, i, seg, segend, e, a, b, paren, pos, close, bang = -1, end
    cdef Py_ssize_t number = 1, nl_count = 0, crlf_count = 0, ngroups, k
    cdef Py_ssize_t body_end, crc_len
    cdef bint has_end = False, last, crc_repaired = False
    cdef int crc_given = -1
    cdef uint16_t computed, repaired
    cdef LineTable table = LineTable.__new__(LineTable)
    cdef _LineRec stack_recs[_STACK_LINES]
    cdef int32_t stack_spans[2 * _STACK_GROUPS]
    cdef list line_problems = None
    cdef list problems
    cdef object header = None, obis

    if n > 0x7FFFFFFF:  # spans are 32-bit; no stream that long is one telegram
        raise FramingError(f"{n} bytes is no single telegram", offset=0)
    start = _header_start(p, n)
    if start < 0:
        raise FramingError("no header ('/' at a line start) found", offset=0)
    table.recs = stack_recs
    table.cap_lines = _STACK_LINES
    table.codes = PyTuple_New(_STACK_LINES)
    table.spans = stack_spans
    table.cap_groups = _STACK_GROUPS
    problems = []
    if start:
        for i in range(start):
            if not _SKIPPABLE[p[i]]:
                problems.append(dsmr_rec5(
                    _Problem, "framing", f"{start} bytes of noise before the '/' header", 1, 0, None
                ))
                break
    if start + 5 > n or not _looks_like_header(p + start + 1):
        problems.append(_odd_header(p, n, start))

    # the one pass: raw lines split at LF until the first LF followed by "!"
    seg = start
    while True:
        hit = <const unsigned char*>memchr(p + seg, 0x0A, n - seg)
        last = hit == NULL
        if last:
            segend = n
        else:
            segend = hit - p
            nl_count += 1
            if p[segend - 1] == 0x0D:  # segend > start: p[start] is "/"
                crlf_count += 1
        e = segend  # raw.rstrip("\r")
        while e > seg and p[e - 1] == 0x0D:
            e -= 1
        if number == 1:
            header = _text(p, start + 1, e)
        else:
            # skip blank lines (line.strip() empty)
            a = seg
            while a < e and _ISSPACE[p[a]]:
                a += 1
            if a < e:
                hit = <const unsigned char*>memchr(p + seg, 0x28, e - seg)
                if hit == NULL:
                    line_problems = _syntax(
                        line_problems, f"no '(' in object line {_text(p, seg, min(e, seg + 40))!r}",
                        number, seg,
                    )
                else:
                    paren = hit - p
                    # the groups go after the table's last one, and count once the line is good
                    ngroups = 0
                    pos = paren
                    while pos < e:
                        if p[pos] == 0x28:
                            hit = <const unsigned char*>memchr(p + pos + 1, 0x29, e - pos - 1)
                            if hit == NULL:
                                line_problems = _syntax(
                                    line_problems, "unterminated '(' group", number, pos
                                )
                                ngroups = -1
                                break
                            table.pending_group(ngroups, pos + 1, hit - p)
                            ngroups += 1
                            pos = hit - p + 1
                        elif p[pos] == 0x20 or p[pos] == 0x09:
                            pos += 1
                        else:
                            line_problems = _syntax(
                                line_problems, f"unexpected {chr(p[pos])!r} after a group",
                                number, pos,
                            )
                            ngroups = -1
                            break
                    if ngroups > 0:
                        # the code before "(", stripped; empty means a continuation line
                        a = seg
                        b = paren
                        while a < b and _ISSPACE[p[a]]:
                            a += 1
                        while b > a and _ISSPACE[p[b - 1]]:
                            b -= 1
                        if a == b:
                            if table.nlines == 0:
                                line_problems = _syntax(
                                    line_problems, "continuation line before any object",
                                    number, seg,
                                )
                            else:
                                table.recs[table.nlines - 1].stop = e
                                table.commit_groups(ngroups)
                        else:
                            obis = _obis_code(p + a, b - a)
                            if obis is None:
                                line_problems = _syntax(
                                    line_problems,
                                    f"not an OBIS code: {_text(p, a, min(b, a + 40))!r}",
                                    number, seg,
                                )
                            else:
                                if b != paren or not _plain:
                                    line_problems = _spelling(
                                        line_problems, p, a, b, obis, b != paren, number, seg,
                                    )
                                table.add_line(obis, number, seg, e)
                                table.commit_groups(ngroups)
        if last:
            break
        if segend + 1 < n and p[segend + 1] == 0x21:  # "\n!": the end line
            has_end = True
            bang = segend
            break
        seg = segend + 1
        number += 1

    # the CRC, right after the pass, over "/" through "!"
    if has_end:
        body_end = bang + 2
        end = body_end
        while end < n and end < body_end + 4 and _ISHEX[p[end]]:
            end += 1
        crc_len = end - body_end
    else:
        body_end = n
        end = n
        crc_len = 0
        problems.append(dsmr_rec5(
            _Problem, "framing", "no '!' end line: telegram is incomplete", None, end, None
        ))

    if crlf_count == nl_count:
        line_ending = "CRLF"
    elif crlf_count == 0:
        line_ending = "LF"
    else:
        line_ending = "mixed"

    if line_ending == "LF":
        computed = _crc_lf_as_crlf(p + start, body_end - start)
    else:
        computed = _crc_update(0, p + start, body_end - start)
    if crc_len == 0:
        crc = "absent"
    elif crc_len < 3:
        crc = "bad"
        problems.append(dsmr_rec5(
            _Problem, "crc", f"CRC {_text(p, body_end, end)!r} is not 3 or 4 hex digits",
            None, body_end, None,
        ))
    else:
        crc_given = 0
        for i in range(body_end, end):
            crc_given = crc_given * 16 + _hexval(p[i])
        if line_ending == "mixed" and crc_given != computed:
            repaired = _crc_lf_as_crlf(p + start, body_end - start)
            if repaired == crc_given:
                computed = repaired
                crc_repaired = True
        elif line_ending == "LF":
            if crc_given == computed:
                crc_repaired = True
            else:  # a device that computed it over the LF-only bytes as sent
                repaired = _crc_update(0, p + start, body_end - start)
                if repaired == crc_given:
                    computed = repaired
        if crc_given == computed:
            crc = "ok"
        else:
            crc = "bad"
            problems.append(dsmr_rec5(
                _Problem, "crc",
                f"CRC mismatch: telegram says {crc_given:04X}, computed {computed:04X}",
                None, body_end, None,
            ))
    if crc != "ok":
        crc_repaired = False
    if line_problems is not None:
        problems.extend(line_problems)
    table.settle()
    table.ascii = _all_ascii(p, n)
    table.data = data
    return dsmr_rec11(
        _Tokens, header, table, crc, crc_given, computed, line_ending, crc_repaired, problems,
        start, end, table.codes,
    )



# --------------------------------------------------------------------------------------------
# typed values

# the sentinel dates of values.SENTINEL_TIMESTAMPS that a 12-digit stamp can equal
cdef bytes _SENTINELS12 = b"".join(
    sorted(s.encode("ascii") for s in SENTINEL_TIMESTAMPS if len(s) == 12 and s.isascii())
)
cdef const char* _SENTINELS = _SENTINELS12  # kept alive by the bytes object above
cdef int _NSENTINELS = len(_SENTINELS12) // 12
cdef const char* _SENTINEL_PREFIX = b"632525252525"  # values.parse_timestamp's startswith()
cdef int _DAYS[13]
_DAYS[:] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


cdef inline const Py_UCS1* _ucs1(object text, Py_ssize_t* size):
    """The characters of an exact str of the 1-byte kind, NULL for anything else."""
    if not PyUnicode_CheckExact(text) or PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND:
        return NULL
    size[0] = PyUnicode_GET_LENGTH(text)
    return <const Py_UCS1*>PyUnicode_DATA(text)


cdef Py_ssize_t _number_end(const Py_UCS1* s, Py_ssize_t n, bint integer) noexcept nogil:
    """Where a plain number ``[+-]?digits[.digits]`` (integer: ``[+-]?digits``, at most 18)
    ends: at n or at the ``*`` before a unit. -1 when values.py must judge the text (white space,
    an odd spelling, an error to word)."""
    cdef Py_ssize_t i = 0, before, after = 0
    if n and (s[0] == 0x2B or s[0] == 0x2D):  # + -
        i = 1
    before = i
    while i < n and _isdigit(s[i]):
        i += 1
    before = i - before
    if integer:
        if before == 0 or before > 18:
            return -1
    elif i < n and s[i] == 0x2E:  # "."
        i += 1
        while i < n and _isdigit(s[i]):
            i += 1
            after += 1
        if before == 0 and after == 0:
            return -1
    elif before == 0:
        return -1
    if i == n:
        return n
    if s[i] != 0x2A:  # "*"
        return -1
    # values.split_unit strips the unit: leave padded units to it
    if i + 1 < n and (_ISSPACE[s[i + 1]] or _ISSPACE[s[n - 1]]):
        return -1
    return i


cdef object _unit(object text, const Py_UCS1* s, Py_ssize_t a, Py_ssize_t n, object expected):
    """text[a:n]; the profile's own unit object when equal (no new string, cheaper compare)."""
    cdef Py_ssize_t m
    cdef const Py_UCS1* e = _ucs1(expected, &m)
    if e != NULL and m == n - a and memcmp(e, s + a, m) == 0:
        return expected
    return PyUnicode_Substring(text, a, n)


# Register texts seen lately -> their Decimal. Building a Decimal is the largest single cost of a
# quantity, and a meter repeats most of its registers from one telegram to the next (energy counts
# change a few times a minute, voltages and currents move within a few values). Decimals are
# immutable and exact whatever the context, so sharing one is invisible to users.
# Kept in slots by the number's bytes (a slot holds up to 16: its first and last 8, which is the
# whole text), so a hit costs no str hash and no dict look-up; longer numbers are rare and made
# each time.
cdef enum:
    _DECIMAL_SETS = 2048  # of two slots each
cdef _ObisSlot _decimal_slots[2 * _DECIMAL_SETS]


# A fresh Decimal(str) costs about 1,100 instructions, half of them the constructor's argument
# parsing, the context look-up and a copy of the text; the number itself is one machine word.
# CPython 3.11 gives C no way to make a Decimal from a coefficient and an exponent, so this fills
# the object the way _decimal's own constructor does (PyDecObject: the object head, a cached hash,
# an mpd_t and four inline words of 10**19 each) -- but only after _decimal_self_check has seen
# that objects made so are field for field the ones Decimal(str) makes, on many shapes (checked
# on the first register, not at import); on any difference, or another Python, every Decimal
# comes from Decimal(str) as before.
cdef extern from *:
    """
    #include <stdint.h>
    typedef struct {
        uint8_t flags;
        Py_ssize_t exp, digits, len, alloc;
        uint64_t *data;
    } dsmr_mpd_t;
    typedef struct {
        PyObject_HEAD
        Py_hash_t hash;
        dsmr_mpd_t dec;
        uint64_t data[4];
    } dsmr_decobject;
    #define DSMR_MPD_NEG 1
    #define DSMR_MPD_STATIC 16
    #define DSMR_MPD_STATIC_DATA 32
    #define DSMR_DEC_WORDS 4

    /* Fields of a Decimal, for the self-check: NULL if the object is not laid out as assumed. */
    static int dsmr_dec_fields(PyObject *o, Py_ssize_t *hash, int *flags, Py_ssize_t *exp,
                               Py_ssize_t *digits, Py_ssize_t *len, Py_ssize_t *alloc,
                               int *inline_data, uint64_t *word0) {
        dsmr_decobject *d = (dsmr_decobject *)o;
        *hash = d->hash;
        *flags = d->dec.flags;
        *exp = d->dec.exp;
        *digits = d->dec.digits;
        *len = d->dec.len;
        *alloc = d->dec.alloc;
        *inline_data = d->dec.data == d->data;
        *word0 = *inline_data && d->dec.len >= 1 ? d->data[0] : 0;
        return 0;
    }

    /* The Decimal of s[0:n], a number [+-]?digits[.digits] with at least one digit, when its
       coefficient has at most 19 digits (one word): 1 with *out set, 0 when the caller must
       use Decimal(str), -1 with an exception set. */
    static int dsmr_dec_build(PyObject *type, const unsigned char *s, Py_ssize_t n,
                              PyObject **out) {
        PyTypeObject *tp = (PyTypeObject *)type;
        dsmr_decobject *d;
        uint64_t coef = 0;
        Py_ssize_t i = 0, ndigits = 0, frac = 0, digits;
        int neg = 0, dot = 0;
        unsigned char c;
        if (n > 0 && (s[0] == '+' || s[0] == '-')) {
            neg = s[0] == '-';
            i = 1;
        }
        for (; i < n; i++) {
            c = s[i];
            if (c == '.') {
                if (dot) return 0;
                dot = 1;
                continue;
            }
            if (c < '0' || c > '9') return 0;
            frac += dot;
            if (coef == 0 && c == '0') continue;  /* leading zeros */
            if (++ndigits > 19) return 0;
            coef = coef * 10 + (uint64_t)(c - '0');
        }
        digits = ndigits ? ndigits : 1;
        d = (dsmr_decobject *)tp->tp_alloc(tp, 0);
        if (d == NULL) return -1;
        d->hash = -1;
        d->dec.flags = DSMR_MPD_STATIC | DSMR_MPD_STATIC_DATA | (neg ? DSMR_MPD_NEG : 0);
        d->dec.exp = -frac;
        d->dec.digits = digits;
        d->dec.len = 1;
        d->dec.alloc = DSMR_DEC_WORDS;
        d->dec.data = d->data;
        d->data[0] = coef;
        *out = (PyObject *)d;
        return 1;
    }
    """
    int dsmr_dec_fields(object o, Py_ssize_t* hash, int* flags, Py_ssize_t* exp,
                        Py_ssize_t* digits, Py_ssize_t* len, Py_ssize_t* alloc,
                        int* inline_data, uint64_t* word0)
    int dsmr_dec_build(object type, const unsigned char* s, Py_ssize_t n,
                       PyObject** out) except -1
    const size_t DSMR_DEC_SIZE "sizeof(dsmr_decobject)"


cdef int _decimal_fast = -1  # _decimal_self_check's verdict (-1: not asked yet)


cdef inline bint _decimal_filled() except -1:
    """Whether Decimals are built with dsmr_dec_build (the self-check runs on the first ask)."""
    global _decimal_fast
    if _decimal_fast < 0:
        _decimal_fast = 1 if _decimal_self_check() else 0
    return _decimal_fast == 1


cdef object _decimal_built(const unsigned char* s, Py_ssize_t n):
    """dsmr_dec_build's Decimal of s[0:n], None when it cannot make that one."""
    cdef PyObject* out = NULL
    if dsmr_dec_build(_Decimal, s, n, &out) == 0:
        return None
    value = <object>out
    Py_XDECREF(out)  # (<object> took its own reference)
    return value


cdef bint _same_decimal(object mine, object ref, bint deep) except -1:
    """True when two Decimals agree field for field (ref fresh from Decimal(str), not hashed),
    and (deep) in their text, hash, tuple and arithmetic."""
    cdef Py_ssize_t h1, e1, g1, l1, a1, h2, e2, g2, l2, a2
    cdef int f1, f2, i1, i2
    cdef uint64_t w1, w2
    dsmr_dec_fields(mine, &h1, &f1, &e1, &g1, &l1, &a1, &i1, &w1)
    dsmr_dec_fields(ref, &h2, &f2, &e2, &g2, &l2, &a2, &i2, &w2)
    if not (h1 == h2 == -1 and f1 == f2 and e1 == e2 and g1 == g2 and l1 == l2 == 1
            and a1 == a2 and i1 and i2 and w1 == w2):
        return False
    if type(mine) is not type(ref) or str(mine) != str(ref):
        return False
    return not deep or (
        repr(mine) == repr(ref)
        and mine == ref and hash(mine) == hash(ref) and mine.as_tuple() == ref.as_tuple()
        and mine + ref == ref + ref and mine * 3 == ref * 3
    )


def _decimal_shapes():
    """Register texts of many shapes: signs, zeros, leading zeros, dots at either end, 1 to 19
    digits, exponents 0 to -19 (a fixed sequence, so every import checks the same ones)."""
    yield from (
        "0", "-0", "+0", "0.0", "-0.000", "000", "00000.00000", "1", "-1", "+1", ".5", "-.5",
        "5.", "-5.", "0.001", "000123.456", "00052185.7825309", "-0000.0010", "9" * 19,
        "-" + "9" * 19, "0." + "9" * 19, "9" * 10 + "." + "9" * 9, "1" + "0" * 18,
        "0" * 30 + "1", "0." + "0" * 25 + "7", "18446744073709551615"[:19],
    )
    cdef uint64_t x = 0x9E3779B97F4A7C15ULL
    for _ in range(64):
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        digits = str(x)[: 1 + <int>(x % 19)]
        point = <int>((x >> 20) % (len(digits) + 1))
        text = digits[:point] + "." + digits[point:] if (x >> 30) & 1 else digits
        yield ("-" if (x >> 31) & 1 else "") + ("0" * <int>((x >> 40) % 4)) + text


def _decimal_self_check() -> bool:
    """Whether dsmr_dec_build makes exactly the Decimals Decimal(str) makes, here."""
    import sys
    if sys.version_info[:2] != (3, 11) or sys.implementation.name != "cpython":
        return False
    if not (
        Decimal.__module__ == "decimal" and type(Decimal).__name__ == "type"
        and Decimal.__basicsize__ == DSMR_DEC_SIZE and Decimal.__itemsize__ == 0
        and Decimal.__flags__ & (1 << 14) == 0  # not collected by the cycle GC
        and Decimal(0).__sizeof__() == DSMR_DEC_SIZE
    ):
        return False
    try:
        import _decimal
    except ImportError:  # the pure-Python decimal module: another layout altogether
        return False
    if _decimal.Decimal is not Decimal:
        return False
    for number, text in enumerate(_decimal_shapes()):
        data = text.encode("ascii")
        mine = _decimal_built(data, len(data))
        if mine is None:
            if sum(c.isdigit() for c in text.lstrip("+-").lstrip("0.")) <= 19:
                return False
            continue
        if not _same_decimal(mine, Decimal(text), number < 32):
            return False
    return True


def decimal_builder() -> str:
    """How the compiled twin makes a register's Decimal: "filled" (built in C, checked at
    import against Decimal(str)) or "from text" (Decimal(str))."""
    return "filled" if _decimal_filled() else "from text"


def _decimal_of(str text, bint filled=True):
    """The Decimal the quantity path makes of text (a plain number), without the recent-values
    cache; filled=False asks for Decimal(str). For tests that compare the two."""
    data = text.encode("latin-1")
    if filled and _decimal_filled():
        value = _decimal_built(data, len(data))
        if value is not None:
            return value
    return _Decimal(text)


cdef inline object _number_text(object text, Py_ssize_t end):
    return text if end == PyUnicode_GET_LENGTH(text) else PyUnicode_Substring(text, 0, end)


cdef inline object _new_decimal(object text, const Py_UCS1* s, Py_ssize_t end):
    """A fresh Decimal of text[0:end] (a number _number_end accepted)."""
    if _decimal_fast == 1 or (_decimal_fast < 0 and _decimal_filled()):
        value = _decimal_built(s, end)
        if value is not None:
            return value
    return _Decimal(_number_text(text, end))


cdef object _decimal(object text, const Py_UCS1* s, Py_ssize_t end):
    """The Decimal of text[0:end] (a number _number_end accepted)."""
    cdef uint64_t head = 0, tail = 0
    cdef size_t h, j
    cdef _ObisSlot* slot
    if end > 16 or end < 1:
        return _new_decimal(text, s, end)
    memcpy(&head, s, 8 if end >= 8 else end)
    if end > 8:
        memcpy(&tail, s + end - 8, 8)
    h = 2 * <size_t>(
        ((head * 0x9E3779B97F4A7C15ULL) ^ (tail + <uint64_t>end)) * 0xFF51AFD7ED558CCDULL >> 53
    )
    for j in range(h, h + 2):
        slot = &_decimal_slots[j]
        if slot.code != NULL and slot.head == head and slot.tail == tail and slot.size == end:
            return <object>slot.code
    value = _new_decimal(text, s, end)
    _keep(&_decimal_slots[h], head, tail, end, value)
    return value


include "_fasttime.pxi"


cdef class _Converter:
    """One convert() call's state: the time context, and the unit (and for COMPLEX rows the
    timestamp) of the last value (second return values without a tuple)."""

    cdef object ctx, unit, stamp
    cdef bint flags
    cdef bint check  # the last timestamp's S/W flag needs flag_problem's look

    def __cinit__(self, ctx):
        self.ctx = ctx
        self.flags = getattr(ctx, "flags", True)
        self.check = False

    cdef object quantity(self, object text, object expected):
        cdef Py_ssize_t n, end
        cdef PyObject* hit
        cdef const Py_UCS1* s = _ucs1(text, &n)
        if s != NULL:
            end = _number_end(s, n, False)
            if end >= 0:
                self.unit = None if end == n else _unit(text, s, end + 1, n, expected)
                return _decimal(text, s, end)
        value, self.unit = _parse_quantity(text)
        return value

    cdef object integer(self, object text, object expected):
        cdef Py_ssize_t n, end, i
        cdef long long v = 0
        cdef const Py_UCS1* s = _ucs1(text, &n)
        if s != NULL:
            end = _number_end(s, n, True)
            if end >= 0:
                i = 1 if s[0] == 0x2B or s[0] == 0x2D else 0
                while i < end:
                    v = v * 10 + (s[i] - 0x30)
                    i += 1
                self.unit = None if end == n else _unit(text, s, end + 1, n, expected)
                return PyLong_FromLongLong(-v if s[0] == 0x2D else v)
        value, self.unit = _parse_integer(text)
        return value

    cdef object timestamp(self, object text):
        """values.parse_timestamp; self.check set when flag_problem has something to say."""
        cdef bint contradicts
        value = _fast_stamp(self.ctx, text, &contradicts)
        if value is _NOFAST:  # no table for it: values.py, and flag_problem looks at the flag
            self.check = self.flags
            return _parse_timestamp(text, self.ctx)
        if contradicts:
            self.check = True
        return value


cdef object _hex_text(object text):
    """values.decode_hex_text for the common cases: plain text left as is, hex of printable ASCII
    decoded here; anything else goes to values.py."""
    cdef Py_ssize_t n, i
    cdef int hi, lo, c
    cdef bint newline = False
    cdef const Py_UCS1* s = _ucs1(text, &n)
    cdef Py_UCS1* out
    if s == NULL:
        return _decode_hex_text(text)
    if n == 0:
        return text
    for i in range(n):
        if not _ISHEX[s[i]]:
            if s[i] != 0x0A:
                return text  # the hex pattern cannot match
            newline = True
    if newline or n & 1:
        return _decode_hex_text(text)  # a "$" before a final LF: let the regex decide
    result = PyUnicode_New(n // 2, 127)
    out = <Py_UCS1*>PyUnicode_DATA(result)
    for i in range(0, n, 2):
        hi = _hexval(s[i])
        lo = _hexval(s[i + 1])
        c = hi * 16 + lo
        if c < 0x20 or c > 0x7E:
            return _decode_hex_text(text)  # UTF-8, control characters: values.py decides
        out[i // 2] = <Py_UCS1>c
    return result


cdef inline bint _looks_like_time(object text) except -1:
    cdef Py_ssize_t n, i
    cdef const Py_UCS1* s = _ucs1(text, &n)
    if s == NULL:
        return "*" not in text and "." not in text and len(text) >= 12
    if n < 12:
        return False
    for i in range(n):
        if s[i] == 0x2A or s[i] == 0x2E:
            return False
    return True


cdef int _kind_code(object kind) except? -2:
    """The kind as a C int; -1 for a kind convert() treats as raw text. Non-int kinds are
    compared the way the pure twin compares them."""
    cdef int overflow = 0
    cdef long k
    if PyLong_CheckExact(kind):
        k = PyLong_AsLongAndOverflow(kind, &overflow)
        if overflow or k < 0 or k > 7:
            return -1
        return <int>k
    for k in (K.COMPLEX, K.TIMESTAMPED, K.QUANTITY, K.INTEGER, K.TEXT, K.HEX_TEXT, K.TIMESTAMP):
        if kind == k:
            return <int>k
    return -1


def convert(lines, plan, ctx, bint memo=False):
    """Typed entries for the object lines, following the profile's plan.

    COMPLEX rows call the row's converter (the library's own converters run in C here, with the
    results of the Python ones); objects the plan does not know are kept with ``name`` and
    ``value`` None and their raw groups.

    ``memo=True`` (for a profile's own plan, which nobody changes) lets a line that is byte for
    byte the line at the same place of the previous telegram reuse that telegram's entry: a meter
    repeats most of its lines from one telegram to the next.
    """
    cdef list entries = []
    cdef list problems = []
    cdef _Converter conv = _Converter(ctx)
    if type(lines) is LineTable:
        _convert_table(<LineTable>lines, plan, conv, entries, problems, memo)
        return entries, problems
    for ln in lines:
        if type(ln) is _Line:
            obis = <object>PyTuple_GET_ITEM(ln, 0)
            groups = <object>PyTuple_GET_ITEM(ln, 1)
            lineno = <object>PyTuple_GET_ITEM(ln, 2)
            offset = <object>PyTuple_GET_ITEM(ln, 3)
        else:
            obis, groups, lineno, offset = ln.obis, ln.groups, ln.line, ln.offset
        entries.append(_entry(conv, _plan_row(plan, obis), obis, groups, lineno, offset, problems))
    return entries, problems


cdef inline object _plan_row(object plan, object obis):
    cdef PyObject* found
    if PyDict_CheckExact(plan):
        found = PyDict_GetItemWithError(plan, obis)
        return <object>found if found != NULL else None
    return plan.get(obis)


# The entry memo: slot i holds the entry made for line i of the last telegram converted with
# _memo_plan and _memo_ctx, with the bytes it came from. An Entry is a function of its line's bytes,
# line number and offset, the plan row and the time context (COMPLEX converters are pure, see
# _memo.py), so a line equal in all of these may share it.
cdef struct _MemoSlot:
    PyObject* data      # the bytes the line was read from (a strong reference)
    Py_ssize_t offset   # the line's span in them
    Py_ssize_t stop
    Py_ssize_t number
    PyObject* entry     # strong reference
    PyObject* problems  # a tuple of the line's problems, or NULL

cdef enum:
    _MEMO_LINES = 128
cdef _MemoSlot _memo[_MEMO_LINES]
cdef object _memo_plan = None
cdef object _memo_ctx = None


cdef Py_ssize_t _memo_used = 0  # slots at and past this one are empty


cdef void _memo_clear() noexcept:
    global _memo_used
    cdef Py_ssize_t i
    cdef _MemoSlot* m
    for i in range(_memo_used):
        m = &_memo[i]
        Py_XDECREF(m.data)
        Py_XDECREF(m.entry)
        Py_XDECREF(m.problems)
        m.data = m.entry = m.problems = NULL
    _memo_used = 0


def freeze(list entries):
    """The entries as the tuple a Telegram keeps, out of the cycle collector's sight when it holds
    only records (it can never be part of a cycle; CPython would find that out only in a
    collection, after traversing it)."""
    cdef tuple frozen = tuple(entries)
    dsmr_untrack_if_atomic(frozen)
    return frozen


def clear_memo():
    """Forget the entries of earlier telegrams (tests, and whoever changes a plan in place)."""
    global _memo_plan, _memo_ctx
    _memo_clear()
    _memo_plan = _memo_ctx = None


cdef int _convert_table(
    LineTable table, object plan, _Converter conv, list entries, list problems, bint memo
) except -1:
    global _memo_plan, _memo_ctx, _memo_used
    cdef Py_ssize_t i, before
    cdef _LineRec* r
    cdef _MemoSlot* m
    cdef const char* p = PyBytes_AS_STRING(table.data)
    cdef object entry
    if memo and (plan is not _memo_plan or conv.ctx is not _memo_ctx):
        _memo_clear()
        _memo_plan = plan
        _memo_ctx = conv.ctx
    for i in range(table.nlines):
        r = &table.recs[i]
        # (plan and context are checked per line: a COMPLEX converter runs Python code, and
        # another thread may take the memo over meanwhile)
        if memo and i < _MEMO_LINES and plan is _memo_plan and conv.ctx is _memo_ctx:
            m = &_memo[i]
            if (
                m.entry != NULL and m.offset == r.offset and m.stop == r.stop
                and m.number == r.number
                and memcmp(PyBytes_AS_STRING(<object>m.data) + r.offset, p + r.offset,
                           r.stop - r.offset) == 0
            ):
                entries.append(<object>m.entry)
                if m.problems != NULL:
                    problems.extend(<object>m.problems)
                continue
        before = len(problems)
        obis = <object>PyTuple_GET_ITEM(table.codes, i)
        entry = _entry(
            conv, _plan_row(plan, obis), obis, table.groups(i), _int(r.number), _int(r.offset),
            problems,
        )
        entries.append(entry)
        if memo and i < _MEMO_LINES and plan is _memo_plan and conv.ctx is _memo_ctx:
            m = &_memo[i]
            Py_XDECREF(m.data)
            Py_XDECREF(m.entry)
            Py_XDECREF(m.problems)
            m.data = m.entry = m.problems = NULL
            if i >= _memo_used:
                _memo_used = i + 1
            m.offset, m.stop, m.number = r.offset, r.stop, r.number
            Py_INCREF(table.data)
            m.data = <PyObject*>table.data
            Py_INCREF(entry)
            m.entry = <PyObject*>entry
            if len(problems) > before:
                found = tuple(problems[before:])
                Py_INCREF(found)
                m.problems = <PyObject*>found
    return 0


include "_fastcomplex.pxi"


cdef inline bint _all_empty(object groups) except -1:
    """Every group is "()" (what the pure twin's ``not any(groups)`` says)."""
    cdef Py_ssize_t i
    if not PyTuple_CheckExact(groups):
        return not any(groups)
    for i in range(PyTuple_GET_SIZE(groups)):
        if PyUnicode_GET_LENGTH(<object>PyTuple_GET_ITEM(groups, i)) != 0:
            return False
    return True


cdef object _entry(
    _Converter conv, object row, object obis, object groups, object lineno, object offset,
    list problems,
):
    """The Entry of one line (and its problems, appended)."""
    cdef int kind, code
    cdef Py_ssize_t ngroups
    cdef object name, expected, value, unit, stamp, error, group
    cdef int check = 0  # a timestamp whose flag flag_problem looks at: 1 the group, 2 stamp_text
    if row is None:  # no row of this profile: the shared rule (sibling row, or by shape)
        return _unknown_entry(obis, groups, lineno, offset, conv.ctx)
    if PyTuple_CheckExact(row) and PyTuple_GET_SIZE(row) >= 3:  # (a plan row, as profiles make)
        kind_obj = <object>PyTuple_GET_ITEM(row, 0)
        name = <object>PyTuple_GET_ITEM(row, 1)
        expected = <object>PyTuple_GET_ITEM(row, 2)
    else:
        kind_obj, name, expected = row[0], row[1], row[2]
    kind = _kind_code(kind_obj)
    value = unit = stamp = error = None
    try:
        if kind == _COMPLEX:  # ours in C (_fastcomplex.pxi), else the row's Python converter
            converter = row[3]
            code = _complex_code(converter)
            value = _complex(conv, code, groups, expected) if code else _NOFAST
            if value is _NOFAST:
                value, unit, stamp = converter(groups, conv.ctx)
            else:
                unit, stamp = conv.unit, conv.stamp
        elif kind == _TIMESTAMPED:
            ngroups = len(groups)
            if ngroups != 2:
                raise ValueError(f"expected 2 groups (time and value), found {ngroups}")
            first, second = groups
            if _looks_like_time(first):
                stamp_text, value_text = first, second
            else:
                stamp_text, value_text = second, first
            value = conv.quantity(value_text, expected)
            unit = conv.unit
            conv.check = False
            stamp = conv.timestamp(stamp_text)
            check = 2 if conv.check else 0
        else:
            ngroups = len(groups)
            if ngroups != 1:
                raise ValueError(f"expected 1 group, found {ngroups}")
            group = groups[0]
            if kind == _QUANTITY:
                value = conv.quantity(group, expected)
                unit = conv.unit
            elif kind == _INTEGER:
                value = conv.integer(group, expected)
                unit = conv.unit
            elif kind == _HEX_TEXT:
                value = None if PyUnicode_GET_LENGTH(group) == 0 else _hex_text(group)
            elif kind == _TIMESTAMP:
                conv.check = False
                value = conv.timestamp(group)
                check = 1 if conv.check else 0
            else:  # TEXT, and anything the plan calls raw ("()": not present)
                value = None if PyUnicode_GET_LENGTH(group) == 0 else group
    except ValueError as exc:
        value = stamp = unit = None
        check = 0
        if not _all_empty(groups):  # ("()" everywhere: the object is not present, no problem)
            error = str(exc)
            problems.append(dsmr_rec5(_Problem, "value", error, lineno, offset, obis))
    if check:
        conflict = _flag_problem(
            groups[0] if check == 1 else stamp_text, stamp if check == 2 else value, conv.ctx
        )
        if conflict is not None:
            problems.append(dsmr_rec5(_Problem, "value", conflict, lineno, offset, obis))
    if unit is not None and expected is not None and unit is not expected:
        if unit != expected and not _units_equal(unit, expected):
            problems.append(dsmr_rec5(
                _Problem, "value", f"unit {unit!r} where {expected!r} was expected",
                lineno, offset, obis,
            ))
    return dsmr_rec9(_Entry, obis, name, value, unit, stamp, groups, lineno, offset, error)


# --------------------------------------------------------------------------------------------
# frame scanner
#
# The same state machine as the pure twin, step for step (junk and damage are reported at the
# same moments, so the frames out are identical for any chunking), on a C buffer: the consumed
# head is skipped by an index and compacted only when the buffer must grow, and the search for
# a telegram's end resumes where the previous feed stopped.

cdef class FrameScanner:
    """Bytes in, in chunks of any size; whole frames out.

    ``feed`` returns the frames completed by the chunk: ``telegram`` (``/`` ... ``!CRC``),
    ``encrypted`` (a length-framed DLMS ``0xDB`` frame), ``junk`` (bytes outside any frame other
    than white space and padding) and ``damaged`` (a telegram cut off by a new header or longer
    than ``max_frame``). Memory stays below ``max_frame`` plus the chunk being fed.

    A frame starts at ``/XXXn`` (three letters, a baud digit) anywhere, or at any other ``/`` at
    a line start: such a loose start is a telegram only when it ends in a ``!`` line whose CRC
    checks out, or that has no CRC at all where the stream is clean (at its start, or right after
    a telegram) or every line between is an object line (a file of DSMR 2.2 telegrams), and junk
    otherwise (noise may well hold a ``/`` at a line start).
    """

    cdef unsigned char* _mem
    cdef Py_ssize_t _cap
    cdef Py_ssize_t _head  # the buffer is _mem[_head : _head + _len]
    cdef Py_ssize_t _len
    cdef Py_ssize_t _base  # stream offset of the buffer's first byte
    cdef bint _in_frame  # the buffer's first byte starts a frame
    cdef bint _loose  # ... one whose header is not /XXXn (a telegram only if its CRC checks out)
    cdef bint _line_start  # the byte before the buffer's first was a LF (or there was none)
    cdef bint _clean  # nothing but telegrams and padding so far
    cdef Py_ssize_t _scan  # where to resume looking for the end inside a frame
    cdef public Py_ssize_t max_frame

    def __cinit__(self, *args, **kwargs):
        self._mem = NULL
        self._cap = self._head = self._len = self._base = self._scan = 0
        self._in_frame = self._loose = False
        self._line_start = True
        self._clean = True

    def __init__(self, Py_ssize_t max_frame=DEFAULT_MAX_FRAME):
        if max_frame < 64:
            raise ValueError("max_frame must be at least 64 bytes")
        self.max_frame = max_frame

    def __dealloc__(self):
        free(self._mem)

    @property
    def offset(self):
        """Stream offset of the next byte not yet handed out."""
        return self._base

    def feed(self, data) -> list:
        cdef Py_buffer view
        cdef list out = []
        if PyBytes_CheckExact(data):
            self._append(<const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data))
        else:
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            try:
                self._append(<const unsigned char*>view.buf, view.len)
            finally:
                PyBuffer_Release(&view)
        while self._step(out, False):
            pass
        self._shrink()
        return out

    def flush(self) -> list:
        """The end of the stream: hand out whatever is left."""
        cdef list out = []
        while self._step(out, True):
            pass
        if self._len:
            if self._in_frame and not self._loose:
                self._emit(out, "damaged", self._len, "stream ended inside a telegram")
            else:
                self._junk(out, self._len)
        self._in_frame = self._loose = False
        self._scan = 0
        self._shrink()
        return out

    # ---- buffer

    cdef int _append(self, const unsigned char* data, Py_ssize_t size) except -1:
        cdef Py_ssize_t need = self._len + size, cap
        cdef unsigned char* mem
        if size == 0:
            return 0
        if self._head + need > self._cap:
            if self._head and need <= self._cap:
                memmove(self._mem, self._mem + self._head, self._len)
                self._head = 0
            else:
                cap = max(need, 2 * self._cap, 4096)
                if self._head:
                    memmove(self._mem, self._mem + self._head, self._len)
                    self._head = 0
                mem = <unsigned char*>realloc(self._mem, cap)
                if mem == NULL:
                    raise MemoryError()
                self._mem = mem
                self._cap = cap
        memcpy(self._mem + self._head + self._len, data, size)
        self._len = need
        return 0

    cdef int _shrink(self) except -1:
        # give back the room a huge chunk needed once: keep memory near max_frame
        cdef Py_ssize_t limit = 4 * self.max_frame + 65536, cap
        cdef unsigned char* mem
        if self._cap > limit and self._len <= self.max_frame:
            if self._head:
                memmove(self._mem, self._mem + self._head, self._len)
                self._head = 0
            cap = max(2 * self._len, 4096)
            mem = <unsigned char*>realloc(self._mem, cap)
            if mem != NULL:
                self._mem = mem
                self._cap = cap
        return 0

    cdef inline const unsigned char* _buf(self) noexcept:
        return self._mem + self._head

    # ---- output

    cdef int _emit(self, list out, str kind, Py_ssize_t size, object error) except -1:
        data = PyBytes_FromStringAndSize(<const char*>self._buf(), size)
        out.append(dsmr_rec4(_Frame, kind, self._base, data, error))
        self._clean = kind == "telegram"
        self._consume(size)
        self._in_frame = self._loose = False
        self._scan = 0
        return 0

    cdef int _junk(self, list out, Py_ssize_t size) except -1:
        cdef const unsigned char* buf = self._buf()
        cdef Py_ssize_t i
        for i in range(size):
            if not _SKIPPABLE[buf[i]]:
                data = PyBytes_FromStringAndSize(<const char*>buf, size)
                out.append(dsmr_rec4(
                    _Frame, "junk", self._base, data, f"{size} bytes outside any telegram"
                ))
                self._clean = False
                break
        self._consume(size)
        return 0

    cdef inline void _consume(self, Py_ssize_t size) noexcept:
        if size > 0:
            self._line_start = self._buf()[size - 1] == 0x0A
        self._head += size
        self._len -= size
        self._base += size
        if self._len == 0:
            self._head = 0

    # ---- the state machine (see _purepy.FrameScanner)

    cdef int _step(self, list out, bint final) except -1:
        cdef Py_ssize_t start, keep
        cdef int verdict = 0
        if not self._len:
            return 0
        if not self._in_frame:
            start = self._find_start(final, &verdict)
            if start < 0:
                # keep a possible start at the very end (a "/" whose letters have not come yet)
                keep = self._partial_start(final)
                if self._len - keep > 0:
                    self._junk(out, self._len - keep)
                return 0
            if start:
                self._junk(out, start)
            self._in_frame = True
            self._loose = verdict == 2
            self._scan = 1
            return 1
        if self._buf()[0] == 0xDB:
            return self._step_encrypted(out, final)
        return self._step_telegram(out, final)

    cdef int _step_telegram(self, list out, bint final) except -1:
        cdef const unsigned char* buf = self._buf()
        cdef const unsigned char* hit
        cdef Py_ssize_t size = self._len, pos = self._scan, nl, end, limit = self._len
        cdef Py_ssize_t strict = _strict_start(buf, size, 1) if self._loose else -1
        cdef int verdict
        if strict > 0:  # a loose frame never swallows a real frame start
            limit = strict
        while True:
            hit = <const unsigned char*>memchr(buf + pos, 0x0A, limit - pos) if pos < limit else NULL
            if hit == NULL:  # (resume past the bytes seen: small feeds of a long line stay linear)
                self._scan = max(limit, 1)
                break
            nl = hit - buf
            if nl + 1 >= limit:
                self._scan = max(nl, 1)
                break
            if buf[nl + 1] == 0x21:  # "!"
                end = _crc_end(buf, size, nl + 2, final)
                if end < 0:
                    self._scan = nl
                    break
                if (
                    self._loose and not _crc_checks(buf, nl + 2, end)
                    and not (end == nl + 2 and (self._clean or _plain_body(buf, nl)))
                ):
                    self._junk(out, end)  # a "/" at a line start in noise, not a telegram
                    self._in_frame = self._loose = False
                    self._scan = 0
                elif end > self.max_frame:  # arrived whole in one chunk, still too long
                    self._emit(
                        out, "damaged", end, f"telegram longer than {self.max_frame} bytes dropped"
                    )
                else:
                    self._emit(out, "telegram", end, None)
                return 1
            if buf[nl + 1] == 0x2F:  # "/" at a line start: a new header cuts this telegram off
                verdict = _is_start(buf, size, nl + 1, final, True)
                if verdict == 0:
                    self._scan = nl  # wait for the header letters
                    break
                self._cut(
                    out, nl + 1,
                    f"telegram cut off: a new header began at byte {self._base + nl + 1}",
                )
                return 1
            pos = nl + 1
        if strict > 0:
            self._cut(out, strict, "")  # (loose: junk)
            return 1
        if self._len > self.max_frame:
            self._cut(out, self._len, f"telegram longer than {self.max_frame} bytes dropped")
            return 1
        return 0

    cdef int _cut(self, list out, Py_ssize_t size, str error) except -1:
        """The frame ends before its "!" line: damaged, or junk if its start was loose."""
        if self._loose:
            self._junk(out, size)
            self._in_frame = self._loose = False
            self._scan = 0
        else:
            self._emit(out, "damaged", size, error)
        return 0

    cdef int _step_encrypted(self, list out, bint final) except -1:
        cdef Py_ssize_t total = _dlms_length(self._buf(), self._len)
        if total == 0:  # not enough bytes yet to know
            if final:
                self._emit(out, "damaged", self._len, "stream ended inside an encrypted frame")
                return 1
            return 0
        if total < 0 or total > self.max_frame:
            self._emit(out, "damaged", 1, "not a valid encrypted frame header")
            return 1
        # a frame of the same meter (the same system title) starting inside this one: this one
        # was cut short and its length field must not swallow the next
        cdef const unsigned char* buf = self._buf()
        cdef Py_ssize_t limit = min(self._len, total + 9), pos = max(self._scan, 1)
        cdef const unsigned char* hit
        while pos + 10 <= limit:
            hit = <const unsigned char*>memchr(buf + pos, 0xDB, limit - 10 - pos + 1)
            if hit == NULL:
                break
            pos = hit - buf
            if memcmp(buf + pos, buf, 10) == 0:
                if pos < total:
                    self._emit(
                        out, "damaged", pos,
                        f"encrypted frame cut off: a new frame began at byte {self._base + pos}",
                    )
                    return 1
                break
            pos += 1
        self._scan = max(self._scan, limit - 9, 1)
        if self._len < total:
            if final:
                self._emit(out, "damaged", self._len, "stream ended inside an encrypted frame")
                return 1
            return 0
        self._emit(out, "encrypted", total, None)
        return 1

    cdef Py_ssize_t _find_start(self, bint final, int* found) noexcept:
        """The first frame start in the buffer (its verdict, 1 or 2, in found), or -1 (also when
        one may start but is unsure)."""
        cdef const unsigned char* buf = self._buf()
        cdef Py_ssize_t pos, size = self._len
        cdef int verdict
        for pos in range(size):
            if buf[pos] == 0x2F or buf[pos] == 0xDB:
                verdict = _is_start(buf, size, pos, final, self._line_start)
                if verdict > 0:
                    found[0] = verdict
                    return pos
                if verdict == 0:
                    return -1
        return -1

    cdef Py_ssize_t _partial_start(self, bint final) noexcept:
        """How many bytes at the end of the buffer could still become a frame start."""
        cdef Py_ssize_t back
        if final:
            return 0
        for back in range(min(4, self._len), 0, -1):
            if _is_start(self._buf(), self._len, self._len - back, False, self._line_start) == 0:
                return back
        return 0


cdef inline int _is_start(const unsigned char* buf, Py_ssize_t size, Py_ssize_t pos,
                          bint final, bint line_start) noexcept:
    """1: a telegram or encrypted frame starts at pos; 2: a loose start (a "/" at a line start,
    line_start saying whether pos 0 is one); -1: not; 0: not enough bytes to say."""
    cdef bint loose
    if buf[pos] == 0x2F:
        loose = buf[pos - 1] == 0x0A if pos else line_start
        if size < pos + 5:
            return (2 if loose else -1) if final else 0
        if _looks_like_header(buf + pos + 1):
            return 1
        return 2 if loose else -1
    if buf[pos] == 0xDB:
        if size < pos + 2:
            return -1 if final else 0
        return 1 if buf[pos + 1] == 0x08 else -1
    return -1


cdef Py_ssize_t _strict_start(const unsigned char* buf, Py_ssize_t size, Py_ssize_t pos) noexcept:
    """The first /XXXn or 0xDB 0x08 at or after pos whose bytes are all there, or -1."""
    while pos < size:
        if buf[pos] == 0x2F:
            if size >= pos + 5 and _looks_like_header(buf + pos + 1):
                return pos
        elif buf[pos] == 0xDB:
            if size >= pos + 2 and buf[pos + 1] == 0x08:
                return pos
        pos += 1
    return -1


cdef bint _plain_body(const unsigned char* buf, Py_ssize_t nl) noexcept:
    """The pure twin's _plain_body: every line between the header and the "!" line (whose LF is
    at nl) is blank or an object line (a digit or "(" first, ")" last), and one is."""
    cdef Py_ssize_t pos = 0, a, e, i
    cdef bint seen = False, blank
    while pos < nl and buf[pos] != 0x0A:
        pos += 1
    pos += 1  # past the header's LF
    while pos <= nl:
        a = pos
        while pos < nl and buf[pos] != 0x0A:
            pos += 1
        e = pos  # the line is buf[a:e]
        pos += 1
        while e > a and buf[e - 1] == 0x0D:
            e -= 1
        blank = True
        for i in range(a, e):
            if buf[i] != 0x20 and buf[i] != 0x09 and buf[i] != 0x0D:
                blank = False
                break
        if blank:
            continue
        if not (_isdigit(buf[a]) or buf[a] == 0x28) or buf[e - 1] != 0x29:
            return False
        seen = True
    return seen


cdef bint _crc_checks(const unsigned char* buf, Py_ssize_t body_end, Py_ssize_t end) noexcept:
    """The CRC in buf[body_end:end] (3 or 4 hex digits) is that of buf[0:body_end], as sent or
    with bare LFs read as CRLF."""
    cdef int given = 0
    cdef Py_ssize_t i
    if end - body_end < 3:
        return False
    for i in range(body_end, end):
        given = given * 16 + _hexval(buf[i])
    return given == _crc_update(0, buf, body_end) or given == _crc_lf_as_crlf(buf, body_end)


cdef Py_ssize_t _crc_end(const unsigned char* buf, Py_ssize_t size, Py_ssize_t pos,
                         bint final) noexcept:
    """End of the CRC that starts at pos (0 to 4 hex digits), -1 if more bytes are needed.

    The frame ends with the last CRC digit, never with the line end after it, so that the frames
    handed out do not depend on how the stream was cut into chunks.
    """
    cdef Py_ssize_t i
    for i in range(4):
        if pos + i >= size:
            return pos + i if final else -1
        if not _ISHEX[buf[pos + i]]:
            return pos + i
    return pos + 4


cdef Py_ssize_t _dlms_length(const unsigned char* buf, Py_ssize_t size) noexcept:
    """Whole length of a general-global-cipher frame at buf[0], 0 if unknown yet, -1 if invalid."""
    # 0xDB, systitle length (8), systitle, then a BER length of what follows
    # and a security byte: without that check "\xdb\x08" in noise would swallow what follows
    cdef Py_ssize_t first, width, head, length
    if size < 11:
        return 0
    if buf[1] != 0x08:
        return -1
    first = buf[10]
    if first < 0x80:
        head = 11
        length = first
    else:
        width = first & 0x7F
        if width != 1 and width != 2:
            return -1
        if size < 11 + width:
            return 0
        head = 11 + width
        length = buf[11] if width == 1 else (buf[11] << 8 | buf[12])
    if size <= head:
        return 0
    if buf[head] != 0x10 and buf[head] != 0x20 and buf[head] != 0x30:
        return -1
    return head + length


# ============================================================================================
# columnar: whole telegrams straight to columns (see _purepy.ColumnBuilder, the reference)
#
# One pass over a frame in C (lines, OBIS codes looked up in a C table, numbers, times, CRC)
# into a row of C cells, then one append per column into the columns' own arrays: no Python
# object per value, only a str for a text cell that differs from the last one. Anything this
# pass does not read exactly (a line or value with a problem, an odd spelling, mixed line ends,
# another profile) makes feed() return -1 and the caller takes the full parse.

from cpython cimport array
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.list cimport PyList_Append
from cpython.object cimport Py_SIZE
from libc.string cimport memset

cdef enum:
    _COL_FLOAT = 0
    _COL_DECIMAL = 1
    _COL_INT = 2
    _COL_TIMESTAMP = 3
    _COL_STR = 4
    _OP_VALUE = 1  # columnar.OP_VALUE
    _TABLE = 512  # OBIS code slots (open addressing); a plan has about 100 codes
    _DISCARD = 3  # cells past the columns: where a later object of a claimed name is checked

cdef int _RAW = K.RAW
cdef dict _COL_KINDS = {"float": _COL_FLOAT, "decimal": _COL_DECIMAL, "int": _COL_INT,
                        "timestamp": _COL_TIMESTAMP, "str": _COL_STR}
cdef double _POW10[23]
for _i in range(23):
    _POW10[_i] = 10.0 ** _i


cdef struct _Act:
    unsigned char code[24]
    int len  # 0: a free slot
    int op, kind, col, stamp_col, unit_col, version
    int gas  # a DSMR 2.2/3 gas record: its (time)...(unit)/(value) fill an MBus reading's cells
    int cx  # COMPLEX cells: the compiled converter's _CX_* code (0: the Python one answers)
    int index  # into the builder's per-action lists (expected unit, caches, COMPLEX cell)


cdef struct _Cell:
    bint set  # claimed by an object of the telegram (maybe with no value: a sentinel date)
    bint valid
    double f
    long long i  # int, timestamp micros, unscaled decimal
    int aux  # timestamp UTC offset in minutes, decimal scale


cdef struct _Num:
    bint neg
    unsigned long long m  # the significant digits, when there are at most 18
    int sig
    int scale  # digits after the point
    Py_ssize_t end  # n, or the index of the "*" before the unit


cdef bint _read_number(const unsigned char* s, Py_ssize_t n, bint integer, _Num* out) noexcept nogil:
    """A plain number as _number_end accepts it (what values.py reads the same way)."""
    cdef Py_ssize_t end = _number_end(s, n, integer), i = 0
    cdef bint point = False
    cdef unsigned char c
    if end < 0:
        return False
    out.neg = s[0] == 0x2D
    if s[0] == 0x2B or s[0] == 0x2D:
        i = 1
    out.m = 0
    out.sig = 0
    out.scale = 0
    while i < end:
        c = s[i]
        if c == 0x2E:
            point = True
        else:
            if point:
                out.scale += 1
            if out.sig or c != 0x30:
                out.sig += 1
                if out.sig <= 18:
                    out.m = out.m * 10 + (c - 0x30)
        i += 1
    out.end = end
    return True


cdef inline long long _days_from_civil(int y, int m, int d) noexcept nogil:
    # days since 1970-01-01 (H. Hinnant's algorithm; years here are 2000 to 2099)
    cdef long long era, yoe, doy, doe
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


cdef inline bint _ascii_units_equal(const unsigned char* a, const unsigned char* b,
                                    Py_ssize_t n) noexcept nogil:
    # values.units_equal (casefold) for ASCII text; other text is left to the full parse
    cdef Py_ssize_t i
    cdef unsigned char x, y
    for i in range(n):
        x = a[i]
        y = b[i]
        if x >= 0x80 or y >= 0x80:
            return False
        if 0x41 <= x <= 0x5A:
            x |= 0x20
        if 0x41 <= y <= 0x5A:
            y |= 0x20
        if x != y:
            return False
    return True


cdef inline size_t _code_hash(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t a = 0, b = 0
    memcpy(&a, s, 8)  # codes are 9 to 19 bytes
    memcpy(&b, s + n - 8, 8)
    return <size_t>(((a * 0x9E3779B97F4A7C15ULL) ^ (b + <uint64_t>n)) * 0xFF51AFD7ED558CCDULL >> 55)


cdef class ColumnBuilder:
    """Whole telegram frames in, one row each, appended to the columns' typed storage.

    ``spec`` is a ``columnar.FastSpec`` and ``columns`` its ``columnar.Column`` objects in order.
    :meth:`feed` returns the row's number of problems (only CRC problems get this far), or -1
    when the frame needs the full parse, and then nothing was appended.
    """

    cdef object _spec, _profile, _ctx
    cdef int _ncols, _extra_col, _winter, _summer
    cdef bint _crc_required, _strict, _usable
    cdef int* _kinds
    cdef _Act* _table
    cdef _Cell* _cells
    cdef list _objs  # the str cells
    cdef list _values, _valid, _aux  # per column: its storage
    cdef list _expected  # per action: the expected unit as bytes, or None
    cdef list _expected_text  # and as str
    cdef list _cache_raw, _cache_val  # per action: the last text cell and the bytes it came from
    cdef list _unit_raw, _unit_val  # per action: the last unit read
    cdef list _complex  # per action: COMPLEX cell function, or None
    cdef unsigned char* _key  # the layout key being built: header, codes, version groups
    cdef Py_ssize_t _keylen, _keycap
    cdef Py_ssize_t* _spans  # the pending object's groups: start, end, start, end, ...
    cdef Py_ssize_t _spancap
    cdef unsigned char* _join  # a COMPLEX object's groups written on several lines, joined
    cdef Py_ssize_t _joincap, _joinlen
    cdef bytes _last_key
    cdef object _last_layout
    cdef dict _layouts

    def __cinit__(self, *args, **kwargs):
        self._kinds = NULL
        self._table = NULL
        self._cells = NULL
        self._key = NULL
        self._keylen = self._keycap = 0
        self._spans = NULL
        self._spancap = 0
        self._join = NULL
        self._joincap = 0

    def __dealloc__(self):
        free(self._kinds)
        free(self._table)
        free(self._cells)
        free(self._key)
        free(self._spans)
        free(self._join)

    def __init__(self, spec, list columns):
        cdef Py_ssize_t i
        self._spec = spec
        self._profile = spec.profile
        self._ncols = len(columns)
        self._extra_col = spec.extra_col
        self._winter = spec.winter
        self._summer = spec.summer
        self._ctx = _time_context(spec.timezone, spec.dst_flags)
        self._crc_required = spec.crc_required
        self._strict = spec.strict
        self._kinds = <int*>realloc(NULL, sizeof(int) * (self._ncols + 1))
        self._cells = <_Cell*>realloc(NULL, sizeof(_Cell) * (self._ncols + _DISCARD))
        self._table = <_Act*>realloc(NULL, sizeof(_Act) * _TABLE)
        if self._kinds == NULL or self._cells == NULL or self._table == NULL:
            raise MemoryError()
        memset(self._table, 0, sizeof(_Act) * _TABLE)
        self._objs = [None] * (self._ncols + _DISCARD)
        self._values, self._valid, self._aux = [], [], []
        for i, col in enumerate(columns):
            self._kinds[i] = _COL_KINDS[col.kind]
            self._values.append(col.values)
            self._valid.append(col.valid)
            self._aux.append(col.scales if col.kind == "decimal" else col.offsets)
        self._expected, self._cache_raw, self._cache_val = [], [], []
        self._expected_text = []
        self._unit_raw, self._unit_val, self._complex = [], [], []
        self._usable = len(spec.actions) * 2 < _TABLE
        if self._usable:
            for code, action in spec.actions.items():
                self._add_action(code, action)
        self._last_key = None
        self._last_layout = None
        self._layouts = {}

    cdef int _add_action(self, str code, action) except -1:
        cdef bytes raw = code.encode("ascii")
        cdef Py_ssize_t n = len(raw)
        cdef size_t h = _code_hash(raw, n)
        cdef _Act* act
        while self._table[h].len:
            h = (h + 1) & (_TABLE - 1)
        act = &self._table[h]
        memcpy(act.code, <const char*>raw, n)
        act.len = n
        act.op = action.op
        act.kind = action.kind
        act.col = action.col
        act.stamp_col = action.stamp_col
        act.unit_col = action.unit_col
        act.version = action.version
        act.gas = action.gas
        act.cx = _complex_code(action.converter) if action.converter is not None else _CX_NONE
        act.index = len(self._expected)
        expected = None
        if action.unit is not None:
            try:
                expected = action.unit.encode("latin-1")
            except UnicodeEncodeError:  # no meter can write it: leave those to the full parse
                act.op = 0
        self._expected.append(expected)
        self._expected_text.append(action.unit)
        self._complex.append(action.complex)
        for cache in (self._cache_raw, self._cache_val, self._unit_raw, self._unit_val):
            cache.append(None)
        return 0

    cdef inline _Act* _lookup(self, const unsigned char* s, Py_ssize_t n) noexcept:
        cdef size_t h = _code_hash(s, n)
        cdef _Act* act
        while True:
            act = &self._table[h]
            if act.len == 0:
                return NULL
            if act.len == n and memcmp(act.code, s, n) == 0:
                return act
            h = (h + 1) & (_TABLE - 1)

    def feed(self, data) -> int:
        """Append the frame ``/`` ... ``!CRC`` as a row: its problem count, or -1 (nothing added)."""
        if not PyBytes_CheckExact(data):
            data = bytes(data)
        if not self._usable:
            return -1
        return self._feed(data, <const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data))

    # ---- the layout key

    cdef int _key_add(self, const unsigned char* s, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap
        cdef unsigned char* mem
        if self._keylen + n > self._keycap:
            cap = max(2 * self._keycap, self._keylen + n, 1024)
            mem = <unsigned char*>realloc(self._key, cap)
            if mem == NULL:
                raise MemoryError()
            self._key = mem
            self._keycap = cap
        memcpy(self._key + self._keylen, s, n)
        self._keylen += n
        return 0

    cdef object _layout(self, bytes data):
        """(the spec's profile reads it?, extra cell) for the key just built; cached."""
        cdef bytes last = self._last_key
        if last is not None and len(last) == self._keylen and memcmp(
            PyBytes_AS_STRING(last), self._key, self._keylen
        ) == 0:
            return self._last_layout
        key = PyBytes_FromStringAndSize(<const char*>self._key, self._keylen)
        found = self._layouts.get(key)
        if found is None:
            if len(self._layouts) >= 256:
                self._layouts.clear()
            found = self._layouts[key] = self._spec.layout(data)
        self._last_key = key
        self._last_layout = found
        return found

    # ---- one frame

    cdef int _grow_spans(self) except -1:
        cdef Py_ssize_t cap = max(2 * self._spancap, 64)
        cdef Py_ssize_t* mem = <Py_ssize_t*>realloc(self._spans, sizeof(Py_ssize_t) * cap)
        if mem == NULL:
            raise MemoryError()
        self._spans = mem
        self._spancap = cap
        return 0

    cdef int _feed(self, bytes data, const unsigned char* p, Py_ssize_t n) except -2:
        cdef const unsigned char* hit
        cdef const unsigned char* code
        cdef Py_ssize_t seg, segend, e, paren, pos, close, body_end, end, a, code_len
        cdef Py_ssize_t nl_count = 0, crlf_count = 0, ngroups = 0
        cdef int problems = 0, crc_given, i
        cdef uint16_t computed
        cdef _Act* act
        cdef _Act* pending = NULL  # the object whose groups are being read (NULL: unknown code)
        cdef bint any_object = False
        cdef unsigned char newline = 0x0A
        cdef Py_ssize_t* spans = self._spans  # (locals: no reload after each store)
        cdef Py_ssize_t spancap = self._spancap
        if n < 5 or p[0] != 0x2F or not _looks_like_header(p + 1):
            return -1  # (an odd header is a framing problem: the full parse reports it)
        memset(self._cells, 0, sizeof(_Cell) * (self._ncols + _DISCARD))
        self._keylen = 0
        # the header line
        hit = <const unsigned char*>memchr(p, 0x0A, n)
        if hit == NULL:
            return -1
        segend = hit - p
        nl_count = 1
        crlf_count = p[segend - 1] == 0x0D
        e = segend
        while e > 1 and p[e - 1] == 0x0D:
            e -= 1
        self._key_add(p + 1, e - 1)
        self._key_add(&newline, 1)
        seg = segend + 1
        # object lines, up to the "!" line; an object is converted once the next object line
        # (or the end) shows that no continuation line adds groups to it
        while True:
            if seg >= n:
                return -1  # no "!" end line
            if p[seg] == 0x21:
                break
            hit = <const unsigned char*>memchr(p + seg, 0x0A, n - seg)
            if hit == NULL:
                return -1
            segend = hit - p
            nl_count += 1
            if p[segend - 1] == 0x0D:
                crlf_count += 1
            e = segend
            while e > seg and p[e - 1] == 0x0D:
                e -= 1
            a = seg
            while a < e and _ISSPACE[p[a]]:
                a += 1
            if a == e:  # a blank line: the tokenizer skips it too
                seg = segend + 1
                continue
            hit = <const unsigned char*>memchr(p + seg, 0x28, e - seg)
            if hit == NULL:
                return -1
            paren = hit - p
            if a == paren:
                # a continuation line (no code before "("): tokenize() adds its groups to the
                # last object (a DSMR 2.2/3 gas record's value); a version object's groups
                # decide the layout, so one written so is left to the full parse
                if not any_object or (pending != NULL and pending.version):
                    return -1
            else:
                if pending != NULL and not self._value(pending, p, ngroups):
                    return -1
                code = p + a  # (white space before a code: tokenize() strips it too)
                code_len = paren - a
                if code_len < 9:
                    return -1
                if not _is_plain(code, code_len):
                    # another spelling of a code ("1-0:1.8.0*255"): read as tokenize() reads
                    # it, and taken only when that gives no problem
                    if _ISSPACE[p[paren - 1]]:
                        return -1
                    obis = _obis_code(code, code_len)
                    if obis is None or _spelling(
                        None, p, a, paren, obis, False, None, None
                    ) is not None:
                        return -1
                    code = <const unsigned char*>PyUnicode_DATA(obis)
                    code_len = PyUnicode_GET_LENGTH(obis)
                    if code_len < 9:
                        return -1
                act = self._lookup(code, code_len)
                self._key_add(p + seg, paren - seg)
                if act != NULL and act.version:
                    self._key_add(p + paren, e - paren)
                self._key_add(&newline, 1)
                if act != NULL and act.op != _OP_VALUE:
                    return -1
                pending = act  # (unknown codes: the layout's extra cell names them)
                any_object = True
                ngroups = 0
            # groups: "(...)" back to back up to the line end, nothing else
            pos = paren
            while pos < e:
                if p[pos] != 0x28:
                    return -1
                hit = <const unsigned char*>memchr(p + pos + 1, 0x29, e - pos - 1)
                if hit == NULL:
                    return -1
                close = hit - p
                if 2 * ngroups + 2 > spancap:
                    self._grow_spans()
                    spans = self._spans
                    spancap = self._spancap
                spans[2 * ngroups] = pos + 1  # group k of the pending object: p[a:b]
                spans[2 * ngroups + 1] = close
                ngroups += 1
                pos = close + 1
            seg = segend + 1
        if pending != NULL and not self._value(pending, p, ngroups):
            return -1

        # the CRC over "/" through "!", as tokenize() checks it
        body_end = seg + 1
        end = body_end
        while end < n and end < body_end + 4 and _ISHEX[p[end]]:
            end += 1
        if crlf_count != nl_count and crlf_count != 0:
            return -1  # mixed line ends: the repair rules live in tokenize()
        if crlf_count == 0:
            computed = _crc_lf_as_crlf(p, body_end)
        else:
            computed = _crc_update(0, p, body_end)
        if end == body_end:
            crc = "absent"
            if self._crc_required:
                problems = 1
        elif end - body_end < 3:
            crc = "bad"
            problems = 1
        else:
            crc_given = 0
            for i in range(body_end, end):
                crc_given = crc_given * 16 + _hexval(p[i])
            if crc_given == computed:
                crc = "ok"
            elif crlf_count == 0 and crc_given == _crc_update(0, p, body_end):
                crc = "ok"  # LF only, the CRC over the bytes as sent (as tokenize() takes it)
            else:
                crc = "bad"
                problems = 1
        if problems and self._strict:
            return -1
        layout = self._layout(data)
        if not layout[0]:
            return -1
        self._commit(crc, problems, layout[1])
        return problems

    # ---- values

    cdef bint _value(self, _Act* act, const unsigned char* p, Py_ssize_t ngroups) except -1:
        """Convert one object's groups (self._spans) into its cells; False: leave the telegram
        to the full parse."""
        cdef int col = act.col, stamp_col = act.stamp_col, unit_col = act.unit_col
        cdef int kind = act.kind, numbers
        cdef Py_ssize_t vs, ve, ts, te, i
        cdef Py_ssize_t* gs = self._spans  # group k is p[gs[2k]:gs[2k + 1]]
        cdef bint time_first, empty = ngroups <= 2
        if col < 0 or self._cells[col].set:  # checked (its problems count), kept nowhere
            numbers = self._kinds[col] if col >= 0 else _COL_DECIMAL
            col = self._ncols
            stamp_col = self._ncols + 1
            unit_col = self._ncols + 2 if unit_col >= 0 else -1
        else:
            numbers = self._kinds[col]
        for i in range(min(ngroups, 2)):
            if gs[2 * i + 1] != gs[2 * i]:
                empty = False
        if empty:  # "()": not present, no value (as convert() says)
            if kind == _INTEGER:
                return False  # (an MBus device type: the full parse may infer it from the unit)
            self._cells[col].set = True
            self._cells[col].valid = False
            if kind == _TIMESTAMPED:
                self._cells[stamp_col].set = True
                self._cells[stamp_col].valid = False
            if unit_col >= 0:
                self._objs[unit_col] = None
                self._cells[unit_col].set = True
                self._cells[unit_col].valid = False
            return True
        if kind == _COMPLEX:
            if act.gas:
                return self._gas(act, p, ngroups, numbers, col, stamp_col, unit_col)
            return self._complex_cell(act, p, ngroups, col)
        if kind == _TIMESTAMPED:
            if ngroups != 2:
                return False
            time_first = gs[1] - gs[0] >= 12
            for i in range(gs[0], gs[1]):
                if p[i] == 0x2A or p[i] == 0x2E:
                    time_first = False
                    break
            if time_first:
                ts, te, vs, ve = gs[0], gs[1], gs[2], gs[3]
            else:
                ts, te, vs, ve = gs[2], gs[3], gs[0], gs[1]
            if not self._number(act, p + vs, ve - vs, False, numbers, col, unit_col):
                return False
            if not self._stamp(p + ts, te - ts, stamp_col):
                return False
            self._cells[col].set = True
            return True
        if ngroups != 1:
            return False
        vs, ve = gs[0], gs[1]
        if kind == _QUANTITY:
            return self._number(act, p + vs, ve - vs, False, numbers, col, -1)
        if kind == _INTEGER:
            return self._number(act, p + vs, ve - vs, True, _COL_INT, col, -1)
        if kind == _TIMESTAMP:
            return self._stamp(p + vs, ve - vs, col)
        if kind == _HEX_TEXT:
            return self._text_cell(act, p + vs, ve - vs, col, True)
        return self._text_cell(act, p + vs, ve - vs, col, False)  # TEXT, RAW

    cdef bint _number(self, _Act* act, const unsigned char* s, Py_ssize_t n, bint integer,
                      int numbers, int col, int unit_col) except -1:
        cdef _Num num
        cdef _Cell* cell = &self._cells[col]
        cdef bytes expected
        cdef Py_ssize_t ulen = 0, m
        if n == 0 or not _read_number(s, n, integer, &num):
            return False
        if num.end < n:  # the unit, checked against the profile's as convert() does
            ulen = n - num.end - 1
            if not self._unit_ok(act, s + num.end + 1, ulen):
                return False
        if unit_col >= 0:
            self._objs[unit_col] = (
                self._unit_text(act, s + num.end + 1, ulen) if num.end < n else None
            )
            self._cells[unit_col].set = True
            self._cells[unit_col].valid = num.end < n
        if num.sig > 18:
            return False
        if numbers == _COL_INT:
            cell.i = -<long long>num.m if num.neg else <long long>num.m
        elif numbers == _COL_FLOAT:
            if num.m > (1ULL << 53) or num.scale > 22:
                return False  # not exact in one division: leave it to float(Decimal)
            cell.f = <double>num.m / _POW10[num.scale]
            if num.neg:
                cell.f = -cell.f
        else:  # decimal: unscaled and scale, as Column stores a Decimal
            if num.scale > 127 or (num.neg and num.m == 0):
                return False
            cell.i = -<long long>num.m if num.neg else <long long>num.m
            cell.aux = num.scale
        cell.set = True
        cell.valid = True
        return True

    cdef inline bint _unit_ok(self, _Act* act, const unsigned char* s, Py_ssize_t n) except -1:
        """The unit s[:n] is the profile's for this object (or it expects none)."""
        cdef Py_ssize_t m
        if PyList_GET_ITEM(self._expected, act.index) == <PyObject*>None:
            return True
        expected = <bytes>PyList_GET_ITEM(self._expected, act.index)
        m = len(expected)
        if m != n:
            return False
        return memcmp(PyBytes_AS_STRING(expected), s, m) == 0 or _ascii_units_equal(
            <const unsigned char*>PyBytes_AS_STRING(expected), s, m
        )

    cdef bint _gas(self, _Act* act, const unsigned char* p, Py_ssize_t ngroups, int numbers,
                   int col, int stamp_col, int unit_col) except -1:
        """A DSMR 2.2/3 gas record, as legacy_gas_record reads it: the time is the first group,
        the value the last (its unit, else the sixth group, is the reading's unit)."""
        cdef Py_ssize_t* gs = self._spans
        cdef Py_ssize_t vs, ve, us, ue
        if ngroups < 7:
            return False
        vs = gs[2 * ngroups - 2]
        ve = gs[2 * ngroups - 1]
        if ve == vs or p[ve - 1] == 0x2A:
            return False  # ("(5*)": an empty unit, which the sixth group replaces)
        if not self._number(act, p + vs, ve - vs, False, numbers, col, unit_col):
            return False
        if not self._cells[unit_col].valid:  # no unit on the value: the sixth group's, if any
            us = gs[10]
            ue = gs[11]
            if ue > us:
                if not self._unit_ok(act, p + us, ue - us):
                    return False
                self._objs[unit_col] = self._unit_text(act, p + us, ue - us)
                self._cells[unit_col].valid = True
        return self._stamp(p + gs[0], gs[1] - gs[0], stamp_col)

    cdef bint _stamp(self, const unsigned char* s, Py_ssize_t n, int col) except -1:
        """A timestamp cell (UTC microseconds, offset minutes), from the zone's tables as the
        full parse reads it: flagged or not, 12 or 14 digits, flags trusted or not."""
        cdef _Time t
        cdef _Cell* cell = &self._cells[col]
        cdef int verdict = _scan_time(<const Py_UCS1*>s, n, &t)
        cdef int offset, summer
        cdef bint contradicts = False
        if verdict < 0:
            return False
        if verdict == 0:  # a sentinel date: no time
            cell.set = True
            cell.valid = False
            return True
        zone = _zone_for(self._ctx)
        if zone is None:
            return False
        summer = (<_Zone>zone).summer_of(&t, &contradicts)
        if summer < 0 or contradicts:
            return False  # a year values.py answers, or a flag the full parse reports
        offset = self._summer if summer else self._winter
        cell.set = True
        cell.i = (
            _days_from_civil(t.year, t.month, t.day) * 86400
            + t.hour * 3600 + t.minute * 60 + t.second - offset * 60
        ) * 1000000
        cell.aux = offset
        cell.valid = True
        return True

    cdef object _unit_text(self, _Act* act, const unsigned char* s, Py_ssize_t n):
        raw = <object>PyList_GET_ITEM(self._unit_raw, act.index)
        if raw is not None and len(<bytes>raw) == n and memcmp(PyBytes_AS_STRING(raw), s, n) == 0:
            return <object>PyList_GET_ITEM(self._unit_val, act.index)
        text = _text(s, 0, n)
        self._unit_raw[act.index] = PyBytes_FromStringAndSize(<const char*>s, n)
        self._unit_val[act.index] = text
        return text

    cdef bint _text_cell(self, _Act* act, const unsigned char* s, Py_ssize_t n, int col,
                         bint hex) except -1:
        """A text cell; the str of the last telegram again when the bytes are the same."""
        raw = <object>PyList_GET_ITEM(self._cache_raw, act.index)
        if raw is not None and len(<bytes>raw) == n and memcmp(PyBytes_AS_STRING(raw), s, n) == 0:
            value = <object>PyList_GET_ITEM(self._cache_val, act.index)
        else:
            value = _hex_cell(s, n) if hex else _text(s, 0, n)
            if value is None:
                return False
            self._cache_raw[act.index] = PyBytes_FromStringAndSize(<const char*>s, n)
            self._cache_val[act.index] = value
        self._objs[col] = value
        self._cells[col].set = True
        self._cells[col].valid = True
        return True

    cdef bint _complex_cell(self, _Act* act, const unsigned char* p, Py_ssize_t ngroups,
                            int col) except -1:
        """A COMPLEX object: its JSON cell, what Columns.append stores (cached on its bytes).
        The compiled converter and JSON writer make it; the row's Python cell function only
        for a converter of another kind or a shape the compiled one leaves to Python."""
        cdef Py_ssize_t* gs = self._spans
        cdef const unsigned char* s
        cdef Py_ssize_t n, k
        cdef _Converter conv
        if ngroups == 0:
            return False
        s = p + gs[0] - 1
        n = gs[2 * ngroups - 1] + 1 - (gs[0] - 1)
        for k in range(1, ngroups):
            if gs[2 * k] != gs[2 * k - 1] + 2:  # on several lines: "(g1)(g2)..." joined
                s = self._joined(p, ngroups)
                n = self._joinlen
                break
        raw = <object>PyList_GET_ITEM(self._cache_raw, act.index)
        if raw is not None and len(<bytes>raw) == n and memcmp(PyBytes_AS_STRING(raw), s, n) == 0:
            value = <object>PyList_GET_ITEM(self._cache_val, act.index)
        else:
            value = _NOFAST
            if act.cx != _CX_NONE:
                groups = PyTuple_New(ngroups)
                for k in range(ngroups):
                    text = _text(p, gs[2 * k], gs[2 * k + 1])
                    Py_INCREF(text)
                    PyTuple_SET_ITEM(groups, k, text)
                expected = <object>PyList_GET_ITEM(self._expected_text, act.index)
                conv = _Converter(self._ctx)
                converted = _complex(conv, act.cx, groups, expected)
                if converted is not _NOFAST:
                    unit = conv.unit
                    if (unit is not None and expected is not None and unit != expected
                            and not _units_equal(unit, expected)):
                        return False  # a unit problem: the full parse reports it
                    if converted is None:
                        value = None
                    else:
                        value = scalar_json(converted)
                        if value is None:  # (text UTF-8 cannot carry: the Python writer's)
                            value = _NOFAST
            if value is _NOFAST:
                ok, value = self._complex[act.index](_text(s, 0, n))
                if not ok:
                    return False
            self._cache_raw[act.index] = PyBytes_FromStringAndSize(<const char*>s, n)
            self._cache_val[act.index] = value
        self._objs[col] = value
        self._cells[col].set = True
        self._cells[col].valid = value is not None
        return True

    cdef const unsigned char* _joined(self, const unsigned char* p,
                                      Py_ssize_t ngroups) except NULL:
        """The pending object's groups as one "(g1)(g2)..." text (in self._join, _joinlen)."""
        cdef Py_ssize_t* gs = self._spans
        cdef Py_ssize_t k, size = 0, at = 0
        cdef unsigned char* mem
        for k in range(ngroups):
            size += gs[2 * k + 1] - gs[2 * k] + 2
        if size > self._joincap:
            mem = <unsigned char*>realloc(self._join, max(size, 1024))
            if mem == NULL:
                raise MemoryError()
            self._join = mem
            self._joincap = max(size, 1024)
        for k in range(ngroups):
            self._join[at] = 0x28
            memcpy(self._join + at + 1, p + gs[2 * k], gs[2 * k + 1] - gs[2 * k])
            at += gs[2 * k + 1] - gs[2 * k] + 1
            self._join[at] = 0x29
            at += 1
        self._joinlen = size
        return self._join

    # ---- the row

    cdef int _commit(self, str crc, int problems, object extra) except -1:
        cdef int c
        cdef _Cell* cell
        cdef Py_ssize_t n
        cdef array.array values, aux
        cdef _Cell* cells = self._cells
        self._objs[1] = self._profile
        cells[1].set = cells[1].valid = True
        self._objs[2] = crc
        cells[2].set = cells[2].valid = True
        cells[3].i = problems
        cells[3].set = cells[3].valid = True
        self._objs[self._extra_col] = extra
        cells[self._extra_col].set = True
        cells[self._extra_col].valid = extra is not None
        for c in range(self._ncols):
            cell = &cells[c]
            valid = <object>PyList_GET_ITEM(self._valid, c)
            n = PyByteArray_GET_SIZE(valid)
            PyByteArray_Resize(valid, n + 1)
            PyByteArray_AS_STRING(valid)[n] = 1 if cell.valid else 0
            if self._kinds[c] == _COL_STR:
                PyList_Append(
                    <object>PyList_GET_ITEM(self._values, c),
                    <object>PyList_GET_ITEM(self._objs, c) if cell.valid else None,
                )
                continue
            values = <array.array>PyList_GET_ITEM(self._values, c)
            n = Py_SIZE(values)
            array.resize_smart(values, n + 1)
            if self._kinds[c] == _COL_FLOAT:
                values.data.as_doubles[n] = cell.f if cell.valid else 0.0
                continue
            values.data.as_longlongs[n] = cell.i if cell.valid else 0
            if self._kinds[c] == _COL_TIMESTAMP:
                aux = <array.array>PyList_GET_ITEM(self._aux, c)
                array.resize_smart(aux, n + 1)
                aux.data.as_shorts[n] = cell.aux if cell.valid else 0
            elif self._kinds[c] == _COL_DECIMAL:
                aux = <array.array>PyList_GET_ITEM(self._aux, c)
                array.resize_smart(aux, n + 1)
                aux.data.as_schars[n] = cell.aux if cell.valid else 0
        return 0


cdef object _hex_cell(const unsigned char* s, Py_ssize_t n):
    """values.decode_hex_text: text that is no hex, or hex of printable ASCII, here; the rest
    (UTF-8, control characters: binary serials many meters write) by values.py, as the full parse
    does (its text cell is cached on the bytes, so a meter's id costs that call once)."""
    cdef Py_ssize_t i
    cdef int c
    cdef Py_UCS1* out
    if n == 0 or n & 1:
        return _text(s, 0, n)
    for i in range(n):
        if not _ISHEX[s[i]]:
            return _text(s, 0, n)
    result = PyUnicode_New(n // 2, 127)
    out = <Py_UCS1*>PyUnicode_DATA(result)
    for i in range(0, n, 2):
        c = _hexval(s[i]) * 16 + _hexval(s[i + 1])
        if c < 0x20 or c > 0x7E:
            return _decode_hex_text(_text(s, 0, n))
        out[i // 2] = <Py_UCS1>c
    return result


collections.abc.Sequence.register(LineTable)


include "_fastjsonl.pxi"  # JsonLineWriter: the compiled twin only (no pure twin, not in __all__)
