# A request loop with USDT tracepoints, traced with example.bt.
#
#   ruby -I bindings/ruby bindings/ruby/example.rb [--count N]
#
# prints the bpftrace command to trace it, then serves requests for ever (or,
# with --count N, waits for a tracer, serves N requests and fires `stop`).
# Each request fires request(id, route) and, through the latency helper,
# done(elapsed ns, route); untraced, neither costs more than a memory read.
require 'usdt'

ROUTES = ['/', '/search', '/cart'].freeze
count = ARGV[0] == '--count' ? Integer(ARGV[1]) : nil
$stdout.sync = true

provider = USDT::Provider.new('rbexample')
request = provider.tracepoint('request', :uint64, String)
done = provider.tracepoint('done', :uint64, String)
stop = provider.tracepoint('stop')

provider.loaded do
  puts "pid #{Process.pid}; trace with:\n  bpftrace #{File.join(__dir__, 'example.bt')} #{provider.path}"
  if count
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 60
    until request.enabled? && done.enabled? && stop.enabled?
      abort 'example.rb: no tracer attached within 60 s' if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      sleep 0.01
    end
    sleep 0.5 # the semaphores rise a moment before the programs attach
  end
  served = 0
  while count.nil? || served < count
    route = ROUTES[served % ROUTES.size]
    request.fire(served, route)
    done.latency(route) { sleep(rand * 0.002) } # the work
    served += 1
  end
  stop.fire
  puts "served #{served} requests"
end
provider.destroy
