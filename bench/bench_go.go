// What a probe costs a Go program through bindings/go; bench_python.py's twin.
//
//	bench_go untraced ITERATIONS RUNS
//	bench_go traced FIRES RUNS
//
// prints "go_CASE NS_PER_ITERATION" per loop run (empty, enabled, fire, and
// cgo: one call into C, usdt.ABIVersion, for scale) and "go_fire_allocs N",
// the heap allocations per untraced Fire; traced, "ready pid=N path=P",
// waits for a tracer on P's bench_go:fire and bench_go:done, prints
// "go_traced NS_PER_FIRE" per run and "fired N".
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"usdt"
)

var probe, done *usdt.Probe
var sink int

//go:noinline
func loopEmpty(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum += i
	}
	return sum
}

//go:noinline
func loopEnabled(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		if probe.Enabled() {
			sum++
		}
	}
	return sum
}

//go:noinline
func loopFire(n int) int {
	fired := 0
	for i := 0; i < n; i++ {
		if ok, _ := probe.Fire(uint64(i)); ok {
			fired++
		}
	}
	return fired
}

//go:noinline
func loopCgo(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum += usdt.ABIVersion()
	}
	return sum
}

func nsPerIteration(loop func(int) int, n int) (float64, int) {
	start := time.Now()
	result := loop(n)
	return float64(time.Since(start).Nanoseconds()) / float64(n), result
}

func mallocs() uint64 {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.Mallocs
}

func main() {
	mode := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	runs, _ := strconv.Atoi(os.Args[3])
	provider, err := usdt.NewProvider("bench_go")
	if err == nil {
		probe, err = provider.AddProbe("fire", usdt.Uint64)
	}
	if err == nil {
		done, err = provider.AddProbe("done")
	}
	if err == nil {
		err = provider.Load()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench_go:", err)
		os.Exit(1)
	}
	if mode == "untraced" {
		before := mallocs()
		sink += loopFire(n)
		fmt.Printf("go_fire_allocs %.2f\n", float64(mallocs()-before)/float64(n))
		for r := 0; r < runs; r++ {
			for _, c := range []struct {
				name string
				loop func(int) int
			}{{"empty", loopEmpty}, {"enabled", loopEnabled}, {"fire", loopFire},
				{"cgo", loopCgo}} {
				ns, result := nsPerIteration(c.loop, n)
				sink += result
				fmt.Printf("go_%s %.2f\n", c.name, ns)
			}
		}
	} else {
		fmt.Printf("ready pid=%d path=%s\n", os.Getpid(), provider.Path())
		deadline := time.Now().Add(30 * time.Second)
		for !(probe.Enabled() && done.Enabled()) {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "bench_go: no tracer attached within 30 s")
				os.Exit(1)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // the semaphores rise a moment before the programs attach
		total := 0
		for r := 0; r < runs; r++ {
			ns, fired := nsPerIteration(loopFire, n)
			total += fired
			fmt.Printf("go_traced %.1f\n", ns)
		}
		fmt.Printf("fired %d\n", total)
		done.Fire()
	}
	provider.Close()
}
