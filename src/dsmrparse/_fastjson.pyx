# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled twin's JSON writer: the interchange form's ``objects`` array and any value.

Byte for byte what ``_jsonform`` gives with the json module: ensure_ascii=False, compact
separators, Decimals as exact numbers. Anything but None, bool, int, str, Decimal, datetime, dicts
with str keys, lists, tuples and records is handed to the reference writer. ``_fastparse``
re-exports ``dumps`` and ``entries_json`` (the twins share one API).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.datetime cimport (
    PyDateTime_DATE_GET_HOUR,
    PyDateTime_DATE_GET_MICROSECOND,
    PyDateTime_DATE_GET_MINUTE,
    PyDateTime_DATE_GET_SECOND,
    PyDateTime_GET_DAY,
    PyDateTime_GET_MONTH,
    PyDateTime_GET_YEAR,
    datetime_tzinfo,
    import_datetime,
)
from cpython.dict cimport PyDict_CheckExact
from cpython.list cimport PyList_CheckExact, PyList_GET_ITEM
from cpython.long cimport PyLong_CheckExact
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_Check, PyTuple_CheckExact, PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport PyUnicode_CheckExact
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy

cdef extern from "Python.h":
    bint PyUnicode_IS_COMPACT_ASCII(object o)

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

from datetime import datetime, timezone
from decimal import Decimal

from ._jsonform import decimal_text, value_json
from ._jsonform import dumps_reference as _dumps
from ._jsonform import entries_json as _entries_json
from ._types import Entry

__all__ = ["dumps", "entries_json", "json_lines", "telegram_json"]


cdef object _Decimal = Decimal
cdef object _datetime = datetime
cdef object _timezone = timezone
import_datetime()
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


cdef inline int _lit(_Out* out, bytes s) except -1:
    """A literal's bytes (its length from the object, not counted by hand)."""
    return _put(out, PyBytes_AS_STRING(s), PyBytes_GET_SIZE(s))


cdef int _put_text(_Out* out, object text) except -1:
    """A Python str's characters, UTF-8 encoded, as they are (no quotes, no escapes)."""
    cdef Py_ssize_t n
    cdef const char* s = PyUnicode_AsUTF8AndSize(text, &n)
    return _put(out, s, n)


cdef inline bint _needs_escape(const unsigned char* s, Py_ssize_t n):
    """Whether any byte is '"', '\\' or a control character: eight bytes at a time (the
    "has a byte less than" word test, exact for any bytes), the tail one by one."""
    cdef uint64_t w, q, b
    cdef uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&w, s + i, 8)
        q = w ^ (0x22 * ones)
        b = w ^ (0x5C * ones)
        if (((w - 0x20 * ones) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs:
            return True
        i += 8
    while i < n:
        if _ESCAPE_SIZE[s[i]]:
            return True
        i += 1
    return False


cdef int _put_string(_Out* out, object text) except -1:
    """A JSON string: json's escapes for '"', '\\' and control characters, the rest as is."""
    cdef Py_ssize_t n, i, run = 0
    cdef unsigned char c
    cdef const unsigned char* s
    if PyUnicode_IS_COMPACT_ASCII(text):  # (most text: its bytes are its UTF-8, no call needed)
        n = PyUnicode_GET_LENGTH(text)
        s = <const unsigned char*>PyUnicode_DATA(text)
    else:
        s = <const unsigned char*>PyUnicode_AsUTF8AndSize(text, &n)
    _reserve(out, n + 2)
    out.buf[out.size] = 0x22
    out.size += 1
    if not _needs_escape(s, n):  # (nearly all text: one copy)
        memcpy(out.buf + out.size, s, n)
        out.buf[out.size + n] = 0x22
        out.size += n + 1
        return 0
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


# a fixed offset's text in isoformat() ("+01:00"), by its timezone: the same few every time
cdef dict _OFFSET_TEXT = {}


cdef inline void _digits(char* at, int value, int width):
    while width:
        width -= 1
        at[width] = <char>(0x30 + value % 10)
        value //= 10


cdef int _put_datetime(_Out* out, object value) except -1:
    """A datetime as a JSON string of its isoformat(): written here for a naive time or one
    with a fixed offset (datetime.timezone), by isoformat() for any other zone."""
    cdef char text[32]
    cdef int n = 19, year, micro
    tz = <object>datetime_tzinfo(value)
    if tz is not None and type(tz) is not _timezone:
        return _put_string(out, value.isoformat())
    year = PyDateTime_GET_YEAR(value)
    if year > 9999:  # (cannot be: datetime stops at 9999)
        return _put_string(out, value.isoformat())
    text[0] = 0x22
    _digits(text + 1, year, 4)
    text[5] = 0x2D
    _digits(text + 6, PyDateTime_GET_MONTH(value), 2)
    text[8] = 0x2D
    _digits(text + 9, PyDateTime_GET_DAY(value), 2)
    text[11] = 0x54
    _digits(text + 12, PyDateTime_DATE_GET_HOUR(value), 2)
    text[14] = 0x3A
    _digits(text + 15, PyDateTime_DATE_GET_MINUTE(value), 2)
    text[17] = 0x3A
    _digits(text + 18, PyDateTime_DATE_GET_SECOND(value), 2)
    n = 20
    micro = PyDateTime_DATE_GET_MICROSECOND(value)
    if micro:
        text[20] = 0x2E
        _digits(text + 21, micro, 6)
        n = 27
    _put(out, text, n)
    if tz is not None:
        offset = _OFFSET_TEXT.get(tz)
        if offset is None:
            offset = _OFFSET_TEXT[tz] = value.isoformat()[n - 1 :].encode("ascii")
        _lit(out, offset)
    return _put(out, b'"', 1)


cdef inline object _item(object seq, Py_ssize_t k):
    """seq[k] of a tuple (subclasses too: records) or list, without the generic item call."""
    if PyTuple_Check(seq):
        return <object>PyTuple_GET_ITEM(seq, k)
    return <object>PyList_GET_ITEM(seq, k)


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
        return _put_datetime(out, value)
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
                _put_value(out, _item(value, k), depth + 1)
            return _put(out, b"]", 1)
    return _put_text(out, _dumps(value))  # records, floats, subclasses: as json.dumps has it


# A tuple type's record fields, as _put_scalar decides them: the last type asked and its answer
# (a converter's records come one type at a time: a history's 13 PeakRecords, a log's events).
# Kept only for types whose instances have no __dict__ of their own (namedtuples, whose
# _asdict and _fields are the class's), so the type alone decides.
cdef object _fields_type = None
cdef object _fields_of = None
cdef object _NOT_RECORD = object()


cdef object _record_fields(object value):
    """The names of the fields as_json_value writes for a tuple (a record's _fields), or
    _NOT_RECORD for a plain tuple, or None for a record of another shape (the Python writer
    then writes it)."""
    global _fields_type, _fields_of
    kind = type(value)
    if kind is _fields_type:
        return _fields_of
    if not hasattr(value, "_asdict"):
        found = _NOT_RECORD
    else:
        found = getattr(kind, "_fields", None)
        if type(found) is not tuple or not all([PyUnicode_CheckExact(f) for f in found]):
            found = None
    if getattr(kind, "__dictoffset__", 1) == 0:
        _fields_type = kind
        _fields_of = found
    return found


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
        # (a plain tuple or a list: an array; the tuple type has no _asdict)
        fields = _NOT_RECORD if PyTuple_CheckExact(value) or not PyTuple_Check(
            value
        ) else _record_fields(value)
        if fields is _NOT_RECORD:
            _put(out, b"[", 1)
            for k in range(n):
                if k:
                    _put(out, b",", 1)
                _put_scalar(out, _item(value, k), depth + 1)
            return _put(out, b"]", 1)
        if fields is not None and PyTuple_GET_SIZE(fields) == n:
            _put(out, b"{", 1)
            for k in range(n):
                if k:
                    _put(out, b",", 1)
                _put_string(out, <object>PyTuple_GET_ITEM(fields, k))
                _put(out, b":", 1)
                _put_scalar(out, <object>PyTuple_GET_ITEM(value, k), depth + 1)
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
        if type(stamp) is _datetime:
            _put_datetime(out, stamp)
        else:
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


cdef object scalar_json(object value):
    """``dumps(as_json_value(value))`` (an entry's value as the interchange form writes it), for
    the columns' COMPLEX cells; None when UTF-8 cannot carry it (the caller's Python path then
    writes it)."""
    cdef _Out out
    out.buf = NULL
    out.size = out.cap = 0
    try:
        _reserve(&out, 256)
        _put_scalar(&out, value)
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


# ---- whole telegrams: Telegram.to_json, and the JSON lines of ``dsmrparse parse`` ----------
# The same text as _jsonform.telegram_json_reference (Telegram._form through dumps), written in
# one pass: the form's dict, the MBus devices' dicts and the text between them are never built.

cdef object _Telegram = None  # the classes, on first use (telegram imports this module's peers)
cdef object _Problem = None
cdef object _Reading = None
cdef object _inferred_type = None
cdef object _telegram_reference = None
cdef dict _MBUS_ROLES = None
cdef dict _DEVICE_TYPES = None
cdef dict _SHORTCUTS = None
cdef bytes _FORMAT_HEAD = None  # '{"format":"dsmrparse/1","profile":'
cdef tuple _SHORTCUT_KINDS = ("gas", "water", "heat")


cdef int _load() except -1:
    global _Telegram, _Problem, _Reading, _inferred_type, _telegram_reference
    global _MBUS_ROLES, _DEVICE_TYPES, _SHORTCUTS, _FORMAT_HEAD
    from . import telegram
    from ._jsonform import telegram_json_reference
    from ._types import Problem, Reading

    _MBUS_ROLES = telegram._MBUS_ROLES
    _DEVICE_TYPES = telegram.DEVICE_TYPES
    _SHORTCUTS = telegram._SHORTCUTS
    _inferred_type = telegram._inferred_type
    _Reading = Reading
    _Problem = Problem
    _telegram_reference = telegram_json_reference
    _FORMAT_HEAD = ('{"format":' + _dumps(telegram.FORMAT) + ',"profile":').encode()
    _Telegram = telegram.Telegram  # (last: the mark that all the above are set)
    return 0


cdef object _UNSET = object()


cdef object _channel_of(object obis):
    """``int(obis[obis.index("-") + 1 : obis.index(":")])``: read in C for "0-1:24.2.1"."""
    cdef Py_ssize_t n, i, dash = -1
    cdef const Py_UCS1* s
    cdef long value = 0
    if PyUnicode_IS_COMPACT_ASCII(obis):
        n = PyUnicode_GET_LENGTH(obis)
        s = <const Py_UCS1*>PyUnicode_DATA(obis)
        for i in range(n):
            if s[i] == 0x2D:
                dash = i
                break
        if dash >= 0:
            i = dash + 1
            while i < n and 0x30 <= s[i] <= 0x39 and i - dash < 10:
                value = value * 10 + (s[i] - 0x30)
                i += 1
            if i < n and s[i] == 0x3A and i > dash + 1:
                for k in range(dash):  # (":" before "-": the slice is another one)
                    if s[k] == 0x3A:
                        break
                else:
                    return value
    return int(obis[obis.index("-") + 1 : obis.index(":")])


cdef list _devices_of(object t):
    """Telegram.mbus as (channel, device_type, equipment_id, reading, valve, inferred) tuples,
    in channel order; the scan over the entries in C (most are not MBus ones), and no
    MBusDevice built (a Telegram that already has them gives them)."""
    cdef dict parts = None
    cdef list slot
    cdef list devices = []
    cdef Py_ssize_t at
    known = t._mbus
    if known is not None:
        return [tuple(d) for d in known.values()]
    for e in t._entries:
        name = <object>PyTuple_GET_ITEM(e, 1)
        if name is None:
            continue
        role = _MBUS_ROLES.get(name)
        if role is None:
            continue
        obis = <object>PyTuple_GET_ITEM(e, 0)
        channel = _channel_of(obis)
        if parts is None:
            parts = {}
        slot = parts.get(channel)
        if slot is None:
            slot = parts[channel] = [_UNSET, _UNSET, _UNSET, _UNSET]
        at = _ROLE_SLOT[role]
        if slot[at] is _UNSET:  # (the first line of a role wins, as setdefault does)
            if at == 2:
                slot[at] = (
                    <object>PyTuple_GET_ITEM(e, 4),
                    <object>PyTuple_GET_ITEM(e, 2),
                    <object>PyTuple_GET_ITEM(e, 3),
                )
            else:
                slot[at] = <object>PyTuple_GET_ITEM(e, 2)
    if parts is None:
        return devices
    for ch, slot in sorted(parts.items()):
        device_type, equipment_id, reading, valve = [None if v is _UNSET else v for v in slot]
        inferred = False
        if device_type is None:
            device_type = _inferred_type(
                None if reading is None else _Reading(*reading), t._profile
            )
            inferred = device_type is not None
        devices.append((ch, device_type, equipment_id, reading, valve, inferred))
    return devices


cdef dict _ROLE_SLOT = {"device_type": 0, "equipment_id": 1, "reading": 2, "valve": 3}


cdef inline bint _alive(object device_type, object reading):
    """MBusDevice.alive."""
    return not (device_type is None or device_type == 0) and reading is not None and (
        reading[0] is not None
    )


cdef int _put_device(_Out* out, tuple d) except -1:
    """MBusDevice.to_dict() as JSON."""
    channel, device_type, equipment_id, r, valve, inferred = d
    _lit(out, b'{"channel":')
    _put_value(out, channel)
    _lit(out, b',"device_type":')
    _put_value(out, device_type)
    _lit(out, b',"kind":')
    _put_value(out, _DEVICE_TYPES.get(device_type) if device_type is not None else None)
    _lit(out, b',"equipment_id":')
    _put_value(out, equipment_id)
    _lit(out, b',"timestamp":')
    if r is not None:
        stamp, value, unit = r
        _put_value(out, stamp if type(stamp) is _datetime else _value_json_of(stamp))
        _lit(out, b',"value":')
        _put_value(out, value)
        _lit(out, b',"unit":')
        _put_value(out, unit)
    else:
        _lit(out, b'null,"value":null,"unit":null')
    _lit(out, b',"valve":')
    _put_value(out, valve)
    _lit(out, b',"alive":')
    _put_value(out, _alive(device_type, r))
    _lit(out, b',"device_type_inferred":')
    _put_value(out, inferred)
    return _lit(out, b"}")


cdef object _value_json_of(object value):
    from ._types import as_json_value

    return as_json_value(value)


cdef int _put_channels(_Out* out, object t, list devices) except -1:
    """Telegram._shortcut_channels() as JSON."""
    cdef bint first = True
    pins = t._pins
    _lit(out, b"{")
    for kind in _SHORTCUT_KINDS:
        if not first:
            _lit(out, b",")
        first = False
        _put_string(out, kind)
        _lit(out, b":")
        pinned = pins.get(kind) if pins else None
        if pinned is not None:
            _put_value(out, pinned if any([d[0] == pinned for d in devices]) else None)
            continue
        types = _SHORTCUTS[kind]
        best = None
        for device in devices:  # the first of the newest, as max() picks
            if device[1] in types and _alive(device[1], device[3]) and (
                best is None or device[3][0] > best[3][0]
            ):
                best = device
        _put_value(out, None if best is None else best[0])
    return _lit(out, b"}")


cdef int _put_problem(_Out* out, object p) except -1:
    """Problem._asdict() as JSON."""
    cdef Py_ssize_t k
    cdef tuple fields = _Problem._fields
    _lit(out, b"{")
    for k in range(len(fields)):
        if k:
            _lit(out, b",")
        _put_string(out, fields[k])
        _lit(out, b":")
        _put_value(out, <object>PyTuple_GET_ITEM(p, k))
    return _lit(out, b"}")


cdef bint _plain_telegram(object t) except -1:
    """A Telegram whose parts have the types this writer knows (else the reference writes it)."""
    if type(t) is not _Telegram or not PyTuple_CheckExact(t._entries):
        return False
    for e in t._entries:
        if type(e) is not _Entry:
            return False
    for p in t._problems:
        if type(p) is not _Problem:
            return False
    return True


cdef object _stamp_of(object t):
    """Telegram.timestamp."""
    index = t._index
    if index is not None:
        e = index.get("0-0:1.0.0")
        return <object>PyTuple_GET_ITEM(e, 2) if e is not None else None
    for e in t._entries:
        if <object>PyTuple_GET_ITEM(e, 0) == "0-0:1.0.0":
            return <object>PyTuple_GET_ITEM(e, 2)
    return None


cdef int _put_telegram(_Out* out, object t) except -1:
    """Telegram.to_json() as UTF-8, for a _plain_telegram."""
    cdef Py_ssize_t k
    tokens = t._tokens
    header = tokens.header
    _lit(out, _FORMAT_HEAD)
    _put_value(out, t._profile.name)
    _lit(out, b',"profile_reason":')
    _put_value(out, t._reason)
    _lit(out, b',"header":')
    _put_value(out, header)
    _lit(out, b',"manufacturer":')
    _put_value(out, header[0:3])
    _lit(out, b',"crc":{"status":')
    _put_value(out, tokens.crc)
    _lit(out, b',"given":')
    given = tokens.crc_given
    _put_value(out, None if given < 0 else f"{given:04X}")
    _lit(out, b',"computed":')
    _put_value(out, f"{tokens.crc_computed:04X}")
    _lit(out, b',"checked_as_crlf":')
    _put_value(out, tokens.crc_repaired)
    _lit(out, b'},"line_ending":')
    _put_value(out, tokens.line_ending)
    _lit(out, b',"timestamp":')
    stamp = _stamp_of(t)
    if stamp is None:
        _lit(out, b"null")
    elif type(stamp) is _datetime:
        _put_datetime(out, stamp)
    else:
        _put_value(out, stamp.isoformat())
    _lit(out, b',"objects":')
    _put_entries(out, t._entries)
    _lit(out, b',"mbus":[')
    devices = _devices_of(t)
    k = 0
    for d in devices:
        if k:
            _lit(out, b",")
        k += 1
        _put_device(out, d)
    _lit(out, b'],"mbus_channels":')
    _put_channels(out, t, devices)
    _lit(out, b',"problems":[')
    k = 0
    for p in t._problems:
        if k:
            _lit(out, b",")
        k += 1
        _put_problem(out, p)
    return _lit(out, b"]}")


def telegram_json(t):
    """Telegram.to_json(): the interchange form as one line of JSON."""
    cdef _Out out
    cdef object text = None
    if _Telegram is None:
        _load()
    if not _plain_telegram(t):
        return _telegram_reference(t)
    out.buf = NULL
    out.size = out.cap = 0
    try:
        _reserve(&out, 8192)
        _put_telegram(&out, t)
        text = PyUnicode_DecodeUTF8(out.buf, out.size, NULL)
    except UnicodeEncodeError:  # a lone surrogate: the reference writes it as json.dumps does
        pass
    finally:
        free(out.buf)
    return _telegram_reference(t) if text is None else text


def json_lines(items):
    """The JSON lines of ``dsmrparse parse``, as UTF-8: each item's to_json() and a newline
    (Telegrams written here; other records, such as a damaged frame, by their own to_json)."""
    cdef _Out out
    cdef Py_ssize_t mark
    if _Telegram is None:
        _load()
    out.buf = NULL
    out.size = out.cap = 0
    try:
        _reserve(&out, 65536)
        for item in items:
            mark = out.size
            try:
                if _plain_telegram(item):
                    _put_telegram(&out, item)
                else:
                    _put_text(&out, item.to_json())
            except UnicodeEncodeError:
                out.size = mark
                _lit(&out, item.to_json().encode("utf-8"))
            _lit(&out, b"\n")
        return out.buf[:out.size]
    finally:
        free(out.buf)

