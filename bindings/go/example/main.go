// A request loop with USDT probes, traced with ../example.bt.
//
//	go run . [-count N]     (in bindings/go/example, after the kit's meson install)
//
// prints the bpftrace command to trace it, then serves requests for ever (or,
// with -count N, waits for a tracer, serves N requests and fires stop). Each
// request fires request(id, route) and done(elapsed ns, route); untraced,
// neither costs more than a memory read.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"usdt"
)

var routes = []string{"/", "/search", "/cart"}

func must[T any](value T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
	return value
}

func main() {
	count := flag.Int("count", -1, "wait for a tracer, serve COUNT requests, stop")
	flag.Parse()
	provider := must(usdt.NewProvider("goexample"))
	request := must(provider.AddProbe("request", usdt.Uint64, usdt.String))
	done := must(provider.AddProbe("done", usdt.Uint64, usdt.String))
	stop := must(provider.AddProbe("stop"))
	must(0, provider.Load())
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(filepath.Dir(file)), "example.bt")
	fmt.Printf("pid %d; trace with:\n  bpftrace %s %s\n", os.Getpid(), script, provider.Path())
	if *count >= 0 {
		deadline := time.Now().Add(60 * time.Second)
		for !(request.Enabled() && done.Enabled() && stop.Enabled()) {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "example: no tracer attached within 60 s")
				os.Exit(1)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // the semaphores rise a moment before the programs attach
	}
	served := 0
	for ; *count < 0 || served < *count; served++ {
		route := routes[served%len(routes)]
		must(request.Fire(served, route))
		start := done.Timestamp()                                           // 0, no clock read, untraced
		time.Sleep(time.Duration(rand.Int63n(int64(2 * time.Millisecond)))) // the work
		must(done.FireElapsed(start, route))
	}
	must(stop.Fire())
	fmt.Printf("served %d requests\n", served)
	must(0, provider.Close())
}
