# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled twin's JSON writer: the interchange form's ``objects`` array and any value.

Byte for byte what ``_jsonform`` gives with the json module: ensure_ascii=False, compact
separators, Decimals as exact numbers. Anything but None, bool, int, str, Decimal, datetime, dicts
with str keys, lists, tuples and records is handed to the reference writer. ``_fastparse``
re-exports ``dumps`` and ``entries_json`` (the twins share one API).
"""

from cpython.dict cimport PyDict_CheckExact
from cpython.list cimport PyList_CheckExact
from cpython.long cimport PyLong_CheckExact
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_Check, PyTuple_CheckExact, PyTuple_GET_ITEM
from cpython.unicode cimport PyUnicode_CheckExact
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

from ._capi cimport (
    PyDict_Next,
    PyLong_AsLongLongAndOverflow,
    Py_UCS1,
    PyUnicode_1BYTE_KIND,
    PyUnicode_AsUTF8AndSize,
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
)

from datetime import datetime
from decimal import Decimal

from ._jsonform import decimal_text, value_json
from ._jsonform import dumps_reference as _dumps
from ._jsonform import entries_json as _entries_json
from ._types import Entry

__all__ = ["dumps", "entries_json"]


cdef object _Decimal = Decimal
cdef object _datetime = datetime
cdef object _Entry = Entry
cdef object _decimal_text = decimal_text
cdef object _value_json = value_json

cdef struct _Out:
    char* buf
    Py_ssize_t size
    Py_ssize_t cap

# json's escapes (ensure_ascii=False): the short ones, \u00XX for other control characters
cdef char _ESCAPE[256][6]
cdef int _ESCAPE_SIZE[256]


cdef void _init_escapes():
    short = {0x22: b'\\"', 0x5C: b"\\\\", 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t",
             0x08: b"\\b", 0x0C: b"\\f"}
    cdef bytes text
    cdef int c, k
    for c in range(256):
        text = short.get(c, b"\\u%04x" % c if c < 0x20 else b"")
        _ESCAPE_SIZE[c] = len(text)
        for k in range(len(text)):
            _ESCAPE[c][k] = text[k]

_init_escapes()


cdef int _reserve(_Out* out, Py_ssize_t more) except -1:
    cdef Py_ssize_t cap
    cdef char* mem
    if out.size + more <= out.cap:
        return 0
    cap = max(2 * out.cap, out.size + more)
    mem = <char*>realloc(out.buf, cap)
    if mem == NULL:
        raise MemoryError()
    out.buf = mem
    out.cap = cap
    return 0


cdef inline int _put(_Out* out, const char* s, Py_ssize_t n) except -1:
    if out.size + n > out.cap:
        _reserve(out, n)
    memcpy(out.buf + out.size, s, n)
    out.size += n
    return 0


cdef int _put_text(_Out* out, object text) except -1:
    """A Python str's characters, UTF-8 encoded, as they are (no quotes, no escapes)."""
    cdef Py_ssize_t n
    cdef const char* s = PyUnicode_AsUTF8AndSize(text, &n)
    return _put(out, s, n)


cdef int _put_string(_Out* out, object text) except -1:
    """A JSON string: json's escapes for '"', '\\' and control characters, the rest as is."""
    cdef Py_ssize_t n, i, run = 0
    cdef unsigned char c
    cdef const unsigned char* s = <const unsigned char*>PyUnicode_AsUTF8AndSize(text, &n)
    _reserve(out, n + 2)
    out.buf[out.size] = 0x22
    out.size += 1
    for i in range(n):
        c = s[i]
        if _ESCAPE_SIZE[c]:
            _put(out, <const char*>(s + run), i - run)
            _put(out, _ESCAPE[c], _ESCAPE_SIZE[c])
            run = i + 1
    _put(out, <const char*>(s + run), n - run)
    return _put(out, b'"', 1)


cdef bint _plain_number(object text) except -1:
    """Digits with an optional '-' and '.': a Decimal's str() that JSON takes as it is."""
    cdef Py_ssize_t n, i
    cdef const Py_UCS1* s
    if not PyUnicode_CheckExact(text) or PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND:
        return False
    n = PyUnicode_GET_LENGTH(text)
    s = <const Py_UCS1*>PyUnicode_DATA(text)
    if n == 0:
        return False
    for i in range(n):
        if not (0x30 <= s[i] <= 0x39 or s[i] == 0x2E or s[i] == 0x2D):
            return False
    return True


# Decimal -> its JSON text, by identity: the same Decimal objects come back telegram after
# telegram (see _decimal), and str() of a Decimal is most of the cost of writing one. A slot
# keeps the Decimal alive, so an address cannot be reused while it is there.
cdef struct _NumberSlot:
    PyObject* number
    PyObject* text  # a str

cdef enum:
    _NUMBER_SLOTS = 1024
cdef _NumberSlot _number_slots[_NUMBER_SLOTS]


cdef int _put_decimal(_Out* out, object value) except -1:
    cdef size_t h = (<size_t><PyObject*>value >> 4) & (_NUMBER_SLOTS - 1)
    cdef _NumberSlot* slot = &_number_slots[h]
    if slot.number == <PyObject*>value:
        return _put_text(out, <object>slot.text)
    text = str(value)
    if not _plain_number(text):
        text = _decimal_text(value)
    Py_INCREF(value)
    Py_INCREF(text)
    Py_XDECREF(slot.number)
    Py_XDECREF(slot.text)
    slot.number = <PyObject*>value
    slot.text = <PyObject*>text
    return _put_text(out, text)


cdef int _put_int(_Out* out, object value) except -1:
    cdef int overflow = 0
    cdef long long v = PyLong_AsLongLongAndOverflow(value, &overflow)
    cdef unsigned long long u
    cdef char digits[24]
    cdef int i = 24
    if overflow:
        return _put_text(out, str(value))
    u = <unsigned long long>(-v) if v < 0 else <unsigned long long>v
    while True:
        i -= 1
        digits[i] = <char>(0x30 + u % 10)
        u //= 10
        if u == 0:
            break
    if v < 0:
        i -= 1
        digits[i] = 0x2D
    return _put(out, digits + i, 24 - i)


cdef int _put_value(_Out* out, object value, int depth=0) except -1:
    """Any interchange value: what _jsonform.dumps writes for it."""
    cdef Py_ssize_t pos = 0, k, n
    cdef PyObject* key
    cdef PyObject* item
    cdef bint first = True
    if value is None:
        return _put(out, b"null", 4)
    if PyUnicode_CheckExact(value):
        return _put_string(out, value)
    if value is True:
        return _put(out, b"true", 4)
    if value is False:
        return _put(out, b"false", 5)
    if PyLong_CheckExact(value):
        return _put_int(out, value)
    if type(value) is _Decimal:
        return _put_decimal(out, value)
    if type(value) is _datetime:
        return _put_string(out, value.isoformat())
    if depth < 64:
        if PyDict_CheckExact(value):
            for key_object in value:  # json's own rules for keys other than str
                if not PyUnicode_CheckExact(key_object):
                    return _put_text(out, _dumps(value))
            _put(out, b"{", 1)
            while PyDict_Next(value, &pos, &key, &item):
                if not first:
                    _put(out, b",", 1)
                first = False
                _put_string(out, <object>key)
                _put(out, b":", 1)
                _put_value(out, <object>item, depth + 1)
            return _put(out, b"}", 1)
        if PyList_CheckExact(value) or PyTuple_CheckExact(value):
            _put(out, b"[", 1)
            n = len(value)
            for k in range(n):
                if k:
                    _put(out, b",", 1)
                _put_value(out, value[k], depth + 1)
            return _put(out, b"]", 1)
    return _put_text(out, _dumps(value))  # records, floats, subclasses: as json.dumps has it


cdef int _put_scalar(_Out* out, object value, int depth=0) except -1:
    """An entry's value, by as_json_value's rules: a record (a NamedTuple, such as a power
    failure) becomes an object of its fields, other tuples and lists become arrays."""
    cdef Py_ssize_t k, n
    if value is None or PyUnicode_CheckExact(value) or PyLong_CheckExact(value) or type(
        value
    ) is _Decimal or type(value) is _datetime:
        return _put_value(out, value)
    if depth < 64 and (PyTuple_Check(value) or PyList_CheckExact(value)):
        n = len(value)
        if not PyTuple_Check(value) or not hasattr(value, "_asdict"):
            _put(out, b"[", 1)
            for k in range(n):
                if k:
                    _put(out, b",", 1)
                _put_scalar(out, value[k], depth + 1)
            return _put(out, b"]", 1)
        fields = getattr(type(value), "_fields", None)
        if type(fields) is tuple and len(fields) == n and all(
            [PyUnicode_CheckExact(f) for f in fields]
        ):
            _put(out, b"{", 1)
            for k in range(n):
                if k:
                    _put(out, b",", 1)
                _put_string(out, fields[k])
                _put(out, b":", 1)
                _put_scalar(out, value[k], depth + 1)
            return _put(out, b"}", 1)
    return _put_text(out, _value_json(value))


cdef int _put_entry(_Out* out, object e) except -1:
    cdef Py_ssize_t k, n
    if type(e) is not _Entry:
        e = _Entry(*e)
    _put(out, b'{"obis":', 8)
    _put_value(out, <object>PyTuple_GET_ITEM(e, 0))
    _put(out, b',"name":', 8)
    _put_value(out, <object>PyTuple_GET_ITEM(e, 1))
    _put(out, b',"value":', 9)
    _put_scalar(out, <object>PyTuple_GET_ITEM(e, 2))
    _put(out, b',"unit":', 8)
    _put_value(out, <object>PyTuple_GET_ITEM(e, 3))
    stamp = <object>PyTuple_GET_ITEM(e, 4)
    if stamp is not None:
        _put(out, b',"timestamp":', 13)
        _put_string(out, stamp.isoformat())
    _put(out, b',"raw":[', 8)
    raw = <object>PyTuple_GET_ITEM(e, 5)
    n = len(raw)
    for k in range(n):
        if k:
            _put(out, b",", 1)
        _put_value(out, raw[k])
    _put(out, b'],"line":', 9)
    _put_value(out, <object>PyTuple_GET_ITEM(e, 6))
    error = <object>PyTuple_GET_ITEM(e, 8)
    if error is not None:
        _put(out, b',"error":', 9)
        _put_value(out, error)
    return _put(out, b"}", 1)


cdef int _put_entries(_Out* out, object entries) except -1:
    cdef bint first = True
    _put(out, b"[", 1)
    for e in entries:
        if not first:
            _put(out, b",", 1)
        first = False
        _put_entry(out, e)
    return _put(out, b"]", 1)


cdef object _written(object obj, bint as_entries):
    """obj as JSON text (an entries array when as_entries); None when UTF-8 cannot carry it (a
    lone surrogate, which json.dumps writes as it is): then the reference writer does it all."""
    cdef _Out out
    out.buf = NULL
    out.size = out.cap = 0
    try:
        _reserve(&out, 4096)
        if as_entries:
            _put_entries(&out, obj)
        else:
            _put_value(&out, obj)
        return PyUnicode_DecodeUTF8(out.buf, out.size, NULL)
    except UnicodeEncodeError:
        return None
    finally:
        free(out.buf)


def dumps(obj):
    """_jsonform.dumps, written in C: compact JSON, Decimals as exact numbers."""
    text = _written(obj, False)
    return _dumps(obj) if text is None else text


def entries_json(entries):
    """The interchange form's ``objects`` array as JSON text (see _jsonform.entries_json)."""
    if not PyTuple_CheckExact(entries) and not PyList_CheckExact(entries):
        entries = tuple(entries)  # (read twice should the reference writer have to take over)
    text = _written(entries, True)
    return _entries_json(entries) if text is None else text
