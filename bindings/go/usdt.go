// Package usdt gives Go programs USDT probes whose provider and probe names
// are known at run time, over the kit's shared library (libusdt), with cgo
// and the standard library only.
//
//	provider, err := usdt.NewProvider("myapp")          // a name from anywhere
//	request, err := provider.AddProbe("request", usdt.Int64, usdt.String)
//	done, err := provider.AddProbe("done", usdt.Uint64, usdt.String)
//	err = provider.Load()                                // visible to tracers
//	fmt.Println("bpftrace path:", provider.Path())
//	if request.Enabled() {                               // a memory read, no cgo call
//		request.Fire(id, describe(req))
//	}
//	request.Fire(42, "/")                                // (true, nil) if it fired
//	start := done.Timestamp()                            // 0, no clock read, untraced
//	serve()
//	done.FireElapsed(start, "/")                         // (elapsed ns, "/") if traced
//	provider.Unload()                                    // disabled no-ops until Load
//	provider.Close()                                     // after the last fire
//
// cgo finds the library with pkg-config (usdt-dynamic), so after the kit's
// `meson install` a module requiring this package (module path "usdt",
// e.g. with `replace usdt => /path/to/bindings/go`) builds with no other
// step.
//
// Fire takes Go integers of every width, bool, string (for String and
// Pointer arguments), uintptr, unsafe.Pointer and nil. It checks the number
// of arguments on every call; the values are converted, and their types and
// ranges checked, only while the probe is traced: a value out of its type's
// range returns an error wrapping ErrRange (never truncated), a wrong type
// ErrType. An untraced Fire makes no cgo call: Enabled reads the probe's
// semaphore where the library keeps it. The library's errors are *Error,
// carrying its errno and message.
//
// Fire, FireElapsed, Timestamp and Enabled are safe from any goroutine at any
// time, also while another loads or unloads the provider. Provider methods
// serialize themselves. Close frees the probes: call it after the last fire.
package usdt

/*
#cgo pkg-config: usdt-dynamic
#include <stdlib.h>
#include <usdt.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Type is an argument type of a probe.
type Type int

// The argument types (enum usdt_type).
const (
	Int8    Type = C.USDT_INT8
	Uint8   Type = C.USDT_UINT8
	Int16   Type = C.USDT_INT16
	Uint16  Type = C.USDT_UINT16
	Int32   Type = C.USDT_INT32
	Uint32  Type = C.USDT_UINT32
	Int64   Type = C.USDT_INT64
	Uint64  Type = C.USDT_UINT64
	Pointer Type = C.USDT_POINTER
	String  Type = C.USDT_STRING
)

// MaxArgs is the most arguments a probe takes.
const MaxArgs = C.USDT_MAX_ARGS

var typeNames = map[Type]string{Int8: "int8", Uint8: "uint8", Int16: "int16", Uint16: "uint16",
	Int32: "int32", Uint32: "uint32", Int64: "int64", Uint64: "uint64", Pointer: "pointer",
	String: "string"}

func (t Type) String() string {
	if name, ok := typeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Error is a failed call of the library: its errno and its message.
type Error struct {
	Errno   syscall.Errno
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the errno, for errors.Is(err, syscall.EINVAL).
func (e *Error) Unwrap() error { return e.Errno }

// Errors of the arguments given to Fire and AddProbe; the errors returned
// wrap them, with the probe and argument in the message.
var (
	ErrArgCount = errors.New("usdt: wrong number of arguments")
	ErrType     = errors.New("usdt: wrong argument type")
	ErrRange    = errors.New("usdt: argument out of range")
	ErrClosed   = errors.New("usdt: provider closed")
)

func libraryError(err *C.usdt_error) error {
	return &Error{Errno: syscall.Errno(err.code), Message: C.GoString(&err.message[0])}
}

// ABIVersion is the library's USDT_ABI_VERSION.
func ABIVersion() int { return int(C.usdt_abi_version()) }

// semaphore: a probe's pair of 16-bit semaphores (direct, batch) as the
// aligned 32-bit word the library keeps them in: nonzero while traced
// either way.
type semaphore struct {
	word *uint32
}

var neverEnabled = &semaphore{word: new(uint32)} // a closed provider's probes

// Probe is a probe of a Provider.
type Probe struct {
	sem      atomic.Pointer[semaphore]
	handle   *C.usdt_probe
	types    []Type
	name     string
	provider *Provider
}

// Provider is a provider of probes whose names are known at run time.
type Provider struct {
	mu     sync.Mutex
	handle *C.usdt_provider
	name   string
	probes []*Probe
}

// NewProvider makes a new, empty provider.
func NewProvider(name string) (*Provider, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("%w: provider name %q holds a NUL byte", ErrType, name)
	}
	var err C.usdt_error
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	handle := C.usdt_provider_create(cname, &err)
	if handle == nil {
		return nil, libraryError(&err)
	}
	return &Provider{handle: handle, name: name}, nil
}

// Name is the provider's name.
func (p *Provider) Name() string { return p.name }

// AddProbe adds a probe taking arguments of types (before the first Load).
func (p *Provider) AddProbe(name string, types ...Type) (*Probe, error) {
	if len(types) > MaxArgs {
		return nil, fmt.Errorf("%w: probe %s: %d argument types, at most %d", ErrArgCount,
			name, len(types), MaxArgs)
	}
	var ctypes [MaxArgs + 1]C.enum_usdt_type
	for i, t := range types {
		if _, ok := typeNames[t]; !ok {
			return nil, fmt.Errorf("%w: probe %s: unknown argument type %d", ErrType, name,
				int(t))
		}
		ctypes[i] = C.enum_usdt_type(t)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("%w: probe name %q holds a NUL byte", ErrType, name)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return nil, fmt.Errorf("%w: %s", ErrClosed, p.name)
	}
	var err C.usdt_error
	handle := C.usdt_probe_add(p.handle, cname, C.int(len(types)), &ctypes[0], &err)
	if handle == nil {
		return nil, libraryError(&err)
	}
	probe := &Probe{handle: handle, types: append([]Type(nil), types...), name: name,
		provider: p}
	probe.point()
	p.probes = append(p.probes, probe)
	return probe, nil
}

// Load makes the probes visible to tracers, at Path.
func (p *Provider) Load() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call(func(err *C.usdt_error) C.int { return C.usdt_provider_load(p.handle, err) }); err != nil {
		return err
	}
	for _, probe := range p.probes { // the semaphores move at the first load
		probe.point()
	}
	return nil
}

// Unload hides the probes; they read as disabled and fire nothing until the
// next Load.
func (p *Provider) Unload() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.call(func(err *C.usdt_error) C.int { return C.usdt_provider_unload(p.handle, err) })
}

func (p *Provider) call(f func(*C.usdt_error) C.int) error {
	if p.handle == nil {
		return fmt.Errorf("%w: %s", ErrClosed, p.name)
	}
	var err C.usdt_error
	if f(&err) != 0 {
		return libraryError(&err)
	}
	return nil
}

// Path is, while loaded, the path a tracer attaches to; else "".
func (p *Provider) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return ""
	}
	if path := C.usdt_provider_path(p.handle); path != nil {
		return C.GoString(path)
	}
	return ""
}

// Close unloads the provider if loaded and frees it: after the last fire of
// its probes, which then read as disabled and fire nothing.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return nil
	}
	for _, probe := range p.probes {
		probe.sem.Store(neverEnabled)
	}
	C.usdt_provider_destroy(p.handle)
	p.handle = nil
	return nil
}

// point reads the probe's semaphore where the library has it now.
func (probe *Probe) point() {
	probe.sem.Store(&semaphore{word: (*uint32)(unsafe.Pointer(C.usdt_probe_semaphore(probe.handle)))})
}

// Name is the probe's name.
func (probe *Probe) Name() string { return probe.name }

// Enabled is true while a tracer is attached: a memory read, no cgo call.
func (probe *Probe) Enabled() bool {
	s := probe.sem.Load()
	return atomic.LoadUint32(s.word) != 0
}

// Fire fires the probe with args if a tracer is attached: (true, nil) if it
// fired. The count is checked on every call, the values only while traced.
func (probe *Probe) Fire(args ...interface{}) (bool, error) {
	if len(args) != len(probe.types) {
		return false, probe.countError(len(args))
	}
	if !probe.Enabled() {
		return false, nil
	}
	return probe.fire(nil, args)
}

// Timestamp is a monotonic clock in nanoseconds if the probe is enabled,
// else 0 (no clock read): the start to give FireElapsed.
func (probe *Probe) Timestamp() uint64 {
	if !probe.Enabled() {
		return 0
	}
	return uint64(C.usdt_now_ns())
}

// FireElapsed fires (nanoseconds since start, args...) if start is not 0 and
// the probe is still enabled; the probe's first type should be an integer.
func (probe *Probe) FireElapsed(start uint64, args ...interface{}) (bool, error) {
	if len(args)+1 != len(probe.types) {
		return false, probe.countError(len(args) + 1)
	}
	if start == 0 || !probe.Enabled() {
		return false, nil
	}
	elapsed := uint64(C.usdt_now_ns()) - start
	return probe.fire(&elapsed, args)
}

func (probe *Probe) countError(given int) error {
	return fmt.Errorf("%w: probe %s takes %d arguments (%d given)", ErrArgCount, probe.name,
		len(probe.types), given)
}

func (probe *Probe) fire(first *uint64, args []interface{}) (bool, error) {
	var values [MaxArgs + 1]C.uint64_t
	var strings [MaxArgs]*C.char
	defer func() {
		for _, s := range strings {
			if s != nil {
				C.free(unsafe.Pointer(s))
			}
		}
	}()
	i := 0
	if first != nil {
		values[0], i = C.uint64_t(*first), 1
	}
	for _, arg := range args {
		v, err := probe.convert(i, arg, &strings[i])
		if err != nil {
			return false, err
		}
		values[i] = C.uint64_t(v)
		i++
	}
	fired := C.usdt_probe_fire(probe.handle, C.int(len(probe.types)), &values[0])
	if fired < 0 {
		return false, &Error{Errno: syscall.Errno(-fired),
			Message: fmt.Sprintf("usdt_probe_fire on probe %s: %v", probe.name,
				syscall.Errno(-fired))}
	}
	return fired == 1, nil
}

// fits: whether a value (s if negative, else u) fits in type t.
func fits(t Type, negative bool, s int64, u uint64) bool {
	switch t {
	case Int8:
		return negative && s >= -1<<7 || !negative && u < 1<<7
	case Uint8:
		return !negative && u < 1<<8
	case Int16:
		return negative && s >= -1<<15 || !negative && u < 1<<15
	case Uint16:
		return !negative && u < 1<<16
	case Int32:
		return negative && s >= -1<<31 || !negative && u < 1<<31
	case Uint32:
		return !negative && u < 1<<32
	case Int64:
		return negative || u < 1<<63
	}
	return !negative // Uint64, Pointer
}

// convert gives argument i as the probe's 64-bit value; a string is copied
// to C memory in *keep, freed by the caller.
func (probe *Probe) convert(i int, arg interface{}, keep **C.char) (uint64, error) {
	t := probe.types[i]
	var s int64
	var u uint64
	negative := false
	switch v := arg.(type) {
	case nil:
		if t == String || t == Pointer {
			return 0, nil
		}
		return 0, probe.argError(i, ErrType, "got nil")
	case string:
		if t != String && t != Pointer {
			return 0, probe.argError(i, ErrType, "got a string")
		}
		for j := 0; j < len(v); j++ {
			if v[j] == 0 {
				return 0, probe.argError(i, ErrType, "the string holds a NUL byte")
			}
		}
		*keep = C.CString(v)
		return uint64(uintptr(unsafe.Pointer(*keep))), nil
	case bool:
		if v {
			u = 1
		}
	case int:
		s = int64(v)
	case int8:
		s = int64(v)
	case int16:
		s = int64(v)
	case int32:
		s = int64(v)
	case int64:
		s = v
	case uint:
		u = uint64(v)
	case uint8:
		u = uint64(v)
	case uint16:
		u = uint64(v)
	case uint32:
		u = uint64(v)
	case uint64:
		u = v
	case uintptr:
		u = uint64(v)
	case unsafe.Pointer:
		if t != Pointer {
			return 0, probe.argError(i, ErrType, "got an unsafe.Pointer")
		}
		return uint64(uintptr(v)), nil
	default:
		// (no %T or reflect: arg would escape, and each Fire allocate)
		return 0, probe.argError(i, ErrType, "got a value of another type than integers, "+
			"bool, string, uintptr, unsafe.Pointer and nil")
	}
	if t == String {
		return 0, probe.argError(i, ErrType, "got a number or bool")
	}
	if s < 0 {
		negative = true
	} else if s > 0 {
		u = uint64(s)
	}
	if !fits(t, negative, s, u) {
		value := strconv.FormatUint(u, 10)
		if negative {
			value = strconv.FormatInt(s, 10)
		}
		return 0, probe.argError(i, ErrRange, value+" is out of range")
	}
	if negative {
		return uint64(s), nil
	}
	return u, nil
}

func (probe *Probe) argError(i int, kind error, what string) error {
	return fmt.Errorf("%w: argument %d of probe %s is %v: %s", kind, i+1, probe.name,
		probe.types[i], what)
}
