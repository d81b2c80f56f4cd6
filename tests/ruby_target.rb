# A Ruby program using bindings/ruby/usdt.rb, driven by test_bindings.py
# under bpftrace, with the protocol of python_target.py:
#
#   ruby -I bindings/ruby ruby_target.rb trace
#
# prints "ready pid=N path=P", the semaphores before and once every probe is
# attached, waits for "go", fires values, counts, the latency helper, then
# unloads, reloads and waits for a tracer again.
require 'usdt'

$stdout.sync = true
TIMEOUT = 60

def wait_for(probes, enabled)
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + TIMEOUT
  until probes.all? { |p| p.enabled? == enabled }
    if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      puts "timeout waiting for enabled=#{enabled}"
      exit 1
    end
    sleep 0.005
  end
end

def semaphores(label, probes)
  puts "semaphores #{label}: #{probes.map { |p| p.enabled? ? 1 : 0 }.join(' ')}"
end

def attach(probes)
  semaphores('before', probes)
  wait_for(probes, true)
  semaphores('attached', probes)
  unless $stdin.gets == "go\n"
    puts 'no go from the test harness'
    exit 1
  end
end

def attempt(name)
  yield
  puts "#{name}=no exception"
rescue StandardError => e
  code = e.respond_to?(:errno) ? " errno=#{e.errno}" : ''
  puts "#{name}=#{e.class.name.split('::').last}#{code}: #{e.message}"
end

# What the wrapper raises, as "name=exception: message" lines.
def errors
  provider = USDT::Provider.new('rb_errors')
  probe = provider.tracepoint('small', :int8, :string)
  attempt('bad_name') { USDT::Provider.new('1bad') }
  attempt('nul_name') { USDT::Provider.new("ok\0../../etc/x") }
  attempt('nul_probe') { provider.tracepoint("ok\0x") }
  attempt('duplicate') { provider.tracepoint('small') }
  attempt('bad_type') { provider.tracepoint('other', Float) }
  attempt('unload_unloaded') { provider.unload }
  attempt('argc_untraced') { probe.fire(1) } # checked whether traced or not
  provider.load
  raised = FFI::MemoryPointer.new(:uint32) # a semaphore pair
  raised.put_uint16(0, 1)
  probe.instance_variable_set(:@semaphore, raised) # as if traced, to reach the checks
  attempt('overflow') { probe.fire(128, 'x') }
  attempt('underflow') { probe.fire(-129, 'x') }
  attempt('not_a_string') { probe.fire(1, 2) }
  attempt('not_an_int') { probe.fire('1', 'x') }
  attempt('argc') { probe.fire(1) }
  attempt('add_after_load') { provider.tracepoint('late') }
  provider.destroy
  puts "closed_enabled=#{probe.enabled? ? 1 : 0} closed_fire=#{probe.fire(1, 'x')}"
end

# Counts Process.clock_gettime calls while counting is set.
module ClockReads
  class << self
    attr_accessor :count, :counting
  end
  self.count = 0

  def clock_gettime(*args)
    ClockReads.count += 1 if ClockReads.counting
    super
  end
end
Process.singleton_class.prepend(ClockReads)

# The latency helper reads no clock while its tracepoint is disabled.
def untraced_latency(probe)
  ClockReads.counting = true
  result = probe.latency('untraced') { :block_value }
  ClockReads.counting = false
  puts "untraced_clock_reads=#{ClockReads.count} untraced_block_ran=#{result == :block_value}"
end

provider = USDT::Provider.new('rb_probes')
values = provider.tracepoint('values', :int64, :uint64, :int8, :uint8, String, TrueClass)
narrow = provider.tracepoint('narrow', :int32, :uint32, :int16, :uint16, :string)
counted = provider.tracepoint('counted', Integer)
latency = provider.tracepoint('latency', :uint64, String)
done = provider.tracepoint('done')
probes = [values, narrow, counted, latency, done]
errors
untraced_latency(latency)
provider.load
puts "ready pid=#{Process.pid} path=#{provider.path}"
attach(probes)
results = [
  values.fire(-2**63, 2**64 - 1, -128, 255, 'strïng', true),
  values.fire(2**63 - 1, 0, 127, 0, 'bytes'.b, false),
  narrow.fire(-2**31, 2**32 - 1, -2**15, 2**16 - 1, 'narrow'),
  narrow.fire(2**31 - 1, 0, 2**15 - 1, 0, '')
]
puts "values_fired=#{results.join(' ')}"
fired = (1..1000).count { |i| counted.fire(i) }
puts "fired=#{fired}"
latency.latency('timed') { sleep 0.002 }
done.fire
wait_for(probes, false)
semaphores('detached', probes)

provider.unload
puts "unloaded enabled=#{counted.enabled? ? 1 : 0} fired=#{counted.fire(1)} path=#{provider.path.inspect}"
provider.loaded do
  puts "reloaded path=#{provider.path}"
  attach([counted, done])
  reloaded = (1..500).count { |i| counted.fire(i) }
  puts "reloaded_fired=#{reloaded}"
  done.fire
  wait_for([counted, done], false)
end
provider.destroy
