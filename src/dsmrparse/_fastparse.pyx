# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""The Cython twin of ``_purepy.py``: same functions, same results, byte for byte.

``_purepy`` is the reference. Everything off the hot path (odd OBIS spellings, timestamps without
a DST flag, COSEM dates, malformed values) is handed to the same Python functions the pure twin
uses, so every value and every error message is identical by construction.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.datetime cimport datetime_new, import_datetime
from cpython.dict cimport PyDict_CheckExact
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_CheckExact, PyLong_FromLongLong, PyLong_FromSsize_t
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_DecodeLatin1
from libc.stdint cimport uint16_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove

import re
from decimal import Decimal

from . import _kinds as K
from ._types import Entry, Frame, Line, Problem, Tokens
from .errors import FramingError
from .obis import ObisCode
from .values import (
    SENTINEL_TIMESTAMPS,
    decode_hex_text,
    parse_integer,
    parse_quantity,
    parse_timestamp,
    units_equal,
)

cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    int PyUnicode_1BYTE_KIND
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL

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
        for (i = 0; i < n; i++) {
            if (PyObject_GC_IsTracked(PyTuple_GET_ITEM(tup, i))) return;
        }
        if (PyObject_GC_IsTracked(tup)) PyObject_GC_UnTrack(tup);
    }
    static PyObject *dsmr_record(PyObject *type, Py_ssize_t n, PyObject **items) {
        PyObject *rec = ((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, n);
        Py_ssize_t i;
        if (rec == NULL) return NULL;
        for (i = 0; i < n; i++) {
            Py_INCREF(items[i]);
            PyTuple_SET_ITEM(rec, i, items[i]);
        }
        dsmr_untrack_if_atomic(rec);
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
    static PyObject *dsmr_rec10(PyObject *t, PyObject *a, PyObject *b, PyObject *c, PyObject *d,
                                PyObject *e, PyObject *f, PyObject *g, PyObject *h, PyObject *i,
                                PyObject *j) {
        PyObject *v[10] = {a, b, c, d, e, f, g, h, i, j};
        return dsmr_record(t, 10, v);
    }
    """
    void dsmr_untrack_if_atomic(object tup)
    object dsmr_rec4(object t, object a, object b, object c, object d)
    object dsmr_rec5(object t, object a, object b, object c, object d, object e)
    object dsmr_rec9(object t, object a, object b, object c, object d, object e, object f,
                     object g, object h, object i)
    object dsmr_rec10(object t, object a, object b, object c, object d, object e, object f,
                      object g, object h, object i, object j)

import_datetime()

NAME = "cython"
DEFAULT_MAX_FRAME = 8192

__all__ = ["NAME", "crc16", "tokenize", "convert", "FrameScanner", "Frame", "DEFAULT_MAX_FRAME"]

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
# line, and their cached str hash makes the plan lookups in convert() cheaper too. Bounded: one
# strong reference per slot.
cdef enum:
    _OBIS_SLOTS = 256
cdef PyObject* _obis_slots[_OBIS_SLOTS]


cdef object _obis_code(const unsigned char* s, Py_ssize_t n):
    """The canonical code for s[0:n] (stripped code text), None when it is no OBIS code."""
    cdef uint64_t a = 0, b = 0
    cdef size_t h
    cdef PyObject* old
    if n > 19 or n < 9:  # outside "1-2:3.4.5" ... "123-123:123.123.123": never canonical
        return _canonical_slow(_text(s, 0, n))
    # first and last 8 bytes (they overlap, and cover every byte of a code up to 16 long)
    memcpy(&a, s, 8)
    memcpy(&b, s + n - 8, 8)
    h = <size_t>(((a * 0x9E3779B97F4A7C15ULL) ^ (b + <uint64_t>n)) * 0xFF51AFD7ED558CCDULL >> 56)
    old = _obis_slots[h]
    if old != NULL and PyUnicode_GET_LENGTH(<object>old) == n and memcmp(
        PyUnicode_DATA(<object>old), s, n
    ) == 0:
        return <object>old
    if not _is_canonical(s, n):
        return _canonical_slow(_text(s, 0, n))
    code = _text(s, 0, n)
    Py_INCREF(code)
    _obis_slots[h] = <PyObject*>code
    Py_XDECREF(old)
    return code


cdef inline str _text(const unsigned char* p, Py_ssize_t a, Py_ssize_t b):
    """p[a:b] decoded as latin-1 (what the pure twin's ``body.decode("latin-1")`` slices give)."""
    return PyUnicode_DecodeLatin1(<const char*>(p + a), b - a, NULL)


def tokenize(data) -> Tokens:
    """One pass over one telegram: header, object lines, CRC status, line endings.

    Raises :class:`FramingError` when there is no ``/`` header at all; everything else wrong is
    reported in ``Tokens.problems``.
    """
    cdef Py_buffer view
    if PyBytes_CheckExact(data):
        return _tokenize(<const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data))
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _tokenize(<const unsigned char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


cdef object _tokenize(const unsigned char* p, Py_ssize_t n):
    cdef const unsigned char* hit
    cdef Py_ssize_t start, i, seg, segend, e, a, b, paren, pos, close, bang = -1, end
    cdef Py_ssize_t number = 1, nl_count = 0, crlf_count = 0, ngroups, k
    cdef Py_ssize_t body_end, crc_len
    cdef bint has_end = False, last, crc_repaired = False
    cdef int crc_given = -1
    cdef uint16_t computed, repaired
    cdef list lines = []
    cdef list line_problems = None
    cdef list problems
    cdef object header = None, groups, obis, code, prev, item

    hit = <const unsigned char*>memchr(p, 0x2F, n)
    if hit == NULL:
        raise FramingError("no '/' header found", offset=0)
    start = hit - p
    problems = []
    if start:
        for i in range(start):
            if not _SKIPPABLE[p[i]]:
                problems.append(dsmr_rec5(
                    _Problem, "framing", f"{start} bytes of noise before the '/' header", 1, 0, None
                ))
                break

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
                    if line_problems is None:
                        line_problems = []
                    line_problems.append(dsmr_rec5(
                        _Problem, "syntax",
                        f"no '(' in object line {_text(p, seg, min(e, seg + 40))!r}",
                        number, seg, None,
                    ))
                else:
                    paren = hit - p
                    # validate and count the groups first, then fill a tuple of the right size
                    ngroups = 0
                    pos = paren
                    while pos < e:
                        if p[pos] == 0x28:
                            hit = <const unsigned char*>memchr(p + pos + 1, 0x29, e - pos - 1)
                            if hit == NULL:
                                if line_problems is None:
                                    line_problems = []
                                line_problems.append(dsmr_rec5(
                                    _Problem, "syntax", "unterminated '(' group", number, pos, None
                                ))
                                ngroups = -1
                                break
                            ngroups += 1
                            pos = hit - p + 1
                        elif p[pos] == 0x20 or p[pos] == 0x09:
                            pos += 1
                        else:
                            if line_problems is None:
                                line_problems = []
                            line_problems.append(dsmr_rec5(
                                _Problem, "syntax",
                                f"unexpected {chr(p[pos])!r} after a group", number, pos, None,
                            ))
                            ngroups = -1
                            break
                    if ngroups > 0:
                        groups = PyTuple_New(ngroups)
                        pos = paren
                        k = 0
                        while k < ngroups:
                            if p[pos] == 0x28:
                                close = <const unsigned char*>memchr(p + pos + 1, 0x29, e - pos - 1) - p
                                item = _text(p, pos + 1, close)
                                Py_INCREF(item)  # PyTuple_SET_ITEM steals it
                                PyTuple_SET_ITEM(groups, k, item)
                                k += 1
                                pos = close + 1
                            else:
                                pos += 1
                        dsmr_untrack_if_atomic(groups)
                        # the code before "(", stripped; empty means a continuation line
                        a = seg
                        b = paren
                        while a < b and _ISSPACE[p[a]]:
                            a += 1
                        while b > a and _ISSPACE[p[b - 1]]:
                            b -= 1
                        if a == b:
                            if not lines:
                                if line_problems is None:
                                    line_problems = []
                                line_problems.append(dsmr_rec5(
                                    _Problem, "syntax", "continuation line before any object",
                                    number, seg, None,
                                ))
                            else:
                                k = len(lines) - 1  # (no negative indexing: wraparound is off)
                                prev = lines[k]
                                lines[k] = dsmr_rec4(
                                    _Line, prev[0], prev[1] + groups, prev[2], prev[3]
                                )
                        else:
                            obis = _obis_code(p + a, b - a)
                            if obis is None:
                                if line_problems is None:
                                    line_problems = []
                                line_problems.append(dsmr_rec5(
                                    _Problem, "syntax",
                                    f"not an OBIS code: {_text(p, a, min(b, a + 40))!r}",
                                    number, seg, None,
                                ))
                            else:
                                lines.append(dsmr_rec4(
                                    _Line, obis, groups, PyLong_FromSsize_t(number),
                                    PyLong_FromSsize_t(seg),
                                ))
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
            crc_repaired = True
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
    return dsmr_rec10(
        _Tokens, header, lines, crc, crc_given, computed, line_ending, crc_repaired, problems,
        start, end,
    )



# --------------------------------------------------------------------------------------------
# typed values

cdef extern from "Python.h":
    long PyLong_AsLongAndOverflow(object o, int* overflow) except? -1

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


cdef struct _Stamp:
    int year, month, day, hour, minute, second
    bint summer


cdef int _scan_stamp(const Py_UCS1* s, Py_ssize_t n, _Stamp* st) noexcept nogil:
    """``YYMMDDhhmmss`` + ``S``/``W``: 1 and the fields in st when valid, 0 for a sentinel date,
    -1 for anything values.parse_timestamp must handle (or word the error for)."""
    cdef int i
    cdef int f[6]
    cdef Py_UCS1 flag
    if n != 13:
        return -1
    flag = s[12] | 0x20
    if flag != 0x73 and flag != 0x77:  # s w
        return -1
    for i in range(12):
        if not _isdigit(s[i]):
            return -1
    if memcmp(s, _SENTINEL_PREFIX, 12) == 0:
        return 0
    for i in range(0, _NSENTINELS * 12, 12):
        if memcmp(s, _SENTINELS + i, 12) == 0:
            return 0
    for i in range(6):
        f[i] = (s[2 * i] - 0x30) * 10 + (s[2 * i + 1] - 0x30)
    st.year = 2000 + f[0]
    st.month = f[1]
    st.day = f[2]
    st.hour = f[3]
    st.minute = f[4]
    st.second = f[5]
    st.summer = flag == 0x73
    if not 1 <= st.month <= 12 or st.day < 1 or st.hour > 23 or st.minute > 59 or st.second > 59:
        return -1
    if st.day > _DAYS[st.month]:
        if not (st.month == 2 and st.day == 29 and st.year % 4 == 0
                and (st.year % 100 != 0 or st.year % 400 == 0)):
            return -1
    return 1


# Register texts seen lately -> their Decimal. Building a Decimal is the largest single cost of a
# quantity, and a meter repeats most of its registers from one telegram to the next (energy counts
# change a few times a minute, voltages and currents move within a few values). Decimals are
# immutable and exact whatever the context, so sharing one is invisible to users.
cdef dict _DECIMALS = {}
cdef Py_ssize_t _DECIMALS_LIMIT = 4096


cdef class _Converter:
    """One convert() call's state: the time context, its two fixed offsets fetched once, and the
    unit of the last quantity (a second return value without a tuple)."""

    cdef object ctx, summer, winter, unit

    def __cinit__(self, ctx):
        self.ctx = ctx
        self.summer = _NOFAST
        self.winter = _NOFAST

    cdef object quantity(self, object text, object expected):
        cdef Py_ssize_t n, end
        cdef PyObject* hit
        cdef const Py_UCS1* s = _ucs1(text, &n)
        if s != NULL:
            end = _number_end(s, n, False)
            if end >= 0:
                self.unit = None if end == n else _unit(text, s, end + 1, n, expected)
                hit = PyDict_GetItemWithError(_DECIMALS, text)
                if hit != NULL:
                    return <object>hit
                value = _Decimal(text if end == n else PyUnicode_Substring(text, 0, end))
                if len(_DECIMALS) >= _DECIMALS_LIMIT:
                    _DECIMALS.clear()
                _DECIMALS[text] = value
                return value
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
        cdef Py_ssize_t n
        cdef _Stamp st
        cdef int verdict = -1
        cdef const Py_UCS1* s = _ucs1(text, &n)
        if s != NULL:
            verdict = _scan_stamp(s, n, &st)
        if verdict == 0:
            return None
        if verdict < 0:
            return _parse_timestamp(text, self.ctx)
        if st.summer:
            if self.summer is _NOFAST:
                self.summer = self.ctx.summer
            tz = self.summer
        else:
            if self.winter is _NOFAST:
                self.winter = self.ctx.winter
            tz = self.winter
        return datetime_new(st.year, st.month, st.day, st.hour, st.minute, st.second, 0, tz)


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


def convert(lines, plan, ctx):
    """Typed entries for the object lines, following the profile's plan.

    COMPLEX rows call the row's converter (Python, shared by both twins); objects the plan does not
    know are kept with ``name`` and ``value`` None and their raw groups.
    """
    cdef list entries = []
    cdef list problems = []
    cdef _Converter conv = _Converter(ctx)
    cdef bint plan_dict = PyDict_CheckExact(plan)
    cdef PyObject* found
    cdef int kind
    cdef Py_ssize_t ngroups
    cdef object obis, groups, lineno, offset, row, name, expected, value, unit, stamp, error, group
    for ln in lines:
        if type(ln) is _Line:
            obis = <object>PyTuple_GET_ITEM(ln, 0)
            groups = <object>PyTuple_GET_ITEM(ln, 1)
            lineno = <object>PyTuple_GET_ITEM(ln, 2)
            offset = <object>PyTuple_GET_ITEM(ln, 3)
        else:
            obis, groups, lineno, offset = ln.obis, ln.groups, ln.line, ln.offset
        if plan_dict:
            found = PyDict_GetItemWithError(plan, obis)
            row = <object>found if found != NULL else None
        else:
            row = plan.get(obis)
        if row is None:
            entries.append(dsmr_rec9(
                _Entry, obis, None, None, None, None, groups, lineno, offset, None
            ))
            continue
        kind_obj, name, expected = row[0], row[1], row[2]
        kind = _kind_code(kind_obj)
        value = unit = stamp = error = None
        try:
            if kind == _COMPLEX:  # the row's Python converter, shared with the pure twin
                value, unit, stamp = row[3](groups, ctx)
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
                stamp = conv.timestamp(stamp_text)
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
                    value = _hex_text(group)
                elif kind == _TIMESTAMP:
                    value = conv.timestamp(group)
                else:  # TEXT, and anything the plan calls raw
                    value = group
        except ValueError as exc:
            error = str(exc)
            value = stamp = unit = None
            problems.append(dsmr_rec5(_Problem, "value", error, lineno, offset, obis))
        if unit is not None and expected is not None and unit is not expected:
            if unit != expected and not _units_equal(unit, expected):
                problems.append(dsmr_rec5(
                    _Problem, "value", f"unit {unit!r} where {expected!r} was expected",
                    lineno, offset, obis,
                ))
        entries.append(dsmr_rec9(
            _Entry, obis, name, value, unit, stamp, groups, lineno, offset, error
        ))
    return entries, problems


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
    """

    cdef unsigned char* _mem
    cdef Py_ssize_t _cap
    cdef Py_ssize_t _head  # the buffer is _mem[_head : _head + _len]
    cdef Py_ssize_t _len
    cdef Py_ssize_t _base  # stream offset of the buffer's first byte
    cdef bint _in_frame  # the buffer's first byte starts a frame
    cdef Py_ssize_t _scan  # where to resume looking for the end inside a frame
    cdef public Py_ssize_t max_frame

    def __cinit__(self, *args, **kwargs):
        self._mem = NULL
        self._cap = self._head = self._len = self._base = self._scan = 0
        self._in_frame = False

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
            if self._in_frame:
                self._emit(out, "damaged", self._len, "stream ended inside a telegram")
            else:
                self._junk(out, self._len)
        self._in_frame = False
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
        self._consume(size)
        self._in_frame = False
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
                break
        self._consume(size)
        return 0

    cdef inline void _consume(self, Py_ssize_t size) noexcept:
        self._head += size
        self._len -= size
        self._base += size
        if self._len == 0:
            self._head = 0

    # ---- the state machine (see _purepy.FrameScanner)

    cdef int _step(self, list out, bint final) except -1:
        cdef Py_ssize_t start, keep
        if not self._len:
            return 0
        if not self._in_frame:
            start = self._find_start(final)
            if start < 0:
                # keep a possible start at the very end (a "/" whose letters have not come yet)
                keep = self._partial_start(final)
                if self._len - keep > 0:
                    self._junk(out, self._len - keep)
                return 0
            if start:
                self._junk(out, start)
            self._in_frame = True
            self._scan = 1
            return 1
        if self._buf()[0] == 0xDB:
            return self._step_encrypted(out, final)
        return self._step_telegram(out, final)

    cdef int _step_telegram(self, list out, bint final) except -1:
        cdef const unsigned char* buf = self._buf()
        cdef const unsigned char* hit
        cdef Py_ssize_t size = self._len, pos = self._scan, nl, end
        cdef int verdict
        while True:
            hit = <const unsigned char*>memchr(buf + pos, 0x0A, size - pos) if pos < size else NULL
            if hit == NULL or hit - buf + 1 >= size:
                self._scan = max(pos, 1)
                break
            nl = hit - buf
            if buf[nl + 1] == 0x21:  # "!"
                end = _crc_end(buf, size, nl + 2, final)
                if end < 0:
                    self._scan = nl
                    break
                if end > self.max_frame:  # arrived whole in one chunk, still too long
                    self._emit(
                        out, "damaged", end, f"telegram longer than {self.max_frame} bytes dropped"
                    )
                else:
                    self._emit(out, "telegram", end, None)
                return 1
            if buf[nl + 1] == 0x2F:  # "/" at a line start: a new header cuts this telegram off
                verdict = _is_start(buf, size, nl + 1, final)
                if verdict == 0:
                    self._scan = nl  # wait for the header letters
                    break
                if verdict == 1:
                    self._emit(
                        out, "damaged", nl + 1,
                        f"telegram cut off: a new header began at byte {self._base + nl + 1}",
                    )
                    return 1
            pos = nl + 1
        if self._len > self.max_frame:
            self._emit(
                out, "damaged", self._len, f"telegram longer than {self.max_frame} bytes dropped"
            )
            return 1
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
        if self._len < total:
            if final:
                self._emit(out, "damaged", self._len, "stream ended inside an encrypted frame")
                return 1
            return 0
        self._emit(out, "encrypted", total, None)
        return 1

    cdef Py_ssize_t _find_start(self, bint final) noexcept:
        """The first frame start in the buffer, or -1 (also when one may start but is unsure)."""
        cdef const unsigned char* buf = self._buf()
        cdef Py_ssize_t pos, size = self._len
        cdef int verdict
        for pos in range(size):
            if buf[pos] == 0x2F or buf[pos] == 0xDB:
                verdict = _is_start(buf, size, pos, final)
                if verdict == 1:
                    return pos
                if verdict == 0:
                    return -1
        return -1

    cdef Py_ssize_t _partial_start(self, bint final) noexcept:
        """How many bytes at the end of the buffer could still become a frame start."""
        cdef Py_ssize_t back
        if final:
            return 0
        for back in range(min(3, self._len), 0, -1):
            if _is_start(self._buf(), self._len, self._len - back, False) == 0:
                return back
        return 0


cdef inline int _is_start(const unsigned char* buf, Py_ssize_t size, Py_ssize_t pos,
                          bint final) noexcept:
    """1: a telegram or encrypted frame starts at pos; -1: not; 0: not enough bytes to say."""
    cdef Py_ssize_t i
    cdef unsigned char c
    if buf[pos] == 0x2F:
        if size < pos + 4:
            return -1 if final else 0
        for i in range(pos + 1, pos + 4):
            c = buf[i] & 0xDF  # ASCII upper case
            if c < 0x41 or c > 0x5A:
                return -1
        return 1
    if buf[pos] == 0xDB:
        if size < pos + 2:
            return -1 if final else 0
        return 1 if buf[pos + 1] == 0x08 else -1
    return -1


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
    cdef Py_ssize_t first, width
    if size < 11:
        return 0
    if buf[1] != 0x08:
        return -1
    first = buf[10]
    if first < 0x80:
        return 11 + first
    width = first & 0x7F
    if width != 1 and width != 2:
        return -1
    if size < 11 + width:
        return 0
    if width == 1:
        return 11 + 1 + buf[11]
    return 11 + 2 + (buf[11] << 8 | buf[12])
