# What a probe costs a Ruby program through bindings/ruby/usdt.rb; bench_python.py's twin.
#
#     ruby -I bindings/ruby bench_ruby.rb untraced ITERATIONS RUNS
#     ruby -I bindings/ruby bench_ruby.rb traced FIRES RUNS
#
# prints "ruby_CASE NS_PER_ITERATION" per loop run (empty, enabled, fire);
# traced, "ready pid=N path=P", waits for a tracer on P's bench_rb:fire and
# bench_rb:done, prints "ruby_traced NS_PER_FIRE" per run and "fired N".
require 'usdt'

$stdout.sync = true
mode = ARGV[0]
n = Integer(ARGV[1])
runs = Integer(ARGV[2])
provider = USDT::Provider.new('bench_rb')
probe = provider.tracepoint('fire', :uint64)
done = provider.tracepoint('done')
provider.load

loops = {
  'empty' => ->(count) { count.times { |i| i } },
  'enabled' => ->(count) { count.times { break if probe.enabled? } },
  'fire' => ->(count) { fired = 0; count.times { |i| fired += 1 if probe.fire(i) }; fired }
}

def ns_per_iteration(loop, count)
  start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
  result = loop.call(count)
  [(Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start).to_f / count, result]
end

if mode == 'untraced'
  runs.times do
    loops.each { |name, loop| puts format('ruby_%s %.2f', name, ns_per_iteration(loop, n)[0]) }
  end
else
  puts "ready pid=#{Process.pid} path=#{provider.path}"
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
  until probe.enabled? && done.enabled?
    abort 'bench_ruby.rb: no tracer attached within 30 s' if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
    sleep 0.01
  end
  sleep 0.5 # the semaphores rise a moment before the tracer's programs attach
  total = 0
  runs.times do
    ns, fired = ns_per_iteration(loops['fire'], n)
    total += fired
    puts format('ruby_traced %.1f', ns)
  end
  puts "fired #{total}"
  done.fire
end
provider.unload
provider.destroy
