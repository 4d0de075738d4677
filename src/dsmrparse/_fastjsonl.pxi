# ============================================================================================
# JSON lines straight from telegram frames (``dsmrparse parse`` to JSON lines, see _jsonl.py)
#
# A telegram's JSON line is mostly constant for its layout (header, OBIS codes in order, blank
# lines, line ends, version objects' groups): format, profile, names, line numbers. The first
# telegram of a layout goes through the full parse; from that Telegram a _JLayout keeps the
# constant pieces and what each line's value is, and the layout is used only once this writer's
# line for that very telegram is byte for byte the reference writer's. Later telegrams of the
# layout are written from their bytes: numbers from their digits, times from the zone tables,
# text escaped. A line this pass does not read exactly goes through the full converter (_entry)
# and the compiled JSON writer, cached on its bytes; a telegram with any problem but a CRC one
# goes back to the full parse (write() returns -1).

cdef enum:
    _JL_MAXLINES = 256
    _SL_GENERIC = 0
    _SL_QUANTITY = 1
    _SL_INTEGER = 2
    _SL_TIMESTAMP = 3
    _SL_TIMESTAMPED = 4
    _SL_TEXT = 5


cdef struct _JLine:  # one object line of the frame being written
    Py_ssize_t code, paren, end  # the code is p[code:paren], the groups p[paren:end]
    int ngroups
    Py_ssize_t gs[2]
    Py_ssize_t ge[2]
    long lineno
    # what was written of it, in the objects buffer (val_obj instead for a line written by
    # the full converter: its value's JSON, kept alive by the layout's cache)
    Py_ssize_t val_at, val_len, unit_at, unit_len, stamp_at, stamp_len
    PyObject* val_obj
    bint generic
    long long number  # an integer's value (an MBus device type)
    long long micros  # the stamp's UTC instant, when stamp_len


cdef struct _JSlot:  # one line of a layout
    int kind  # _SL_*
    const char* pre  # '{"obis":..,"name":..,"value":' (in _JLayout.prefix)
    Py_ssize_t pre_n
    const char* suf  # '],"line":N}' (in _JLayout.suffix)
    Py_ssize_t suf_n
    const char* unit  # the profile's unit (in _JLayout.expected); unit_n -1: none
    Py_ssize_t unit_n
    bint value_used  # its value's JSON is written again (the telegram's time, an MBus field)


cdef struct _JBuf:
    char* buf
    Py_ssize_t size
    Py_ssize_t cap


cdef int _jb_reserve(_JBuf* b, Py_ssize_t more) except -1:
    cdef Py_ssize_t cap
    cdef char* mem
    if b.size + more <= b.cap:
        return 0
    cap = max(2 * b.cap, b.size + more, 4096)
    mem = <char*>realloc(b.buf, cap)
    if mem == NULL:
        raise MemoryError()
    b.buf = mem
    b.cap = cap
    return 0


cdef inline void _jl_copy(char* d, const char* s, Py_ssize_t n) noexcept nogil:
    """memcpy, with short copies as two overlapping word moves (no libc call)."""
    cdef Py_ssize_t i
    if n >= 8 and n <= 16:
        memcpy(d, s, 8)
        memcpy(d + n - 8, s + n - 8, 8)
    elif n >= 4 and n < 8:
        memcpy(d, s, 4)
        memcpy(d + n - 4, s + n - 4, 4)
    elif n < 4:
        for i in range(n):
            d[i] = s[i]
    else:
        memcpy(d, s, n)


cdef inline int _jb_put(_JBuf* b, const void* s, Py_ssize_t n) except -1:
    if b.size + n > b.cap:
        _jb_reserve(b, n)
    _jl_copy(b.buf + b.size, <const char*>s, n)
    b.size += n
    return 0


cdef inline int _jb_bytes(_JBuf* b, object s) except -1:
    return _jb_put(b, PyBytes_AS_STRING(s), len(<bytes>s))


cdef inline int _jb_char(_JBuf* b, char c) except -1:
    if b.size + 1 > b.cap:
        _jb_reserve(b, 1)
    b.buf[b.size] = c
    b.size += 1
    return 0


cdef int _jb_int(_JBuf* b, long long v) except -1:
    cdef char digits[24]
    cdef int i = 24
    cdef unsigned long long u = <unsigned long long>(-v) if v < 0 else <unsigned long long>v
    while True:
        i -= 1
        digits[i] = <char>(0x30 + u % 10)
        u //= 10
        if u == 0:
            break
    if v < 0:
        i -= 1
        digits[i] = 0x2D
    return _jb_put(b, digits + i, 24 - i)


cdef int _jb_hex4(_JBuf* b, unsigned int v, bint quoted=True) except -1:
    cdef char text[6]
    cdef const char* hexd = b"0123456789ABCDEF"
    cdef int i
    text[0] = 0x22
    for i in range(4):
        text[4 - i] = hexd[(v >> (4 * i)) & 15]
    text[5] = 0x22
    if quoted:
        return _jb_put(b, text, 6)
    return _jb_put(b, text + 1, 4)


cdef inline bint _jl_needs_escape(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    """Whether any byte is '"', '\\' or a control character: eight bytes at a time (the "has a
    byte less than" word test, exact for any bytes), the tail one by one."""
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
        if s[i] < 0x20 or s[i] == 0x22 or s[i] == 0x5C:
            return True
        i += 1
    return False


cdef int _jb_string(_JBuf* b, const unsigned char* s, Py_ssize_t n) except -1:
    """ASCII bytes as a JSON string, with json.dumps's escapes."""
    cdef Py_ssize_t i
    cdef unsigned char c
    cdef char* o
    if not _jl_needs_escape(s, n):  # (nearly always: one copy)
        if b.size + n + 2 > b.cap:
            _jb_reserve(b, n + 2)
        o = b.buf + b.size
        o[0] = 0x22
        _jl_copy(o + 1, <const char*>s, n)
        o[n + 1] = 0x22
        b.size += n + 2
        return 0
    _jb_reserve(b, 6 * n + 2)
    o = b.buf + b.size
    o[0] = 0x22
    o += 1
    for i in range(n):
        c = s[i]
        if c >= 0x20 and c != 0x22 and c != 0x5C:
            o[0] = c
            o += 1
            continue
        o[0] = 0x5C
        if c == 0x22 or c == 0x5C:
            o[1] = c
        elif c == 0x0A:
            o[1] = 0x6E
        elif c == 0x0D:
            o[1] = 0x72
        elif c == 0x09:
            o[1] = 0x74
        elif c == 0x08:
            o[1] = 0x62
        elif c == 0x0C:
            o[1] = 0x66
        else:
            o[1] = 0x75
            o[2] = o[3] = 0x30
            o[4] = b"0123456789abcdef"[c >> 4]
            o[5] = b"0123456789abcdef"[c & 15]
            o += 4
        o += 2
    o[0] = 0x22
    o += 1
    b.size = o - b.buf
    return 0


cdef inline void _jl_digits(char* at, int value, int width) noexcept:
    while width:
        width -= 1
        at[width] = <char>(0x30 + value % 10)
        value //= 10


cdef bytes _offset_text(int minutes):
    """A UTC offset as isoformat() ends it ("+01:00"), and the closing quote."""
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f'{sign}{minutes // 60:02d}:{minutes % 60:02d}"'.encode("ascii")




cdef class _JLayout:
    """What a layout's JSON line is made of (see the top of this file)."""

    cdef bint good
    cdef int tries
    cdef int nlines
    cdef _JSlot* slots
    cdef bytes head  # '{"format":' ... '"crc":{"status":'
    cdef list expected  # per line: the profile's unit as bytes, or None
    cdef list prefix  # per line: '{"obis":..,"name":..,"value":'
    cdef list suffix  # per line: '],"line":N}'
    cdef list rows, codes  # per line: plan row and obis (for the full converter)
    cdef list cache_key, cache_entry, cache_value  # per line: the full converter's last answer
    cdef object ctx
    cdef _Zone zone
    cdef int winter, summer  # offsets in minutes
    cdef bytes winter_text, summer_text
    cdef int stamp_line
    cdef list devices  # (channel JSON, device type line, equipment id, reading, valve; -1 none)
    cdef bint crc_required
    cdef bytes absent_problem  # the absent-CRC problem's JSON up to its offset

    def __cinit__(self):
        self.slots = NULL

    def __dealloc__(self):
        free(self.slots)


cdef class JsonLineWriter:
    """Telegram frames in, JSON lines out, byte for byte ``json_lines_reference`` of the full
    parse with ``profile`` and ``strict`` (what ``files.read_frame`` is called with).

    :meth:`write` appends a frame's line and returns its CRC verdict (0 ok, 1 bad, 2 absent,
    3 absent where the profile wants one; 1 and 3 carry a "crc" problem), or -1 when the frame
    needs the full parse: then :meth:`learn` that parse's Telegram and :meth:`put` its line.
    :meth:`take` hands out what was written.
    """

    cdef object profile
    cdef bint strict
    cdef _JLine* lines
    cdef int nlines
    cdef unsigned char* key
    cdef Py_ssize_t keylen, keycap
    cdef dict layouts
    cdef bytes last_key
    cdef _JLayout last_layout
    cdef _JBuf out, obj
    # the frame just scanned
    cdef Py_ssize_t body_end, crc_end
    cdef bint crlf
    cdef list kinds  # device type -> its "kind" JSON
    cdef unsigned char shortcut[256]  # device type -> bits: 1 gas, 2 water, 4 heat
    cdef public long fast, learned, mismatches
    cdef public int why  # the step at which the last learn() gave up (tests, debugging)
    cdef long verdicts[4]  # write()'s answers >= 0 since the last counts()

    def __cinit__(self, *args, **kwargs):
        self.lines = NULL
        self.key = NULL
        self.keylen = self.keycap = 0
        self.out.buf = self.obj.buf = NULL
        self.out.size = self.out.cap = self.obj.size = self.obj.cap = 0

    def __dealloc__(self):
        free(self.lines)
        free(self.key)
        free(self.out.buf)
        free(self.obj.buf)

    def __init__(self, profile=None, bint strict=False):
        from . import telegram

        self.profile = profile
        self.strict = strict
        self.lines = <_JLine*>malloc(sizeof(_JLine) * _JL_MAXLINES)
        if self.lines == NULL:
            raise MemoryError()
        self.layouts = {}
        self.last_key = None
        self.last_layout = None
        self.fast = self.learned = self.mismatches = 0
        memset(self.verdicts, 0, sizeof(self.verdicts))
        self.kinds = []
        for dt in range(256):
            self.kinds.append(dumps(telegram.DEVICE_TYPES.get(dt)).encode())
            bits = 0
            for k, kind in enumerate(("gas", "water", "heat")):
                if dt in telegram._SHORTCUTS[kind]:
                    bits |= 1 << k
            self.shortcut[dt] = bits

    # ---- output

    def put(self, line):
        """Append bytes (a line the full parse wrote)."""
        _jb_bytes(&self.out, bytes(line))

    def take(self):
        """What was written since the last take()."""
        data = PyBytes_FromStringAndSize(self.out.buf, self.out.size)
        self.out.size = 0
        return data

    # ---- one frame

    def write(self, data) -> int:
        if not PyBytes_CheckExact(data):
            data = bytes(data)
        return self._frame(data)

    def write_records(self, list records, Py_ssize_t start=0):
        """Write ``records[start:]`` (``files.map_records(..., raw=True)`` records) while they
        are telegram frames this writer can write; returns the index of the first it cannot
        (``len(records)`` when it wrote them all). :meth:`counts` has their CRC verdicts."""
        cdef Py_ssize_t i, n = len(records)
        for i in range(start, n):
            rec = <object>PyList_GET_ITEM(records, i)
            if not PyTuple_CheckExact(rec) or PyTuple_GET_SIZE(rec) != 2:
                return i
            item = <object>PyTuple_GET_ITEM(rec, 1)
            if type(item) is not _Frame:
                return i
            data = <object>PyTuple_GET_ITEM(item, 2)
            if not PyBytes_CheckExact(data) or self._frame(data) < 0:
                return i
        return n

    def counts(self):
        """(ok, bad, absent, absent where the profile wants a CRC) of the telegrams written
        since the last call."""
        found = (self.verdicts[0], self.verdicts[1], self.verdicts[2], self.verdicts[3])
        memset(self.verdicts, 0, sizeof(self.verdicts))
        return found

    cdef int _frame(self, bytes data) except -2:
        cdef _JLayout layout
        cdef int code
        if not self._scan(<const unsigned char*>PyBytes_AS_STRING(data), len(data)):
            return -1
        layout = self._layout()
        if layout is None or not layout.good:
            return -1
        code = self._write(layout, <const unsigned char*>PyBytes_AS_STRING(data), len(data))
        if code >= 0:
            self.fast += 1
            self.verdicts[code] += 1
        return code

    cdef _JLayout _layout(self):
        cdef bytes last = self.last_key
        if last is not None and len(last) == self.keylen and memcmp(
            PyBytes_AS_STRING(last), self.key, self.keylen
        ) == 0:
            return self.last_layout
        key = PyBytes_FromStringAndSize(<const char*>self.key, self.keylen)
        found = self.layouts.get(key)
        if found is not None:
            self.last_key = key
            self.last_layout = found
        return found

    cdef int _key_add(self, const unsigned char* s, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap
        cdef unsigned char* mem
        if self.keylen + n > self.keycap:
            cap = max(2 * self.keycap, self.keylen + n, 1024)
            mem = <unsigned char*>realloc(self.key, cap)
            if mem == NULL:
                raise MemoryError()
            self.key = mem
            self.keycap = cap
        memcpy(self.key + self.keylen, s, n)
        self.keylen += n
        return 0

    cdef bint _scan(self, const unsigned char* p, Py_ssize_t n) except -1:
        """The frame's lines, line ends, CRC place and layout key; False when it is not a
        plain telegram (the full parse reads it)."""
        cdef const unsigned char* hit
        cdef Py_ssize_t seg, segend, e, a, pos, close, paren, end
        cdef long lineno = 1
        cdef Py_ssize_t nl_count = 0, crlf_count = 0
        cdef unsigned char mark
        cdef _JLine* ln
        cdef int k
        self.keylen = 0
        self.nlines = 0
        if n < 5 or n > 65536 or p[0] != 0x2F or not _looks_like_header(p + 1) or not _all_ascii(
            p, n
        ):
            return False  # (over 64 KiB: interpret.MAX_TELEGRAM, the full parse refuses it)
        # room for the whole key: each line gives at most its bytes and 2 (blank: 1), the
        # header its bytes and 1, the line ends 1
        if self.keycap < 3 * n + 16:
            free(self.key)
            self.key = <unsigned char*>malloc(3 * n + 16)
            self.keycap = 0 if self.key == NULL else 3 * n + 16
            if self.key == NULL:
                raise MemoryError()
        hit = <const unsigned char*>memchr(p, 0x0A, n)
        if hit == NULL:
            return False
        segend = hit - p
        nl_count = 1
        e = segend
        if p[e - 1] == 0x0D:
            crlf_count = 1
            e -= 1
            if p[e - 1] == 0x0D:
                return False
        self._key_add(p, e)
        mark = 0x0A
        self._key_add(&mark, 1)
        seg = segend + 1
        while True:
            if seg >= n:
                return False
            if p[seg] == 0x21:
                break
            lineno += 1
            hit = <const unsigned char*>memchr(p + seg, 0x0A, n - seg)
            if hit == NULL:
                return False
            segend = hit - p
            nl_count += 1
            e = segend
            if e > seg and p[e - 1] == 0x0D:
                crlf_count += 1
                e -= 1
                if e > seg and p[e - 1] == 0x0D:
                    return False
            a = seg
            while a < e and _ISSPACE[p[a]]:
                a += 1
            if a == e:  # a blank line (it counts in the line numbers)
                self.key[self.keylen] = 0x0A
                self.keylen += 1
                seg = segend + 1
                continue
            hit = <const unsigned char*>memchr(p + seg, 0x28, e - seg)
            if hit == NULL:
                return False
            paren = hit - p
            if paren - seg < 9:  # (the codes' spelling: checked once, in _build)
                return False
            if self.nlines >= _JL_MAXLINES:
                return False
            ln = &self.lines[self.nlines]
            ln.code = seg
            ln.paren = paren
            ln.end = e
            ln.lineno = lineno
            ln.ngroups = 0
            pos = paren
            while pos < e:
                if p[pos] != 0x28:
                    return False
                close = pos + 1
                while close < e and p[close] != 0x29:
                    if p[close] == 0x28:
                        return False  # "(" inside a group: the tokenizer's rules
                    close += 1
                if close == e:
                    return False
                if ln.ngroups < 2:
                    ln.gs[ln.ngroups] = pos + 1
                    ln.ge[ln.ngroups] = close
                ln.ngroups += 1
                pos = close + 1
            self.nlines += 1
            # the code, the groups of a version object (profiles.detect may read them), the
            # number of groups
            k = paren - seg
            _jl_copy(<char*>self.key + self.keylen, <const char*>(p + seg), k)
            self.keylen += k
            if (k == 9 and p[seg + 2] == 0x33 and memcmp(p + seg, b"1-3:0.2.8", 9) == 0) or (
                k == 10 and p[seg + 4] == 0x39 and memcmp(p + seg, b"0-0:96.1.4", 10) == 0
            ):
                memcpy(self.key + self.keylen, p + paren, e - paren)
                self.keylen += e - paren
            self.key[self.keylen] = <unsigned char>min(ln.ngroups, 250)
            self.key[self.keylen + 1] = 0x0A
            self.keylen += 2
            seg = segend + 1
        if crlf_count != nl_count and crlf_count != 0:
            return False  # mixed line ends: tokenize() has the repair rules
        self.crlf = crlf_count != 0
        mark = 0x43 if self.crlf else 0x4C
        self._key_add(&mark, 1)
        self.body_end = seg + 1
        end = self.body_end
        while end < n and end < self.body_end + 4 and _ISHEX[p[end]]:
            end += 1
        if end != n or (end > self.body_end and end - self.body_end < 3):
            return False
        self.crc_end = end
        return True

    # ---- values

    cdef int _number(self, _JSlot* slot, const unsigned char* s, Py_ssize_t n,
                     bint integer, _JLine* ln) except -2:
        """A number and its unit as convert() gives them: value written, 0; -1 when the full
        converter must say (an odd shape, a unit that differs: maybe a problem)."""
        cdef Py_ssize_t k = 0, a, lead, intend, fa, fe, ulen
        cdef bint neg = False
        cdef long long v = 0
        cdef _JBuf* b = &self.obj
        cdef char* o
        if n == 0:
            return -1
        if s[0] == 0x2D:
            neg = True
            k = 1
        a = k
        while k < n and s[k] == 0x30:  # (leading zeros: Decimal and int drop them)
            k += 1
        lead = k
        while k < n and _isdigit(s[k]):
            k += 1
        intend = k
        if intend == a:
            return -1
        if lead == intend:  # zero: keep one digit
            lead -= 1
        fa = fe = k
        if k < n and s[k] == 0x2E:
            if integer:
                return -1
            k += 1
            fa = k
            while k < n and _isdigit(s[k]):
                k += 1
            fe = k
            if fe == fa:
                return -1
        if k < n and s[k] != 0x2A:
            return -1
        if integer and intend - a > 18:  # (_number_end's limit, leading zeros counted)
            return -1
        if neg and intend - lead == 1 and s[lead] == 0x30:
            for v in range(fa, fe):
                if s[v] != 0x30:
                    break
            else:
                return -1  # "-0": Decimal keeps the sign, int does not
            v = 0
        ulen = n - k - 1
        if k < n:  # the unit (the profile's units are checked in _build: letters and such)
            if slot.unit_n >= 0:
                if slot.unit_n != ulen or not _ascii_units_equal(
                    <const unsigned char*>slot.unit, s + k + 1, ulen
                ):
                    return -1
            elif ulen <= 0 or _ISSPACE[s[k + 1]] or _ISSPACE[s[n - 1]] or _jl_needs_escape(
                s + k + 1, ulen
            ):
                return -1
        if b.size + n + 16 > b.cap:
            _jb_reserve(b, n + 16)
        o = b.buf + b.size
        ln.val_at = b.size
        if neg:
            o[0] = 0x2D
            o += 1
        _jl_copy(o, <const char*>(s + lead), intend - lead)
        o += intend - lead
        if fe > fa:
            o[0] = 0x2E
            _jl_copy(o + 1, <const char*>(s + fa), fe - fa)
            o += fe - fa + 1
        ln.val_len = (o - b.buf) - ln.val_at
        if integer:
            for k in range(lead, intend):
                v = v * 10 + (s[k] - 0x30)
            ln.number = -v if neg else v
        memcpy(o, b',"unit":', 8)
        o += 8
        ln.unit_at = o - b.buf
        if ulen > 0:
            o[0] = 0x22
            _jl_copy(o + 1, <const char*>(s + n - ulen), ulen)
            o[ulen + 1] = 0x22
            o += ulen + 2
        else:
            memcpy(o, b"null", 4)
            o += 4
        ln.unit_len = (o - b.buf) - ln.unit_at
        b.size = o - b.buf
        return 0

    cdef int _stamp(self, _JLayout L, const unsigned char* s, Py_ssize_t n,
                    _JLine* ln) except -2:
        """A timestamp as its isoformat() JSON string: 1 written, 0 a sentinel date (nothing
        written), -1 when values.py must answer or the S/W flag contradicts the zone."""
        cdef _Time t
        cdef int verdict = _scan_time(<const Py_UCS1*>s, n, &t)
        cdef int summer, offset
        cdef bint contradicts = False
        cdef char text[20]
        cdef _JBuf* b = &self.obj
        if verdict < 0:
            return -1
        if verdict == 0:
            return 0
        if t.year > 9999:
            return -1
        summer = L.zone.summer_of(&t, &contradicts)
        if summer < 0 or contradicts:
            return -1
        offset = L.summer if summer else L.winter
        text[0] = 0x22
        _jl_digits(text + 1, t.year, 4)
        text[5] = 0x2D
        _jl_digits(text + 6, t.month, 2)
        text[8] = 0x2D
        _jl_digits(text + 9, t.day, 2)
        text[11] = 0x54
        _jl_digits(text + 12, t.hour, 2)
        text[14] = 0x3A
        _jl_digits(text + 15, t.minute, 2)
        text[17] = 0x3A
        _jl_digits(text + 18, t.second, 2)
        ln.stamp_at = b.size
        _jb_put(b, text, 20)
        _jb_bytes(b, L.summer_text if summer else L.winter_text)
        ln.stamp_len = b.size - ln.stamp_at
        ln.micros = (
            _days_from_civil(t.year, t.month, t.day) * 86400
            + t.hour * 3600 + t.minute * 60 + t.second - offset * 60
        ) * 1000000
        return 1

    cdef int _generic(self, _JLayout L, int i, const unsigned char* p, _JLine* ln) except -2:
        """The line through the full converter and the compiled JSON writer (cached on its
        bytes): 0 written, -1 when it has a problem (the full parse reports it)."""
        cdef Py_ssize_t a = ln.paren, e = ln.end, close
        cdef bytes last = <bytes>PyList_GET_ITEM(L.cache_key, i) if PyList_GET_ITEM(
            L.cache_key, i) != <PyObject*>None else None
        if last is None or len(last) != e - a or memcmp(PyBytes_AS_STRING(last), p + a, e - a):
            groups = []
            while a < e:
                close = (<const unsigned char*>memchr(p + a, 0x29, e - a)) - p
                groups.append(_text(p, a + 1, close))
                a = close + 1
            problems = []
            entry = _entry(
                _Converter(L.ctx), L.rows[i], L.codes[i], tuple(groups), ln.lineno, ln.code,
                problems,
            )
            L.cache_key[i] = PyBytes_FromStringAndSize(<const char*>(p + ln.paren), e - ln.paren)
            if problems:
                L.cache_entry[i] = L.cache_value[i] = None
            else:
                text = entries_json((entry,))  # "[{...}]"
                L.cache_entry[i] = text[1 : len(text) - 1].encode("utf-8")
                # (only where it is written again: a COMPLEX value's dumps() is no small cost)
                L.cache_value[i] = (
                    dumps(entry[2]).encode("utf-8") if L.slots[i].value_used else None
                )
        found = <object>PyList_GET_ITEM(L.cache_entry, i)
        if found is None:
            return -1
        _jb_bytes(&self.obj, found)
        ln.generic = True
        ln.val_obj = PyList_GET_ITEM(L.cache_value, i)
        return 0

    cdef int _line(self, _JLayout L, int i, const unsigned char* p, _JLine* ln) except -2:
        """One object of the objects array: 0 written, -1 the telegram needs the full parse."""
        cdef _JSlot* sl = &L.slots[i]
        cdef int slot = sl.kind, got
        cdef Py_ssize_t mark = self.obj.size, vs, ve, ts, te, k
        cdef bint time_first
        cdef _JBuf* b = &self.obj
        ln.generic = False
        ln.val_obj = NULL
        ln.stamp_len = 0
        if slot == _SL_GENERIC:
            return self._generic(L, i, p, ln)
        _jb_put(b, sl.pre, sl.pre_n)
        vs, ve = ln.gs[0], ln.ge[0]
        if slot == _SL_QUANTITY or slot == _SL_INTEGER:
            got = self._number(sl, p + vs, ve - vs, slot == _SL_INTEGER, ln)
        elif slot == _SL_TEXT:
            ln.val_at = b.size
            if ve == vs:
                _jb_bytes(b, b"null")
            else:
                _jb_string(b, p + vs, ve - vs)
            ln.val_len = b.size - ln.val_at
            _jb_bytes(b, b',"unit":null')
            got = 0
        elif slot == _SL_TIMESTAMP:
            ln.val_at = b.size
            got = self._stamp(L, p + vs, ve - vs, ln)
            if got == 0:
                _jb_bytes(b, b"null")
            ln.stamp_len = 0  # (the value, not the object's timestamp)
            ln.val_len = b.size - ln.val_at
            if got >= 0:
                _jb_bytes(b, b',"unit":null')
                got = 0
        else:  # TIMESTAMPED: the time is the group that looks like one
            time_first = ln.ge[0] - ln.gs[0] >= 12
            for k in range(ln.gs[0], ln.ge[0]):
                if p[k] == 0x2A or p[k] == 0x2E:
                    time_first = False
                    break
            if time_first:
                ts, te, vs, ve = ln.gs[0], ln.ge[0], ln.gs[1], ln.ge[1]
            else:
                ts, te, vs, ve = ln.gs[1], ln.ge[1], ln.gs[0], ln.ge[0]
            got = self._number(sl, p + vs, ve - vs, False, ln)
            if got == 0:
                _jb_bytes(b, b',"timestamp":')
                got = self._stamp(L, p + ts, te - ts, ln)
                if got == 0:
                    b.size -= 13  # a sentinel: no timestamp
                got = 0 if got >= 0 else -1
        if got < 0:
            self.obj.size = mark
            return self._generic(L, i, p, ln)
        _jb_bytes(b, b',"raw":[')
        _jb_string(b, p + ln.gs[0], ln.ge[0] - ln.gs[0])
        if ln.ngroups == 2:
            _jb_char(b, 0x2C)
            _jb_string(b, p + ln.gs[1], ln.ge[1] - ln.gs[1])
        _jb_put(b, sl.suf, sl.suf_n)
        return 0

    cdef int _value_json(self, _JLine* ln) except -1:
        """The line's value as JSON, into the output."""
        if ln.val_obj != NULL:
            return _jb_bytes(&self.out, <object>ln.val_obj)
        return _jb_put(&self.out, self.obj.buf + ln.val_at, ln.val_len)

    cdef int _write(self, _JLayout L, const unsigned char* p, Py_ssize_t n) except -2:
        cdef int i, code, k, channel
        cdef Py_ssize_t mark = self.out.size
        cdef unsigned int given = 0, computed, raw_crc
        cdef bint repaired = False, alive, first
        cdef _JLine* ln
        cdef _JLine* r
        cdef _JBuf* o = &self.out
        cdef long long dt
        cdef long long best_at[3]
        cdef int best[3]
        # the objects first (the telegram's timestamp and the MBus devices come from them)
        self.obj.size = 0
        for i in range(self.nlines):
            if i:
                _jb_char(&self.obj, 0x2C)
            if self._line(L, i, p, &self.lines[i]) < 0:
                return -1
        # the CRC, as tokenize() judges it
        if self.crlf:
            computed = _crc_update(0, p, self.body_end)
        else:
            computed = _crc_lf_as_crlf(p, self.body_end)
        if self.crc_end == self.body_end:
            code = 3 if L.crc_required else 2
        else:
            for i in range(self.body_end, self.crc_end):
                given = given * 16 + _hexval(p[i])
            if not self.crlf:
                if given == computed:
                    repaired = True
                else:
                    raw_crc = _crc_update(0, p, self.body_end)
                    if raw_crc == given:
                        computed = raw_crc
            code = 0 if given == computed else 1
        if code & 1 and self.strict:
            return -1
        _jb_bytes(o, L.head)
        if code == 0:
            _jb_bytes(o, b'"ok"')
        elif code == 1:
            _jb_bytes(o, b'"bad"')
        else:
            _jb_bytes(o, b'"absent"')
        _jb_bytes(o, b',"given":')
        if code >= 2:
            _jb_bytes(o, b"null")
        else:
            _jb_hex4(o, given)
        _jb_bytes(o, b',"computed":')
        _jb_hex4(o, computed)
        _jb_bytes(o, b',"checked_as_crlf":')
        if repaired and code == 0:
            _jb_bytes(o, b"true")
        else:
            _jb_bytes(o, b"false")
        if self.crlf:
            _jb_bytes(o, b'},"line_ending":"CRLF","timestamp":')
        else:
            _jb_bytes(o, b'},"line_ending":"LF","timestamp":')
        if L.stamp_line >= 0:
            self._value_json(&self.lines[L.stamp_line])
        else:
            _jb_bytes(o, b"null")
        _jb_bytes(o, b',"objects":[')
        _jb_put(o, self.obj.buf, self.obj.size)
        _jb_bytes(o, b'],"mbus":[')
        best[0] = best[1] = best[2] = -1
        best_at[0] = best_at[1] = best_at[2] = 0
        first = True
        for device in L.devices:
            channel, channel_json, dti, eqi, rdi, vai = <tuple>device
            dt = -1  # (no type line, and no reading to infer one from: null)
            if dti >= 0:
                ln = &self.lines[<int>dti]
                if ln.generic or not 0 <= ln.number <= 255:
                    o.size = mark
                    return -1
                dt = ln.number
            r = &self.lines[<int>rdi] if rdi >= 0 else NULL
            if r != NULL and r.generic:
                o.size = mark
                return -1
            if not first:
                _jb_char(o, 0x2C)
            first = False
            _jb_bytes(o, b'{"channel":')
            _jb_bytes(o, channel_json)
            if dt < 0:
                _jb_bytes(o, b',"device_type":null,"kind":null')
            else:
                _jb_bytes(o, b',"device_type":')
                _jb_int(o, dt)
                _jb_bytes(o, b',"kind":')
                _jb_bytes(o, <object>PyList_GET_ITEM(self.kinds, <Py_ssize_t>dt))
            _jb_bytes(o, b',"equipment_id":')
            if eqi >= 0:
                self._value_json(&self.lines[<int>eqi])
            else:
                _jb_bytes(o, b"null")
            _jb_bytes(o, b',"timestamp":')
            if r != NULL:
                if r.stamp_len:
                    _jb_put(o, self.obj.buf + r.stamp_at, r.stamp_len)
                else:
                    _jb_bytes(o, b"null")
                _jb_bytes(o, b',"value":')
                _jb_put(o, self.obj.buf + r.val_at, r.val_len)
                _jb_bytes(o, b',"unit":')
                _jb_put(o, self.obj.buf + r.unit_at, r.unit_len)
            else:
                _jb_bytes(o, b'null,"value":null,"unit":null')
            _jb_bytes(o, b',"valve":')
            if vai >= 0:
                self._value_json(&self.lines[<int>vai])
            else:
                _jb_bytes(o, b"null")
            alive = dt > 0 and r != NULL and r.stamp_len != 0
            if alive:
                _jb_bytes(o, b',"alive":true,"device_type_inferred":false}')
                for k in range(3):  # the first of the newest, as max() picks
                    if self.shortcut[dt] & (1 << k) and (best[k] < 0 or r.micros > best_at[k]):
                        best[k] = channel
                        best_at[k] = r.micros
            else:
                _jb_bytes(o, b',"alive":false,"device_type_inferred":false}')
        _jb_bytes(o, b'],"mbus_channels":{"gas":')
        for k in range(3):
            if k == 1:
                _jb_bytes(o, b',"water":')
            elif k == 2:
                _jb_bytes(o, b',"heat":')
            if best[k] < 0:
                _jb_bytes(o, b"null")
            else:
                _jb_int(o, best[k])
        _jb_bytes(o, b'},"problems":[')
        if code == 1:
            _jb_bytes(o, b'{"kind":"crc","message":"CRC mismatch: telegram says ')
            _jb_hex4(o, given, False)
            _jb_bytes(o, b", computed ")
            _jb_hex4(o, computed, False)
            _jb_bytes(o, b'","line":null,"offset":')
            _jb_int(o, self.body_end)
            _jb_bytes(o, b',"obis":null}')
        elif code == 3:
            _jb_bytes(o, L.absent_problem)
            _jb_int(o, self.body_end)
            _jb_bytes(o, b',"obis":null}')
        _jb_bytes(o, b"]}\n")
        return code

    # ---- layouts

    def learn(self, data, telegram):
        """Take ``telegram`` (the full parse of ``data``) as its layout's template, unless that
        layout has one; the template is used once this writer's line for it is the reference's.
        """
        cdef _JLayout L
        cdef Py_ssize_t mark
        cdef int code
        if not PyBytes_CheckExact(data):
            data = bytes(data)
        if not self._scan(<const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data)):
            self.why = 1
            return False
        key = PyBytes_FromStringAndSize(<const char*>self.key, self.keylen)
        L = self.layouts.get(key)
        if L is not None and (L.good or L.tries >= 4):
            self.why = 2
            return False
        if L is None:
            if len(self.layouts) >= 256:
                self.layouts.clear()
                self.last_key = None
                self.last_layout = None
            L = _JLayout()
            self.layouts[key] = L
        L.tries += 1
        if not self._build(L, telegram, data):
            return False
        mark = self.out.size
        code = self._write(L, <const unsigned char*>PyBytes_AS_STRING(data), len(<bytes>data))
        if code < 0:
            self.why = 4
            return False
        mine = PyBytes_FromStringAndSize(self.out.buf + mark, self.out.size - mark)
        self.out.size = mark
        if mine == (telegram.to_json() + "\n").encode("utf-8"):
            L.good = True
            self.learned += 1
            return True
        L.tries = 99  # never again for this layout: the full parse writes it
        self.mismatches += 1
        self.why = 5
        return False

    cdef bint _build(self, _JLayout L, object t, bytes data) except -1:
        from . import telegram as telegram_module
        from ._types import Entry as _E

        cdef int i
        cdef _JLine* ln
        if type(t) is not telegram_module.Telegram or t._pins:
            self.why = 6
            return False
        entries = t._entries
        if len(entries) != self.nlines:
            self.why = 7
            return False
        for problem in t._problems:
            if problem.kind != "crc":
                self.why = 8
                return False
        profile = t._profile
        ctx = _time_context(profile.timezone, profile.dst_flags)
        zone = _zone_for(ctx)
        if zone is None:
            self.why = 9
            return False
        L.ctx = ctx
        L.zone = <_Zone>zone
        L.winter = (<_Zone>zone).winter_s // 60
        L.summer = (<_Zone>zone).summer_s // 60
        L.winter_text = _offset_text(L.winter)
        L.summer_text = _offset_text(L.summer)
        header = t._tokens.header
        L.head = (
            '{"format":' + dumps(telegram_module.FORMAT) + ',"profile":' + dumps(profile.name)
            + ',"profile_reason":' + dumps(t._reason) + ',"header":' + dumps(header)
            + ',"manufacturer":' + dumps(header[0:3]) + ',"crc":{"status":'
        ).encode("utf-8")
        L.crc_required = bool(profile.crc_required)
        L.absent_problem = (
            '{"kind":"crc","message":'
            + dumps(f"no CRC, but {profile.title} telegrams carry one")
            + ',"line":null,"offset":'
        ).encode("utf-8")
        plan = profile.plan
        free(L.slots)
        L.slots = <_JSlot*>malloc(sizeof(_JSlot) * max(self.nlines, 1))
        if L.slots == NULL:
            raise MemoryError()
        L.nlines = self.nlines
        L.expected, L.prefix, L.suffix, L.rows, L.codes = [], [], [], [], []
        L.cache_key, L.cache_entry, L.cache_value = [], [], []
        L.stamp_line = -1
        roles = {}
        for i in range(self.nlines):
            ln = &self.lines[i]
            e = entries[i]
            if type(e) is not _E or e.line != ln.lineno:
                self.why = 10
                return False
            obis = e.obis
            if not PyUnicode_CheckExact(obis) or len(obis) != ln.paren - ln.code:
                self.why = 11
                return False
            if not _is_plain(<const Py_UCS1*>PyBytes_AS_STRING(data) + ln.code,
                             ln.paren - ln.code):
                self.why = 12
                return False
            if obis.encode("latin-1") != PyBytes_FromStringAndSize(
                <const char*>PyBytes_AS_STRING(data) + ln.code, ln.paren - ln.code
            ):
                self.why = 13
                return False
            row = plan.get(obis)
            slot = _SL_GENERIC
            expected = None
            if row is not None:
                kind = _kind_code(row[0])
                unit = row[2]
                if unit is not None:
                    try:
                        expected = unit.encode("ascii") if PyUnicode_CheckExact(unit) else None
                    except UnicodeEncodeError:
                        expected = None
                if expected is not None and (
                    not expected or expected != expected.strip()
                    or _jl_needs_escape(<const unsigned char*>PyBytes_AS_STRING(expected),
                                        len(expected))
                ):
                    expected = None
                if unit is not None and expected is None:
                    slot = _SL_GENERIC
                elif kind == _QUANTITY and ln.ngroups == 1:
                    slot = _SL_QUANTITY
                elif kind == _INTEGER and ln.ngroups == 1:
                    slot = _SL_INTEGER
                elif kind == _TIMESTAMP and ln.ngroups == 1:
                    slot = _SL_TIMESTAMP
                elif kind == _TIMESTAMPED and ln.ngroups == 2:
                    slot = _SL_TIMESTAMPED
                elif kind not in (_COMPLEX, _HEX_TEXT, _QUANTITY, _INTEGER, _TIMESTAMP,
                                  _TIMESTAMPED) and ln.ngroups == 1:
                    slot = _SL_TEXT
            pre = ('{"obis":' + dumps(obis) + ',"name":' + dumps(e.name) + ',"value":').encode()
            suf = f'],"line":{ln.lineno}}}'.encode()
            L.expected.append(expected)
            L.prefix.append(pre)
            L.suffix.append(suf)
            L.slots[i].kind = slot
            L.slots[i].pre = PyBytes_AS_STRING(pre)
            L.slots[i].pre_n = len(pre)
            L.slots[i].suf = PyBytes_AS_STRING(suf)
            L.slots[i].suf_n = len(suf)
            L.slots[i].unit = NULL if expected is None else PyBytes_AS_STRING(expected)
            L.slots[i].unit_n = -1 if expected is None else len(expected)
            L.slots[i].value_used = False
            L.rows.append(row)
            L.codes.append(obis)
            L.cache_key.append(None)
            L.cache_entry.append(None)
            L.cache_value.append(None)
            if obis == "0-0:1.0.0":
                if L.stamp_line >= 0 or slot != _SL_TIMESTAMP:
                    self.why = 14
                    return False
                L.stamp_line = i
                L.slots[i].value_used = True
            role = telegram_module._MBUS_ROLES.get(e.name) if e.name else None
            if role is not None:
                channel = int(obis[obis.index("-") + 1 : obis.index(":")])
                roles.setdefault(channel, {}).setdefault(role, i)
        L.devices = []
        for channel in sorted(roles):
            got = roles[channel]
            dti = got.get("device_type", -1)
            rdi = got.get("reading", -1)
            if (dti < 0 and rdi >= 0) or (dti >= 0 and L.slots[dti].kind != _SL_INTEGER):
                self.why = 15
                return False  # (a type the full parse infers from the reading's unit)
            if rdi >= 0 and L.slots[rdi].kind != _SL_TIMESTAMPED:
                self.why = 16
                return False
            if not 0 <= channel < 1000000:
                self.why = 17
                return False
            for used in (got.get("equipment_id", -1), got.get("valve", -1)):
                if used >= 0:
                    L.slots[used].value_used = True
            L.devices.append((channel, dumps(channel).encode(), dti, got.get("equipment_id", -1), rdi,
                              got.get("valve", -1)))
        return True


