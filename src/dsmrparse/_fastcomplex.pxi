# Included by _fastparse.pyx: the COMPLEX converters of profiles/_converters.py, in C.
#
# profiles/_converters.py is the reference (the pure twin runs it). A plan row's converter is
# recognised by identity (the function itself, or _memo.memoized's wrapper of it), so a custom
# converter still runs as written. These give the same values as the Python ones for well-formed
# groups; for anything else (a count that does not match, an odd shape, a value error) they
# return _NOFAST and the row's own converter runs, so every error keeps its Python wording.

cdef extern from *:
    """
    static PyObject *dsmr_rec3(PyObject *t, PyObject *a, PyObject *b, PyObject *c) {
        PyObject *v[3] = {a, b, c};
        return dsmr_record(t, 3, v);
    }
    """
    object dsmr_rec3(object t, object a, object b, object c)

from ._types import PeakRecord as _PeakRecord, PowerFailure as _PowerFailure, Reading as _Reading

cdef enum:
    _CX_NONE = 0  # not one of ours: call it
    _CX_POWER_FAILURES = 1
    _CX_GAS_RECORD = 2
    _CX_PEAKS = 3
    _CX_BILLING = 4
    _CX_QUANTITIES = 5

# converter object -> _CX_* code (strong references: plans live as long as their profiles)
cdef dict _complex_codes = {}


cdef int _complex_code(object fn) except -1:
    cdef PyObject* found
    try:
        found = PyDict_GetItemWithError(_complex_codes, fn)
    except TypeError:  # an unhashable callable: never ours
        return _CX_NONE
    if found != NULL:
        return <int><object>found
    code = _identify(fn)
    if len(_complex_codes) >= 256:  # (plans made on the fly: keep the map small)
        _complex_codes.clear()
    _complex_codes[fn] = code
    return code


cdef int _identify(object fn) except -1:
    # imported here, not at module import: profiles import the parser
    from ._memo import memoized
    from .profiles import _converters as C

    known = {
        id(C.power_failure_log): _CX_POWER_FAILURES,
        id(C.legacy_gas_record): _CX_GAS_RECORD,
        id(C.peak_history): _CX_PEAKS,
        id(C.billing_row): _CX_BILLING,
        id(C.quantity_list): _CX_QUANTITIES,
    }
    code = known.get(id(fn))
    if code is not None:
        return code
    # _memo.memoized's wrapper (its own code object) of one of them; nothing else that
    # carries a __wrapped__ (functools.wraps) is assumed to return what it wraps
    wrapped = getattr(fn, "__wrapped__", None)
    if (wrapped is not None and getattr(fn, "__code__", None) is memoized(len).__code__
            and known.get(id(wrapped)) is not None
            and getattr(C, wrapped.__name__, None) is wrapped):
        return known[id(wrapped)]
    return _CX_NONE


cdef object _complex(_Converter conv, int code, object groups, object expected):
    """The value of a COMPLEX row (its unit and timestamp in conv.unit, conv.stamp), or _NOFAST
    when the row's Python converter must answer."""
    if not PyTuple_CheckExact(groups):
        return _NOFAST
    try:
        if code == _CX_POWER_FAILURES:
            return _power_failure_log(conv, groups)
        if code == _CX_GAS_RECORD:
            return _legacy_gas_record(conv, groups, expected)
        if code == _CX_PEAKS:
            return _peak_history(conv, groups, expected)
        if code == _CX_BILLING:
            return _billing_row(conv, groups)
        if code == _CX_QUANTITIES:
            return _quantity_list(conv, groups, expected)
    except ValueError:  # the Python converter words it (and may find another fault first)
        return _NOFAST
    return _NOFAST


cdef inline object _group(object groups, Py_ssize_t i):
    return <object>PyTuple_GET_ITEM(groups, i)


cdef object _power_failure_log(_Converter conv, object groups):
    cdef Py_ssize_t n = PyTuple_GET_SIZE(groups), i
    cdef Py_ssize_t pairs = n - 2 if n > 1 else 0
    if n == 0 or pairs % 2:
        return _NOFAST
    count = conv.integer(_group(groups, 0), None)
    if count != pairs // 2:
        return _NOFAST
    events = PyTuple_New(pairs // 2)
    for i in range(pairs // 2):
        end = _any_stamp(conv.ctx, _group(groups, 2 + 2 * i))
        duration = conv.integer(_group(groups, 3 + 2 * i), None)
        event = dsmr_rec3(_PowerFailure, end, duration, conv.unit)
        Py_INCREF(event)
        PyTuple_SET_ITEM(events, i, event)
    conv.unit = conv.stamp = None
    return events


cdef object _legacy_gas_record(_Converter conv, object groups, object expected):
    cdef Py_ssize_t n = PyTuple_GET_SIZE(groups)
    if n < 7:
        return _NOFAST
    stamp = _any_stamp(conv.ctx, _group(groups, 0))
    value = conv.quantity(_group(groups, n - 1), expected)
    conv.unit = conv.unit or _group(groups, 5) or None
    conv.stamp = stamp
    return value


cdef object _peak_history(_Converter conv, object groups, object expected):
    cdef Py_ssize_t n = PyTuple_GET_SIZE(groups), i, k, rows = 0
    cdef Py_ssize_t at[3]
    cdef int j
    if n == 0:
        return _NOFAST
    count = conv.integer(_group(groups, 0), None)
    if n == 1:  # only the count (Swiss meters): no buffer
        conv.unit = conv.stamp = None
        return ()
    for i in range(3, n):  # the rows are the non-empty groups after the two headers
        if PyUnicode_GET_LENGTH(_group(groups, i)):
            rows += 1
    if rows % 3 or count != rows // 3:
        return _NOFAST
    records = PyTuple_New(rows // 3)
    unit = None
    k = 0
    i = 3
    while k < rows // 3:
        for j in range(3):
            while not PyUnicode_GET_LENGTH(_group(groups, i)):
                i += 1
            at[j] = i
            i += 1
        value = conv.quantity(_group(groups, at[2]), expected)
        unit = conv.unit
        period = _any_stamp(conv.ctx, _group(groups, at[0]))
        record = dsmr_rec4(
            _PeakRecord, period, _any_stamp(conv.ctx, _group(groups, at[1])), value, unit
        )
        Py_INCREF(record)
        PyTuple_SET_ITEM(records, k, record)
        k += 1
    conv.unit = unit
    conv.stamp = None
    return records


cdef object _billing_row(_Converter conv, object groups):
    cdef Py_ssize_t n = PyTuple_GET_SIZE(groups), i
    if n < 2:
        return _NOFAST
    stamp = _any_stamp(conv.ctx, _group(groups, 0))
    readings = PyTuple_New(n - 1)
    for i in range(1, n):
        value = conv.quantity(_group(groups, i), None)
        reading = dsmr_rec3(_Reading, stamp, value, conv.unit)
        Py_INCREF(reading)
        PyTuple_SET_ITEM(readings, i - 1, reading)
    conv.unit = None
    conv.stamp = stamp
    return readings


cdef object _quantity_list(_Converter conv, object groups, object expected):
    cdef Py_ssize_t n = PyTuple_GET_SIZE(groups), i
    if n == 0:
        return _NOFAST
    values = PyTuple_New(n)
    first = None
    for i in range(n):
        value = conv.quantity(_group(groups, i), expected)
        if i == 0:
            first = conv.unit
        Py_INCREF(value)
        PyTuple_SET_ITEM(values, i, value)
    conv.unit = first
    conv.stamp = None
    return values


def complex_value(converter, groups, ctx, expected=None):
    """``converter(groups, ctx)``: a COMPLEX row's (value, unit, timestamp), in C when the
    converter is one of the profiles' own, else by calling it (the columns' cells use this)."""
    cdef _Converter conv
    cdef int code = _complex_code(converter)
    if code:
        conv = _Converter(ctx)
        value = _complex(conv, code, groups, expected)
        if value is not _NOFAST:
            return value, conv.unit, conv.stamp
    return converter(groups, ctx)
