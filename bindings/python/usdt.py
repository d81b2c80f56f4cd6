"""USDT probes for Python programs, over the kit's shared library (libusdt).

One pure-Python file (ctypes, no compiled extension): copy it next to your
code or put its directory on PYTHONPATH. It loads libusdt.so.0 (installed by
`meson install`; set USDT_LIBRARY to a path to use another).

    import usdt

    provider = usdt.Provider("myapp")                    # a name from anywhere
    request = provider.probe("request", int, str)        # argument types
    done = provider.probe("done", usdt.UINT32, usdt.STRING)

    with provider:                                       # loaded; unloaded at exit
        print("trace:", provider.path)
        if request.enabled:                              # a memory read, no call
            request.fire(req_id, expensive_description())
        request.fire(42, "/index.html")                  # checks enabled itself
        with done.timer("/index.html"):                  # clock read only if traced
            serve()                                      # fires (elapsed ns, path)
    provider.close()                                     # after the last fire

Then, as root:

    bpftrace -e 'usdt:PATH:myapp:request { printf("%ld %s\\n", arg0, str(arg1)); }'

with PATH the provider's `path` (bpftrace 0.17: without -p).

Types: usdt.INT8 ... usdt.UINT64, usdt.POINTER, usdt.STRING, or the Python
types int (INT64), bool (UINT8), str and bytes (STRING). fire() takes ints,
bools, str (passed as UTF-8), bytes and None (a NULL pointer); every integer
goes to the probe as 64 bits, and a value out of its declared type's range
raises OverflowError instead of being truncated. Errors from the library
raise usdt.Error, an OSError carrying the library's errno and message.

Threads: fire() and enabled are safe from any thread at any time, also
while another thread loads or unloads the provider (an unloaded provider's
probes read as disabled and fire nothing). Provider methods serialize
themselves. close() frees the probes: call it after the last fire.
"""

import ctypes
import os
import threading
import time

__all__ = ["Provider", "Probe", "Error", "abi_version", "INT8", "UINT8", "INT16", "UINT16",
           "INT32", "UINT32", "INT64", "UINT64", "POINTER", "STRING"]

# enum usdt_type in usdt.h.
INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, POINTER, STRING = range(1, 11)
_TYPE_NAMES = {INT8: "int8", UINT8: "uint8", INT16: "int16", UINT16: "uint16", INT32: "int32",
               UINT32: "uint32", INT64: "int64", UINT64: "uint64", POINTER: "pointer",
               STRING: "string"}
_PYTHON_TYPES = {int: INT64, bool: UINT8, str: STRING, bytes: STRING}
_RANGES = {INT8: (-2**7, 2**7 - 1), UINT8: (0, 2**8 - 1), INT16: (-2**15, 2**15 - 1),
           UINT16: (0, 2**16 - 1), INT32: (-2**31, 2**31 - 1), UINT32: (0, 2**32 - 1),
           INT64: (-2**63, 2**63 - 1), UINT64: (0, 2**64 - 1), POINTER: (0, 2**64 - 1)}
_MASK = 2**64 - 1
MAX_ARGS = 12
ABI_VERSION = 0  # the USDT_ABI_VERSION this file is written for


class Error(OSError):
    """A failed call of the library: errno is its error code, strerror its
    message."""


class _CError(ctypes.Structure):  # usdt_error
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 192)]


def _load_library():
    path = os.environ.get("USDT_LIBRARY") or f"libusdt.so.{ABI_VERSION}"
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"usdt: cannot load {path} (install the kit with meson install, "
                          f"or set USDT_LIBRARY): {error}") from None
    void_p, c_int, error_p = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_CError)
    for name, restype, argtypes in (
            ("usdt_abi_version", c_int, []),
            ("usdt_provider_create", void_p, [ctypes.c_char_p, error_p]),
            ("usdt_probe_add", void_p,
             [void_p, ctypes.c_char_p, c_int, ctypes.POINTER(c_int), error_p]),
            ("usdt_provider_load", c_int, [void_p, error_p]),
            ("usdt_provider_unload", c_int, [void_p, error_p]),
            ("usdt_provider_destroy", None, [void_p]),
            ("usdt_provider_path", ctypes.c_char_p, [void_p]),
            ("usdt_probe_fire", c_int, [void_p, c_int, ctypes.POINTER(ctypes.c_uint64)]),
            ("usdt_probe_semaphore", void_p, [void_p]),
            ("usdt_dir_reclaim", c_int, [ctypes.c_char_p, error_p])):
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    if lib.usdt_abi_version() != ABI_VERSION:
        raise ImportError(f"usdt: {path} has ABI version {lib.usdt_abi_version()}; "
                          f"this usdt.py is written for {ABI_VERSION}")
    return lib


_lib = _load_library()
_never_enabled = ctypes.c_uint32(0)  # what a closed provider's probes read


def abi_version():
    """The library's USDT_ABI_VERSION."""
    return _lib.usdt_abi_version()


def reclaim(directory=None):
    """Remove the provider files in directory (None: the default
    directories) that no live process has loaded; the number removed.
    From a shell: python3 usdt.py reclaim [DIRECTORY]."""
    error = _CError()
    removed = _lib.usdt_dir_reclaim(_encode(directory, "directory") if directory else None,
                                    ctypes.byref(error))
    if removed < 0:
        _raise(error)
    return removed


def _encode(name, what):
    """name as the C string the library gets: an embedded NUL would cut it
    short, so it is refused."""
    if "\0" in name:
        raise ValueError(f"{what} name {name!r} contains a NUL byte")
    return name.encode()


def _raise(error):
    code = error.code
    raise Error(code, error.message.decode(errors="replace") or os.strerror(code))


class Probe:
    """A probe of a Provider. enabled is True while a tracer is attached."""

    __slots__ = ("name", "types", "provider", "_handle", "_semaphore", "_argc")

    def __init__(self, provider, name, types, handle):
        self.provider, self.name, self.types = provider, name, types
        self._handle, self._argc = handle, len(types)
        self._point()

    def _point(self):
        """Read the semaphore where the library has it now (it moves when the
        provider is loaded)."""
        self._semaphore = ctypes.c_uint32.from_address(_lib.usdt_probe_semaphore(self._handle))

    @property
    def enabled(self):
        """True while a tracer is attached: reads the semaphore, no call."""
        return self._semaphore.value != 0

    def fire(self, *args):
        """Fire with args if a tracer is attached. True if it fired. The
        number of arguments is checked on every call, traced or not; the
        values are converted (and their types and ranges checked) only while
        traced."""
        if len(args) != self._argc:
            raise TypeError(f"probe {self.name} takes {self._argc} arguments "
                            f"({len(args)} given)")
        if not self._semaphore.value:
            return False
        keep = []  # the bytes whose addresses are passed, alive until the call returns
        values = (ctypes.c_uint64 * self._argc)(
            *[self._convert(i, value, keep) for i, value in enumerate(args)])
        fired = _lib.usdt_probe_fire(self._handle, self._argc, values)
        if fired < 0:
            raise Error(-fired, f"usdt_probe_fire on probe {self.name}: {os.strerror(-fired)}")
        return fired == 1

    def timer(self, *args):
        """A context manager timing its block, only while traced: on exit it
        fires (elapsed nanoseconds, *args) if the probe was enabled at entry
        and still is. The probe's first type should be an integer."""
        return _Timer(self, args)

    def _convert(self, i, value, keep):
        kind = self.types[i]
        if kind == STRING or (kind == POINTER and isinstance(value, (bytes, str))):
            if value is None:
                return 0
            if isinstance(value, str):
                value = value.encode()
            if not isinstance(value, bytes):
                raise TypeError(f"argument {i + 1} of probe {self.name} is a string: "
                                f"got {type(value).__name__}")
            keep.append(value)
            return ctypes.cast(ctypes.c_char_p(value), ctypes.c_void_p).value or 0
        if value is None and kind == POINTER:
            return 0
        if not isinstance(value, int):
            raise TypeError(f"argument {i + 1} of probe {self.name} is {_TYPE_NAMES[kind]}: "
                            f"got {type(value).__name__}")
        low, high = _RANGES[kind]
        if not low <= value <= high:
            raise OverflowError(f"argument {i + 1} of probe {self.name} is {_TYPE_NAMES[kind]}: "
                                f"{value} is out of range")
        return value & _MASK

    def __repr__(self):
        types = ", ".join(_TYPE_NAMES[t] for t in self.types)
        return f"<usdt.Probe {self.provider.name}:{self.name}({types})>"


class _Timer:
    __slots__ = ("probe", "args", "start")

    def __init__(self, probe, args):
        self.probe, self.args, self.start = probe, args, 0

    def __enter__(self):
        if self.probe.enabled:
            self.start = time.monotonic_ns()
        return self

    def __exit__(self, *exc):
        if self.start and self.probe.enabled:
            self.probe.fire(time.monotonic_ns() - self.start, *self.args)
        return False


class Provider:
    """A provider of probes whose names are known at run time. Add probes,
    then load it (or use it as a context manager: loaded inside the block)."""

    def __init__(self, name):
        self.name = name
        self.probes = {}
        self._lock = threading.Lock()
        error = _CError()
        self._handle = _lib.usdt_provider_create(_encode(name, "provider"), ctypes.byref(error))
        if not self._handle:
            _raise(error)

    def probe(self, name, *types):
        """Add a probe taking arguments of types (before the first load)."""
        codes = []
        for kind in types:
            code = _PYTHON_TYPES.get(kind, kind)
            if code not in _TYPE_NAMES:
                raise TypeError(f"probe {name}: unknown argument type {kind!r}")
            codes.append(code)
        with self._lock:
            handle = self._call_checked()
            error = _CError()
            array = (ctypes.c_int * max(len(codes), 1))(*codes)
            probe = _lib.usdt_probe_add(handle, _encode(name, "probe"), len(codes), array,
                                        ctypes.byref(error))
            if not probe:
                _raise(error)
            self.probes[name] = Probe(self, name, tuple(codes), probe)
            return self.probes[name]

    def load(self):
        """Make the probes visible to tracers, at path."""
        self._provider_call(_lib.usdt_provider_load)
        for probe in self.probes.values():
            probe._point()

    def unload(self):
        """Hide the probes; they read as disabled and fire nothing until the
        next load."""
        self._provider_call(_lib.usdt_provider_unload)

    @property
    def path(self):
        """While loaded, the path a tracer attaches to; else None."""
        with self._lock:  # the library's provider calls do not run concurrently
            path = _lib.usdt_provider_path(self._handle) if self._handle else None
        return path.decode() if path else None

    @property
    def loaded(self):
        return self.path is not None

    def close(self):
        """Unload if loaded and free the provider: after the last fire of its
        probes. Its probes then read as disabled and fire nothing."""
        with self._lock:
            if not self._handle:
                return
            for probe in self.probes.values():
                probe._semaphore = _never_enabled
            _lib.usdt_provider_destroy(self._handle)
            self._handle = None

    def __enter__(self):
        self.load()
        return self

    def __exit__(self, *exc):
        self.unload()
        return False

    def __del__(self):
        if getattr(self, "_handle", None) and _lib is not None:
            self.close()

    def _call_checked(self):
        if not self._handle:
            raise ValueError(f"provider {self.name} is closed")
        return self._handle

    def _provider_call(self, function):
        with self._lock:
            error = _CError()
            if function(self._call_checked(), ctypes.byref(error)) != 0:
                _raise(error)

    def __repr__(self):
        return f"<usdt.Provider {self.name} {self.path or 'not loaded'}>"


if __name__ == "__main__":
    import sys
    if len(sys.argv) not in (2, 3) or sys.argv[1] != "reclaim":
        sys.exit("usage: python3 usdt.py reclaim [DIRECTORY]")
    print(f"{reclaim(sys.argv[2] if len(sys.argv) == 3 else None)} files removed")
