// A Go program using bindings/go, driven by test_bindings.py under bpftrace;
// python_target.py's twin.
//
//	go_target trace    values, counts, the timer, errors, unload and reload
//	go_target threads  goroutines on their own OS threads firing while another unloads
//
// It prints "ready pid=N path=P", the semaphores before and once every probe
// is attached, waits for "go" on stdin, fires, prints what it fired and fires
// a done probe: the protocol of tests/target.h.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"usdt"
)

const timeout = 60 * time.Second

var stdin = bufio.NewReader(os.Stdin)

func say(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
}

func must[T any](value T, err error) T {
	if err != nil {
		say("error: %v", err)
		os.Exit(1)
	}
	return value
}

func check(err error) {
	must(0, err)
}

func waitFor(probes []*usdt.Probe, enabled bool) {
	deadline := time.Now().Add(timeout)
	for {
		all := true
		for _, p := range probes {
			all = all && p.Enabled() == enabled
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			say("timeout waiting for enabled=%v", enabled)
			os.Exit(1)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func semaphores(label string, probes []*usdt.Probe) {
	values := make([]string, len(probes))
	for i, p := range probes {
		values[i] = "0"
		if p.Enabled() {
			values[i] = "1"
		}
	}
	say("semaphores %s: %s", label, strings.Join(values, " "))
}

func attach(probes []*usdt.Probe) {
	semaphores("before", probes)
	waitFor(probes, true)
	semaphores("attached", probes)
	if line, _ := stdin.ReadString('\n'); line != "go\n" {
		say("no go from the test harness")
		os.Exit(1)
	}
}

// report prints each attempt's error as "name=KIND: message": Error errno=N
// for the library's, TypeError or RangeError for the arguments'.
func report(names []string, attempts map[string]func() error) {
	for _, name := range names {
		err := attempts[name]()
		var library *usdt.Error
		switch {
		case err == nil:
			say("%s=no exception", name)
		case errors.As(err, &library):
			say("%s=Error errno=%d: %s", name, int(library.Errno), library.Message)
		case errors.Is(err, usdt.ErrRange):
			say("%s=RangeError: %v", name, err)
		case errors.Is(err, usdt.ErrType), errors.Is(err, usdt.ErrArgCount):
			say("%s=TypeError: %v", name, err)
		default:
			say("%s=%T: %v", name, err, err)
		}
	}
}

func fire(p *usdt.Probe, args ...interface{}) bool {
	return must(p.Fire(args...))
}

func trace() {
	errs := must(usdt.NewProvider("go_errors"))
	errorProbe := must(errs.AddProbe("small", usdt.Int8, usdt.String))
	report([]string{"bad_name", "duplicate", "bad_type", "unload_unloaded", "argc_untraced"},
		map[string]func() error{
			"bad_name":        func() error { _, err := usdt.NewProvider("1bad"); return err },
			"duplicate":       func() error { _, err := errs.AddProbe("small"); return err },
			"bad_type":        func() error { _, err := errs.AddProbe("other", usdt.Type(99)); return err },
			"unload_unloaded": errs.Unload,
			"argc_untraced":   func() error { _, err := errorProbe.Fire(1); return err },
		})
	check(errs.Close())
	closedFire, _ := errorProbe.Fire(1, "x")
	say("closed_enabled=%d closed_fire=%v", map[bool]int{true: 1}[errorProbe.Enabled()], closedFire)

	provider := must(usdt.NewProvider("go_probes"))
	values := must(provider.AddProbe("values", usdt.Int64, usdt.Uint64, usdt.Int8, usdt.Uint8,
		usdt.String, usdt.Uint8))
	narrow := must(provider.AddProbe("narrow", usdt.Int32, usdt.Uint32, usdt.Int16,
		usdt.Uint16, usdt.String))
	counted := must(provider.AddProbe("counted", usdt.Int64))
	latency := must(provider.AddProbe("latency", usdt.Uint64, usdt.String))
	done := must(provider.AddProbe("done"))
	small := must(provider.AddProbe("small", usdt.Int8, usdt.String)) // traced: its checks run
	probes := []*usdt.Probe{values, narrow, counted, latency, done, small}
	say("untraced_clock_reads=%d untraced_block_ran=true", map[bool]int{true: 1}[latency.Timestamp() != 0])
	check(provider.Load())
	say("ready pid=%d path=%s", os.Getpid(), provider.Path())
	attach(probes)
	report([]string{"overflow", "underflow", "not_a_string", "not_an_int", "argc",
		"add_after_load"}, map[string]func() error{
		"overflow":       func() error { _, err := small.Fire(128, "x"); return err },
		"underflow":      func() error { _, err := small.Fire(int64(-129), "x"); return err },
		"not_a_string":   func() error { _, err := small.Fire(1, 2); return err },
		"not_an_int":     func() error { _, err := small.Fire("1", "x"); return err },
		"argc":           func() error { _, err := small.Fire(1); return err },
		"add_after_load": func() error { _, err := provider.AddProbe("late"); return err },
	})
	results := []bool{
		fire(values, int64(-1<<63), uint64(1<<64-1), int8(-128), uint8(255), "strïng", true),
		fire(values, int64(1<<63-1), 0, 127, 0, "bytes", false),
		fire(narrow, int32(-1<<31), uint32(1<<32-1), -1<<15, 1<<16-1, "narrow"),
		fire(narrow, 1<<31-1, 0, 1<<15-1, uint16(0), ""),
	}
	say("values_fired=%s", strings.Trim(fmt.Sprint(results), "[]"))
	fired := 0
	for i := 1; i <= 1000; i++ {
		if fire(counted, i) {
			fired++
		}
	}
	say("fired=%d", fired)
	start := latency.Timestamp()
	time.Sleep(2 * time.Millisecond)
	must(latency.FireElapsed(start, "timed"))
	fire(done)
	waitFor(probes, false)
	semaphores("detached", probes)

	check(provider.Unload())
	say("unloaded enabled=%d fired=%v path=%s", map[bool]int{true: 1}[counted.Enabled()],
		fire(counted, 1), provider.Path())
	check(provider.Load())
	say("reloaded path=%s", provider.Path())
	attach([]*usdt.Probe{counted, done})
	reloaded := 0
	for i := int64(1); i <= 500; i++ {
		if fire(counted, i) {
			reloaded++
		}
	}
	say("reloaded_fired=%d", reloaded)
	fire(done)
	waitFor([]*usdt.Probe{counted, done}, false)
	check(provider.Unload())
	check(provider.Close())
}

func threads() {
	provider := must(usdt.NewProvider("go_threads"))
	counted := must(provider.AddProbe("counted", usdt.Uint64))
	control := must(usdt.NewProvider("go_control"))
	done := must(control.AddProbe("done"))
	check(provider.Load())
	check(control.Load())
	say("ready pid=%d path=%s control=%s", os.Getpid(), provider.Path(), control.Path())
	attach([]*usdt.Probe{counted, done})

	const workers = 4
	var stop, unloaded atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	var calls, fired, late uint64
	tids := map[int]bool{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // each worker on its own OS thread
			defer runtime.UnlockOSThread()
			var c, f, l uint64
			for !stop.Load() {
				afterUnload := unloaded.Load()
				c++
				if fire(counted, c) {
					f++
					if afterUnload {
						l++
					}
				}
			}
			mu.Lock()
			calls, fired, late = calls+c, fired+f, late+l
			tids[syscall.Gettid()] = true
			mu.Unlock()
		}()
	}
	time.Sleep(300 * time.Millisecond) // the workers fire, traced
	check(provider.Unload())
	for i := 0; i < 20; i++ { // and keep firing through reloads
		check(provider.Load())
		check(provider.Unload())
	}
	unloaded.Store(true) // for good: no fire may be reported from here on
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	say("threads workers=%d calls=%d fired=%d late=%d tids=%d", workers, calls, fired, late,
		len(tids))
	fire(done)
	waitFor([]*usdt.Probe{done}, false)
	check(provider.Close())
	check(control.Close())
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "trace" {
		trace()
	} else {
		threads()
	}
}
