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
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_DecodeLatin1
from libc.stdint cimport uint16_t
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
    static PyObject *dsmr_record(PyObject *type, Py_ssize_t n, PyObject **items) {
        PyObject *rec = ((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, n);
        Py_ssize_t i;
        if (rec == NULL) return NULL;
        for (i = 0; i < n; i++) {
            Py_INCREF(items[i]);
            PyTuple_SET_ITEM(rec, i, items[i]);
        }
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
    cdef int i
    for i in range(256):
        _ISSPACE[i] = chr(i).isspace()
        _ISHEX[i] = chr(i) in "0123456789abcdefABCDEF"
        _SKIPPABLE[i] = i in b" \t\r\n\x00\xff"

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
# CRC-16/ARC, slicing-by-8: eight 256-entry tables, eight input bytes per step

cdef uint16_t _T[8][256]

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
        for k in range(1, 8):
            crc = (crc >> 8) ^ _T[0][crc & 0xFF]
            _T[k][i] = crc

_init_crc_tables()


cdef inline uint16_t _crc_update(uint16_t crc, const unsigned char* p, Py_ssize_t n) noexcept nogil:
    # T[k][b] is byte b followed by k zero bytes: the 8 lookups of a block are independent
    while n >= 8:
        crc ^= <uint16_t>(p[0] | (p[1] << 8))
        crc = (_T[7][crc & 0xFF] ^ _T[6][crc >> 8] ^ _T[5][p[2]] ^ _T[4][p[3]]
               ^ _T[3][p[4]] ^ _T[2][p[5]] ^ _T[1][p[6]] ^ _T[0][p[7]])
        p += 8
        n -= 8
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
                                prev = lines[-1]
                                lines[-1] = dsmr_rec4(
                                    _Line, prev[0], prev[1] + groups, prev[2], prev[3]
                                )
                        else:
                            code = _text(p, a, b)
                            if _is_canonical(p + a, b - a):
                                obis = code
                            else:
                                obis = _canonical_slow(code)
                            if obis is None:
                                if line_problems is None:
                                    line_problems = []
                                line_problems.append(dsmr_rec5(
                                    _Problem, "syntax", f"not an OBIS code: {code[:40]!r}",
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


