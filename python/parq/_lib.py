"""_lib.py -- ctypes declarations for libparq: the Arrow C Data Interface
structs, parq_error, parq_stream_options and the parq_stream_* functions.

The library is found through env PARQ_LIBRARY, else build/libparq.so two
directories above this package (a source checkout), else
ctypes.util.find_library("parq"). load() raises OSError when none works.
"""
import ctypes
import ctypes.util
import os

PARQ_OK = 0
PARQ_DONE = 1
STATUS_NAMES = {
    -1: "EINVAL", -2: "EIO", -3: "ECORRUPT", -4: "ENOMEM", -5: "EUNSUPPORTED",
    -6: "ECHECKSUM", -7: "ESCHEMA", -8: "ECONFLICT", -9: "EINTERNAL",
}


class ArrowSchema(ctypes.Structure):
    pass


ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_void_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))),
    ("private_data", ctypes.c_void_p),
]


class ArrowArray(ctypes.Structure):
    pass


ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))),
    ("private_data", ctypes.c_void_p),
]


class ArrowArrayStream(ctypes.Structure):
    pass


ArrowArrayStream._fields_ = [
    ("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                    ctypes.POINTER(ArrowSchema))),
    ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ArrowArrayStream),
                                  ctypes.POINTER(ArrowArray))),
    ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(ArrowArrayStream))),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArrayStream))),
    ("private_data", ctypes.c_void_p),
]


class ParqError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class StreamOptions(ctypes.Structure):
    _fields_ = [
        ("paths", ctypes.POINTER(ctypes.c_char_p)),
        ("n_paths", ctypes.c_size_t),
        ("rank", ctypes.c_int),
        ("world", ctypes.c_int),
        ("columns", ctypes.POINTER(ctypes.c_char_p)),
        ("n_columns", ctypes.c_size_t),
        ("batch_rows", ctypes.c_int64),
        ("epochs", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("shuffle_row_groups", ctypes.c_int),
        ("prefetch", ctypes.c_int),
        ("memory_limit", ctypes.c_int64),
        ("resume_state", ctypes.c_char_p),
        ("string_views", ctypes.c_int),
    ]


def _candidates():
    env = os.environ.get("PARQ_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "..", "..", "build", "libparq.so")
    found = ctypes.util.find_library("parq")
    if found:
        yield found


_lib = None


def load():
    """The loaded library (cached); OSError when it cannot be found."""
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append("%s: not found" % path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
            continue
        _declare(lib)
        _lib = lib
        return lib
    raise OSError("libparq not found (set PARQ_LIBRARY): " + "; ".join(errors or ["no candidates"]))


def _declare(lib):
    P = ctypes.POINTER
    lib.parq_stream_options_init.argtypes = [P(StreamOptions)]
    lib.parq_stream_options_init.restype = None
    lib.parq_stream_open.argtypes = [P(StreamOptions), P(ctypes.c_void_p), P(ParqError)]
    lib.parq_stream_open.restype = ctypes.c_int
    lib.parq_stream_next.argtypes = [ctypes.c_void_p, P(ArrowArray), P(ParqError)]
    lib.parq_stream_next.restype = ctypes.c_int
    lib.parq_stream_schema.argtypes = [ctypes.c_void_p, P(ArrowSchema), P(ParqError)]
    lib.parq_stream_schema.restype = ctypes.c_int
    lib.parq_stream_state.argtypes = [ctypes.c_void_p, P(ctypes.c_void_p), P(ParqError)]
    lib.parq_stream_state.restype = ctypes.c_int
    lib.parq_stream_close.argtypes = [ctypes.c_void_p]
    lib.parq_stream_close.restype = None
    lib.parq_stream_to_arrow_stream.argtypes = [ctypes.c_void_p, P(ArrowArrayStream), P(ParqError)]
    lib.parq_stream_to_arrow_stream.restype = ctypes.c_int
    lib.parq_free.argtypes = [ctypes.c_void_p]
    lib.parq_free.restype = None
    lib.parq_strerror.argtypes = [ctypes.c_int]
    lib.parq_strerror.restype = ctypes.c_char_p


# Python C-API pieces for the __arrow_c_stream__ capsule.
_api = ctypes.pythonapi
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyMem_RawMalloc.argtypes = [ctypes.c_size_t]
_api.PyMem_RawMalloc.restype = ctypes.c_void_p
_api.PyMem_RawFree.argtypes = [ctypes.c_void_p]
_api.PyMem_RawFree.restype = None

CAPSULE_NAME = b"arrow_array_stream"


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule):
    # A consumer that imported the stream moved it out (release == NULL);
    # otherwise we still own it and must release it.
    ptr = _api.PyCapsule_GetPointer(capsule, CAPSULE_NAME)
    if not ptr:
        return
    st = ArrowArrayStream.from_address(ptr)
    if st.release:
        st.release(ctypes.byref(st))
    _api.PyMem_RawFree(ptr)


def stream_capsule(lib, handle):
    """Wrap parq_stream* `handle` (ownership passes) as an arrow_array_stream capsule."""
    ptr = _api.PyMem_RawMalloc(ctypes.sizeof(ArrowArrayStream))
    if not ptr:
        lib.parq_stream_close(handle)
        raise MemoryError("cannot allocate an ArrowArrayStream")
    ctypes.memset(ptr, 0, ctypes.sizeof(ArrowArrayStream))
    err = ParqError()
    st = lib.parq_stream_to_arrow_stream(handle, ArrowArrayStream.from_address(ptr), ctypes.byref(err))
    if st != PARQ_OK:
        _api.PyMem_RawFree(ptr)
        raise RuntimeError(err.message.decode("utf-8", "replace"))
    return _api.PyCapsule_New(ptr, CAPSULE_NAME, ctypes.cast(_capsule_destructor, ctypes.c_void_p))
