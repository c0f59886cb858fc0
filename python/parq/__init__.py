"""parq -- Python access to libparq's dataset stream (standard library only).

    import parq
    s = parq.stream("shards/", rank=0, world=8, columns=["text"], batch_rows=128)
    for batch in s:               # dict: column name -> list of Python values
        train(batch["text"])
        ckpt = s.state_dict()     # exact resume point (after this batch)

    s2 = parq.stream("shards/", rank=0, world=8, columns=["text"])
    s2.load_state_dict(ckpt)      # before iterating: continues exactly there

Arrow values become Python values: integers, floats, bools, utf8 -> str,
binary -> bytes, lists -> list, structs -> dict, maps -> list of (key, value)
tuples, decimals -> decimal.Decimal, dates / times / timestamps -> int (their
Arrow storage value), nulls -> None. `__arrow_c_stream__` exports the stream
through the Arrow PyCapsule interface (e.g. pyarrow.RecordBatchReader.from_stream).
"""
import ctypes
import decimal
import json
import os
import struct

from . import _lib

__all__ = ["stream", "Stream", "ParqError"]


class ParqError(RuntimeError):
    """A libparq error; .code is the parq_status value (negative)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _check(lib, st, err):
    if st < 0:
        msg = err.message.decode("utf-8", "replace") or lib.parq_strerror(st).decode()
        raise ParqError(st, msg)
    return st


# ---------------------------------------------------------------- Arrow -> Python

_FIXED = {"c": ("b", 1), "C": ("B", 1), "s": ("h", 2), "S": ("H", 2), "i": ("i", 4), "I": ("I", 4),
          "l": ("q", 8), "L": ("Q", 8), "e": ("e", 2), "f": ("f", 4), "g": ("d", 8),
          "tdD": ("i", 4), "tdm": ("q", 8), "tts": ("i", 4), "ttm": ("i", 4), "ttu": ("q", 8),
          "ttn": ("q", 8)}


def _fixed_code(fmt):
    if fmt in _FIXED:
        return _FIXED[fmt]
    if fmt.startswith("ts") or fmt.startswith("tD"):  # timestamps, durations: int64
        return ("q", 8)
    return None


def _bits(ptr, start, n):
    """n booleans from a bitmap starting at bit `start`."""
    if n <= 0:
        return []
    first = start >> 3
    raw = ctypes.string_at(ptr + first, ((start + n + 7) >> 3) - first)
    shift = start & 7
    return [bool(raw[(shift + k) >> 3] >> ((shift + k) & 7) & 1) for k in range(n)]


def _buf(arr, i):
    return arr.buffers[i] if arr.n_buffers > i else None


def _column(sch, arr, start, n):
    """Rows [start, start+n) (logical, before arr.offset) of one Arrow array."""
    fmt = sch.format.decode()
    o = arr.offset + start
    if fmt == "n":
        return [None] * n
    vptr = _buf(arr, 0)
    valid = _bits(vptr, o, n) if vptr and arr.null_count != 0 else None
    code = _fixed_code(fmt)
    if code:
        c, w = code
        vals = memoryview(ctypes.string_at(arr.buffers[1] + o * w, n * w)).cast(c).tolist() if n else []
    elif fmt == "b":
        vals = _bits(arr.buffers[1], o, n)
    elif fmt in ("u", "z", "U", "Z"):
        c, w = ("i", 4) if fmt in ("u", "z") else ("q", 8)
        offs = memoryview(ctypes.string_at(arr.buffers[1] + o * w, (n + 1) * w)).cast(c).tolist()
        data = ctypes.string_at(arr.buffers[2] + offs[0], offs[-1] - offs[0]) if n and offs[-1] > offs[0] else b""
        base = offs[0]
        vals = [data[offs[k] - base:offs[k + 1] - base] for k in range(n)]
        if fmt in ("u", "U"):
            vals = [v.decode("utf-8", "replace") for v in vals]
    elif fmt in ("vu", "vz"):
        # Arrow views: 16 bytes each, the value inline when <= 12 bytes, else
        # prefix, buffer index and offset into variadic buffer 2 + index.
        raw = ctypes.string_at(arr.buffers[1] + o * 16, n * 16) if n else b""
        vals = []
        for k in range(n):
            ln, bi, off = struct.unpack_from("<i4xii", raw, 16 * k)
            if ln <= 12:
                vals.append(raw[16 * k + 4:16 * k + 4 + ln])
            else:
                vals.append(ctypes.string_at(arr.buffers[2 + bi] + off, ln))
        if fmt == "vu":
            vals = [v.decode("utf-8", "replace") for v in vals]
    elif fmt.startswith("w:"):
        w = int(fmt[2:])
        raw = ctypes.string_at(arr.buffers[1] + o * w, n * w) if n else b""
        vals = [raw[k * w:(k + 1) * w] for k in range(n)]
    elif fmt.startswith("d:"):
        parts = fmt[2:].split(",")
        scale = int(parts[1])
        w = (int(parts[2]) if len(parts) > 2 else 128) // 8
        raw = ctypes.string_at(arr.buffers[1] + o * w, n * w) if n else b""
        vals = [decimal.Decimal(int.from_bytes(raw[k * w:(k + 1) * w], "little", signed=True)).scaleb(-scale)
                for k in range(n)]
    elif fmt in ("+l", "+L", "+m"):
        c, w = ("q", 8) if fmt == "+L" else ("i", 4)
        offs = memoryview(ctypes.string_at(arr.buffers[1] + o * w, (n + 1) * w)).cast(c).tolist()
        child = _column(sch.children[0].contents, arr.children[0].contents, offs[0], offs[-1] - offs[0])
        base = offs[0]
        vals = [child[offs[k] - base:offs[k + 1] - base] for k in range(n)]
        if fmt == "+m":
            vals = [[(e["key"], e["value"]) for e in v] for v in vals]
    elif fmt.startswith("+w:"):
        w = int(fmt[3:])
        child = _column(sch.children[0].contents, arr.children[0].contents, o * w, n * w)
        vals = [child[k * w:(k + 1) * w] for k in range(n)]
    elif fmt == "+s":
        names = [sch.children[k].contents.name.decode() for k in range(sch.n_children)]
        cols = [_column(sch.children[k].contents, arr.children[k].contents, o, n) for k in range(sch.n_children)]
        vals = [dict(zip(names, row)) for row in zip(*cols)] if cols else [{} for _ in range(n)]
    else:
        raise ParqError(-5, "Arrow type '%s' cannot be converted to Python" % fmt)
    if valid is not None:
        vals = [v if ok else None for v, ok in zip(vals, valid)]
    return vals


def _batch_to_dict(sch, arr):
    out = {}
    for k in range(sch.n_children):
        cs = sch.children[k].contents
        out[cs.name.decode()] = _column(cs, arr.children[k].contents, arr.offset, arr.length)
    return out


# ---------------------------------------------------------------- the stream


class Stream:
    """An iterable over one rank's batches; see parq.stream()."""

    def __init__(self, paths, rank=0, world=1, columns=None, batch_rows=128, epochs=1, seed=0,
                 shuffle=False, prefetch=1, memory_limit=0, state=None, string_views=False):
        self._lib = _lib.load()
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        self._paths = [os.fsencode(p) for p in paths]
        self._columns = None if columns is None else [c.encode() for c in columns]
        self._cfg = dict(rank=int(rank), world=int(world), batch_rows=int(batch_rows), epochs=int(epochs),
                         seed=int(seed), shuffle=bool(shuffle), prefetch=int(prefetch),
                         memory_limit=int(memory_limit), string_views=bool(string_views))
        self._state = None
        self._handle = None
        self._schema = None
        self._started = False
        if state is not None:
            self.load_state_dict(state)

    # -- lifecycle
    def _open_handle(self, state_text):
        lib = self._lib
        o = _lib.StreamOptions()
        lib.parq_stream_options_init(ctypes.byref(o))
        paths = (ctypes.c_char_p * len(self._paths))(*self._paths)
        o.paths = paths
        o.n_paths = len(self._paths)
        cols = None
        if self._columns:
            cols = (ctypes.c_char_p * len(self._columns))(*self._columns)
            o.columns = cols
            o.n_columns = len(self._columns)
        c = self._cfg
        o.rank, o.world, o.batch_rows, o.epochs = c["rank"], c["world"], c["batch_rows"], c["epochs"]
        o.seed = c["seed"] & 0xFFFFFFFFFFFFFFFF
        o.shuffle_row_groups = int(c["shuffle"])
        o.prefetch, o.memory_limit = c["prefetch"], c["memory_limit"]
        o.string_views = int(c["string_views"])
        state_buf = state_text.encode() if state_text else None
        o.resume_state = state_buf
        h = ctypes.c_void_p()
        err = _lib.ParqError()
        _check(lib, lib.parq_stream_open(ctypes.byref(o), ctypes.byref(h), ctypes.byref(err)), err)
        return h

    def _ensure_open(self):
        if self._handle is not None:
            return
        self._handle = self._open_handle(self._state)
        sch = _lib.ArrowSchema()
        err = _lib.ParqError()
        st = self._lib.parq_stream_schema(self._handle, ctypes.byref(sch), ctypes.byref(err))
        if st < 0:
            self.close()
            _check(self._lib, st, err)
        self._schema = sch

    def close(self):
        """Stop the prefetch thread and free everything (idempotent)."""
        if self._schema is not None and self._schema.release:
            self._schema.release(ctypes.byref(self._schema))
        self._schema = None
        if self._handle is not None:
            self._lib.parq_stream_close(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- iteration
    def __iter__(self):
        return self

    def __next__(self):
        self._ensure_open()
        self._started = True
        arr = _lib.ArrowArray()
        err = _lib.ParqError()
        st = _check(self._lib, self._lib.parq_stream_next(self._handle, ctypes.byref(arr), ctypes.byref(err)), err)
        if st == _lib.PARQ_DONE:
            raise StopIteration
        try:
            return _batch_to_dict(self._schema, arr)
        finally:
            if arr.release:
                arr.release(ctypes.byref(arr))

    # -- resume
    def _state_text(self):
        self._ensure_open()
        out = ctypes.c_void_p()
        err = _lib.ParqError()
        _check(self._lib, self._lib.parq_stream_state(self._handle, ctypes.byref(out), ctypes.byref(err)), err)
        try:
            return ctypes.string_at(out.value).decode()
        finally:
            self._lib.parq_free(out)

    def state_dict(self):
        """The exact position after the last batch returned, as a dict."""
        return json.loads(self._state_text())

    def load_state_dict(self, d):
        """Restart from a state_dict() (only before iterating). A state from
        another dataset, world size or seed raises ParqError (EINVAL)."""
        if self._started:
            raise RuntimeError("load_state_dict() must be called before iterating")
        text = d if isinstance(d, str) else json.dumps(d)
        self.close()
        self._state = text
        self._ensure_open()  # validates the state now

    # -- Arrow PyCapsule interface
    def __arrow_c_stream__(self, requested_schema=None):
        """An "arrow_array_stream" capsule continuing from this object's
        current position (a separate stream: this object is not advanced)."""
        if requested_schema is not None:
            pass  # parq's schema is fixed by the files; consumers may cast
        text = self._state_text() if (self._handle is not None or self._state) else None
        h = self._open_handle(text)
        return _lib.stream_capsule(self._lib, h)


def stream(paths, rank=0, world=1, columns=None, batch_rows=128, epochs=1, seed=0, shuffle=False,
           prefetch=1, memory_limit=0, state=None, string_views=False):
    """Stream rank `rank` of `world`'s share of the shards at `paths` (a
    directory, file, glob, or a list of them) as dicts of column -> list.
    string_views=True hands strings out as Arrow views ("vu") through
    __arrow_c_stream__, without copying them (pyarrow >= 16, Polars)."""
    return Stream(paths, rank=rank, world=world, columns=columns, batch_rows=batch_rows, epochs=epochs,
                  seed=seed, shuffle=shuffle, prefetch=prefetch, memory_limit=memory_limit, state=state,
                  string_views=string_views)
