# Included by _fastparse.pyx: meter timestamps in C, from a table of each zone's offset changes.
#
# values.parse_timestamp is the reference: the zone decides wherever it gives one offset for the
# wall time, the S/W flag only in the repeated hour and the gap (when the profile trusts flags),
# and values.TimeContext.localize maps any offset but the standard one to the summer offset.
# Everything here gives that answer without a Python call per value: the offsets come from
# _zonetable.year_table (read from the zone once per zone and year) and are looked up the way
# zoneinfo looks up a wall time (fold 0 takes the offset before a change, fold 1 the one after).
# Whatever the table cannot answer (odd spellings, far years, other context types) returns
# _NOFAST and goes to values.py.

from libc.stdlib cimport calloc

from ._zonetable import FIRST_YEAR as _FIRST_YEAR_OBJ, LAST_YEAR as _LAST_YEAR_OBJ, year_table
from .values import TimeContext as _TimeContext

cdef int _FIRST_YEAR = _FIRST_YEAR_OBJ
cdef int _LAST_YEAR = _LAST_YEAR_OBJ
# a sentinel of another length than 12 would need values.py's look at 14-digit stamps
cdef bint _LONG_SENTINELS = any(len(s) != 12 for s in SENTINEL_TIMESTAMPS)

cdef enum:
    _YEAR_CHANGES = 8  # offset changes kept per year (two in a DST zone; more: Python path)


cdef struct _YearTable:
    int state  # 0 not read yet, 1 read, -1 not tabled (values.py answers)
    int first  # the offset (seconds) before the first change
    int n
    long long at[_YEAR_CHANGES]  # UTC instant (seconds since 1970) of each change
    int before[_YEAR_CHANGES]
    int after[_YEAR_CHANGES]


cdef struct _Time:
    int year, month, day, hour, minute, second
    int flag  # 0 none, 1 S (summer), 2 W (winter)


cdef int _scan_time(const Py_UCS1* s, Py_ssize_t n, _Time* t) noexcept nogil:
    """``[YY]YYMMDDhhmmss[S|W]`` as values.parse_timestamp reads it: 1 and the fields for a valid
    date, 0 for a sentinel, -1 for anything values.py must handle or word the error for."""
    cdef Py_ssize_t digits = n, i
    cdef int f[7]
    cdef Py_UCS1 c
    t.flag = 0
    if n:
        c = s[n - 1] | 0x20
        if c == 0x73:  # s
            t.flag = 1
            digits -= 1
        elif c == 0x77:  # w
            t.flag = 2
            digits -= 1
    if digits != 12 and digits != 14:
        return -1
    for i in range(digits):
        if not _isdigit(s[i]):
            return -1
    if memcmp(s, _SENTINEL_PREFIX, 12) == 0:  # (startswith, for both lengths)
        return 0
    if digits == 12:
        for i in range(0, _NSENTINELS * 12, 12):
            if memcmp(s, _SENTINELS + i, 12) == 0:
                return 0
    elif _LONG_SENTINELS:
        return -1
    for i in range(digits // 2):
        f[i] = (s[2 * i] - 0x30) * 10 + (s[2 * i + 1] - 0x30)
    if digits == 12:
        t.year = 2000 + f[0]
        i = 1
    else:
        t.year = f[0] * 100 + f[1]
        i = 2
    t.month, t.day, t.hour, t.minute, t.second = f[i], f[i + 1], f[i + 2], f[i + 3], f[i + 4]
    if t.year < 1 or not 1 <= t.month <= 12 or t.day < 1 or t.hour > 23 or t.minute > 59 \
            or t.second > 59:
        return -1  # datetime's own error text, from values.py
    if t.day > _DAYS[t.month]:
        if not (t.month == 2 and t.day == 29 and t.year % 4 == 0
                and (t.year % 100 != 0 or t.year % 400 == 0)):
            return -1
    return 1


cdef class _Offsets:
    """A zone's offset tables, per year, read when first asked for (shared by the contexts of one
    zone: with and without trusted flags)."""

    cdef object zone
    cdef _YearTable* years

    def __cinit__(self, zone):
        self.years = <_YearTable*>calloc(_LAST_YEAR - _FIRST_YEAR + 1, sizeof(_YearTable))
        if self.years == NULL:
            raise MemoryError()
        self.zone = zone

    def __dealloc__(self):
        free(self.years)

    cdef _YearTable* year(self, int year) except? NULL:
        """The year's table, NULL when values.py must answer for that year."""
        cdef _YearTable* t
        cdef int i
        if year < _FIRST_YEAR or year > _LAST_YEAR:
            return NULL
        t = &self.years[year - _FIRST_YEAR]
        if t.state == 0:
            found = year_table(self.zone, year)
            if found is None or len(found[1]) > _YEAR_CHANGES:
                t.state = -1
            else:
                t.first = found[0]
                t.n = len(found[1])
                for i in range(t.n):
                    t.at[i], t.before[i], t.after[i] = found[1][i]
                t.state = 1
        return t if t.state == 1 else NULL


# zone (a ZoneInfo: one object per key) -> its _Offsets
cdef dict _offsets = {}


cdef class _Zone:
    """A TimeContext as C: its zone's offset tables, its two fixed offsets, its flag rule."""

    cdef _Offsets offsets
    cdef object winter, summer
    cdef int winter_s, summer_s  # their offsets in seconds
    cdef bint flags

    def __cinit__(self, ctx):
        zone = ctx.zone
        found = _offsets.get(zone)
        if found is None:
            found = _Offsets(zone)
            if len(_offsets) >= 64:
                _offsets.clear()
            _offsets[zone] = found
        self.offsets = found
        self.winter = ctx.winter
        self.summer = ctx.summer
        self.flags = ctx.flags
        self.winter_s = _seconds(self.winter.utcoffset(None))
        self.summer_s = _seconds(self.summer.utcoffset(None))

    cdef inline _YearTable* year(self, int year) except? NULL:
        return self.offsets.year(year)

    cdef int says(self, _YearTable* t, long long wall) noexcept:
        """TimeContext.says_at for the wall time (seconds since 1970, read as if UTC)."""
        cdef int first = _wall_offset(t, wall, 0)
        if first != _wall_offset(t, wall, 1):
            return 0
        if first == self.winter_s:
            return 1
        if first == self.summer_s:
            return 2
        return 3

    cdef int summer_of(self, _Time* t, bint* contradicts) except -2:
        """Whether values.parse_timestamp gives a scanned, valid time the summer offset (1) or
        the winter one (0); -1 when its year is not tabled. contradicts: the S/W flag names the
        other offset (flag_problem has a message)."""
        cdef _YearTable* table = self.year(t.year)
        cdef long long day
        cdef int says = 3
        cdef bint summer = False
        if table == NULL:
            return -1
        day = _days_from_civil(t.year, t.month, t.day) * 86400
        if t.flag and self.flags:
            # (the zone's verdict on the whole hour, as TimeContext.says_at)
            says = self.says(table, day + t.hour * 3600)
            if says == 0:
                summer = t.flag == 1
            elif says == 1:
                summer = False
            elif says == 2:
                summer = True
        if says == 3:  # TimeContext.localize: the offset at that very second, fold 0
            summer = _wall_offset(
                table, day + t.hour * 3600 + t.minute * 60 + t.second, 0
            ) != self.winter_s
        contradicts[0] = t.flag != 0 and self.flags and summer != (t.flag == 1)
        return summer

    cdef object stamp(self, _Time* t, bint* contradicts):
        """values.parse_timestamp of a scanned, valid time; _NOFAST when its year is not tabled."""
        cdef int summer = self.summer_of(t, contradicts)
        if summer < 0:
            return _NOFAST
        return datetime_new(t.year, t.month, t.day, t.hour, t.minute, t.second, 0,
                            self.summer if summer else self.winter)


cdef int _seconds(object delta) except? -1:
    if delta is None or delta.microseconds:
        raise ValueError("offset not in whole seconds")
    return delta.days * 86400 + delta.seconds


cdef inline int _wall_offset(_YearTable* t, long long wall, int fold) noexcept nogil:
    """The offset zoneinfo gives a wall time: the last change whose wall-clock instant (the later
    of its two readings for fold 0, the earlier for fold 1) is at or before it."""
    cdef int i, off = t.first, lo, hi
    for i in range(t.n):
        lo, hi = t.before[i], t.after[i]
        if lo > hi:
            lo, hi = hi, lo
        if t.at[i] + (hi if fold == 0 else lo) <= wall:
            off = t.after[i]
    return off


# TimeContext -> its _Zone (None: not a plain TimeContext, values.py answers), and the last pair
# asked for (one object, swapped whole: threads), which is nearly always the one asked next.
cdef dict _zones = {}
cdef tuple _last_zone = (None, None)


cdef object _zone_for(object ctx):
    global _last_zone
    cdef PyObject* found
    cdef tuple last = _last_zone
    if <object>PyTuple_GET_ITEM(last, 0) is ctx:
        return <object>PyTuple_GET_ITEM(last, 1)
    if type(ctx) is not _TimeContext:
        zone = None
    else:
        found = PyDict_GetItemWithError(_zones, ctx)
        if found != NULL:
            zone = <object>found
        else:
            try:
                zone = _Zone(ctx)
            except (ValueError, TypeError, AttributeError):
                zone = None
            if len(_zones) >= 64:  # contexts are cached per (zone, flags): a handful
                _zones.clear()
            _zones[ctx] = zone
    _last_zone = (ctx, zone)
    return zone


cdef object _fast_stamp(object ctx, object text, bint* contradicts):
    """values.parse_timestamp(text, ctx) from the tables; _NOFAST when values.py must answer."""
    cdef Py_ssize_t n
    cdef _Time t
    cdef int verdict
    cdef const Py_UCS1* s = _ucs1(text, &n)
    contradicts[0] = False
    if s == NULL:
        return _NOFAST
    verdict = _scan_time(s, n, &t)
    if verdict == 0:
        return None
    if verdict < 0:
        return _NOFAST
    zone = _zone_for(ctx)
    if zone is None:
        return _NOFAST
    return (<_Zone>zone).stamp(&t, contradicts)


cdef object _any_stamp(object ctx, object text):
    """values.parse_timestamp, from the tables where they can answer."""
    cdef bint contradicts
    value = _fast_stamp(ctx, text, &contradicts)
    if value is _NOFAST:
        return _parse_timestamp(text, ctx)
    return value
