# USDT tracepoints for Ruby programs, over the kit's shared library (libusdt)
# through the ffi gem (Debian: ruby-ffi). One file: put its directory on the
# load path (ruby -I bindings/ruby). It loads libusdt.so.0 (installed by
# `meson install`; set USDT_LIBRARY to a path to use another).
#
#   require 'usdt'
#
#   provider = USDT::Provider.new('myapp')                 # a name from anywhere
#   request  = provider.tracepoint('request', Integer, String)
#   done     = provider.tracepoint('done', :uint64, String)
#   provider.load                                          # or provider.loaded { ... }
#   puts "trace: #{provider.path}"
#
#   request.fire(req.id, req.path) if request.enabled?     # a memory read, no call
#   request.fire(42, '/index.html')                        # checks enabled? itself
#   done.latency('/index.html') { serve }                  # fires (elapsed ns, path);
#                                                          # the clock is read only if traced
#   provider.unload                                        # probes disabled, no-ops
#   provider.destroy                                       # after the last fire
#
# Then, as root: bpftrace -e 'usdt:PATH:myapp:request { printf("%ld %s\n", arg0, str(arg1)); }'
# with PATH the provider's path (bpftrace 0.17: without -p).
#
# Types: :int8 ... :uint64, :pointer, :string, or Integer (:int64), String
# (:string), TrueClass/FalseClass (:uint8). fire takes Integers, true/false,
# Strings and nil (a NULL pointer); every integer goes to the probe as 64
# bits, and one out of its declared type's range raises RangeError instead
# of being truncated. Library errors raise USDT::Error with its errno and
# message.
#
# Threads: fire and enabled? are safe from any thread at any time, also while
# another thread loads or unloads the provider. Provider methods serialize
# themselves. destroy frees the probes: call it after the last fire.

require 'ffi'

module USDT
  ABI_VERSION = 0 # the USDT_ABI_VERSION this file is written for
  MAX_ARGS = 12
  TYPES = %i[int8 uint8 int16 uint16 int32 uint32 int64 uint64 pointer string].freeze
  RUBY_TYPES = { Integer => :int64, String => :string, TrueClass => :uint8,
                 FalseClass => :uint8 }.freeze
  RANGES = {
    int8: -2**7..2**7 - 1, uint8: 0..2**8 - 1, int16: -2**15..2**15 - 1,
    uint16: 0..2**16 - 1, int32: -2**31..2**31 - 1, uint32: 0..2**32 - 1,
    int64: -2**63..2**63 - 1, uint64: 0..2**64 - 1, pointer: 0..2**64 - 1
  }.freeze
  MASK = 2**64 - 1

  # A failed call of the library: errno is its error code, message its sentence.
  class Error < StandardError
    attr_reader :errno

    def initialize(errno, message)
      @errno = errno
      super(message)
    end
  end

  # The library's functions.
  module Lib
    extend FFI::Library
    LIBRARY = ENV.fetch('USDT_LIBRARY', nil) || "libusdt.so.#{ABI_VERSION}"
    begin
      ffi_lib LIBRARY
    rescue LoadError => e
      raise LoadError, "usdt: cannot load #{LIBRARY} (install the kit with meson install, " \
                       "or set USDT_LIBRARY): #{e.message}"
    end

    # usdt_error
    class CError < FFI::Struct
      layout :code, :int, :message, [:char, 192]

      def raise_error
        raise Error.new(self[:code], self[:message].to_s)
      end
    end

    attach_function :usdt_abi_version, [], :int
    attach_function :usdt_provider_create, %i[string pointer], :pointer
    attach_function :usdt_probe_add, %i[pointer string int pointer pointer], :pointer
    attach_function :usdt_provider_load, %i[pointer pointer], :int
    attach_function :usdt_provider_unload, %i[pointer pointer], :int
    attach_function :usdt_provider_destroy, %i[pointer], :void
    attach_function :usdt_provider_path, %i[pointer], :string
    attach_function :usdt_probe_fire, %i[pointer int pointer], :int
    attach_function :usdt_probe_semaphore, %i[pointer], :pointer

    if usdt_abi_version != ABI_VERSION
      raise LoadError, "usdt: #{LIBRARY} has ABI version #{usdt_abi_version}; " \
                       "this usdt.rb is written for #{ABI_VERSION}"
    end
  end

  NEVER_ENABLED = FFI::MemoryPointer.new(:uint32) # what a destroyed provider's probes read

  def self.abi_version
    Lib.usdt_abi_version
  end

  # A tracepoint of a Provider: fire it, ask enabled?, time a block.
  class Tracepoint
    attr_reader :provider, :name, :types

    def initialize(provider, name, types, handle)
      @provider = provider
      @name = name
      @types = types
      @handle = handle
      point
    end

    # True while a tracer is attached: reads the semaphore, no call.
    def enabled?
      @semaphore.get_uint32(0) != 0
    end

    # Fire with args if a tracer is attached. True if it fired. The number of
    # arguments is checked on every call, traced or not; the values are
    # converted (and checked) only while traced.
    def fire(*args)
      if args.size != @types.size
        raise ArgumentError, "tracepoint #{@name} takes #{@types.size} arguments " \
                             "(#{args.size} given)"
      end
      return false if @semaphore.get_uint32(0).zero?
      keep = [] # the strings whose addresses are passed, alive until the call returns
      values = FFI::MemoryPointer.new(:uint64, [args.size, 1].max)
      values.put_array_of_uint64(0, args.each_with_index.map { |value, i| convert(i, value, keep) })
      fired = Lib.usdt_probe_fire(@handle, args.size, values)
      raise Error.new(-fired, "usdt_probe_fire on tracepoint #{@name} failed") if fired.negative?

      fired == 1
    end

    # Run the block; if the tracepoint was enabled when it started and still
    # is, fire (elapsed nanoseconds, *args). The clock is read only then.
    # Returns the block's value.
    def latency(*args)
      return yield unless enabled?

      start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
      result = yield
      fire(Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start, *args)
      result
    end

    def inspect
      "#<USDT::Tracepoint #{@provider.name}:#{@name}(#{@types.join(', ')})>"
    end

    # Read the semaphore where the library has it now (it moves at a load).
    def point
      @semaphore = Lib.usdt_probe_semaphore(@handle)
    end

    # The provider was destroyed: read as disabled from now on.
    def forget
      @semaphore = NEVER_ENABLED
    end

    private

    def convert(i, value, keep)
      type = @types[i]
      return 0 if value.nil? && %i[string pointer].include?(type)

      if type == :string
        raise TypeError, "argument #{i + 1} of tracepoint #{@name} is a string, not #{value.class}" \
          unless value.is_a?(String)

        keep << FFI::MemoryPointer.from_string(value)
        return keep.last.address
      end
      value = 1 if value == true
      value = 0 if value == false
      unless value.is_a?(Integer)
        raise TypeError, "argument #{i + 1} of tracepoint #{@name} is #{type}, not #{value.class}"
      end
      unless RANGES[type].cover?(value)
        raise RangeError, "argument #{i + 1} of tracepoint #{@name} is #{type}: " \
                          "#{value} is out of range"
      end
      value & MASK
    end
  end

  # A provider of tracepoints whose names are known at run time. Add
  # tracepoints, then load it (or run a block with it loaded).
  class Provider
    attr_reader :name, :tracepoints

    def initialize(name)
      @name = name
      @tracepoints = {}
      @lock = Mutex.new
      error = Lib::CError.new
      @handle = Lib.usdt_provider_create(name, error)
      error.raise_error if @handle.null?
    end

    # Add a tracepoint taking arguments of types (before the first load).
    def tracepoint(name, *types)
      codes = types.map do |type|
        code = RUBY_TYPES.fetch(type, type)
        raise ArgumentError, "tracepoint #{name}: unknown argument type #{type.inspect}" \
          unless TYPES.include?(code)

        code
      end
      @lock.synchronize do
        array = FFI::MemoryPointer.new(:int, [codes.size, 1].max)
        array.put_array_of_int(0, codes.map { |code| TYPES.index(code) + 1 })
        error = Lib::CError.new
        handle = Lib.usdt_probe_add(live_handle, name, codes.size, array, error)
        error.raise_error if handle.null?
        @tracepoints[name] = Tracepoint.new(self, name, codes, handle)
      end
    end

    # Make the tracepoints visible to tracers, at path.
    def load
      call(:usdt_provider_load)
      @tracepoints.each_value(&:point)
      self
    end

    # Hide them: they read as disabled and fire nothing until the next load.
    def unload
      call(:usdt_provider_unload)
      self
    end

    # Load, run the block, unload.
    def loaded
      load
      begin
        yield self
      ensure
        unload
      end
    end

    # While loaded, the path a tracer attaches to; else nil.
    def path
      @handle && Lib.usdt_provider_path(@handle)
    end

    def loaded?
      !path.nil?
    end

    # Unload if loaded and free the provider, after the last fire.
    def destroy
      @lock.synchronize do
        return unless @handle

        @tracepoints.each_value(&:forget)
        Lib.usdt_provider_destroy(@handle)
        @handle = nil
      end
    end

    def inspect
      "#<USDT::Provider #{@name} #{path || 'not loaded'}>"
    end

    private

    def live_handle
      raise ArgumentError, "provider #{@name} is destroyed" unless @handle

      @handle
    end

    def call(function)
      @lock.synchronize do
        error = Lib::CError.new
        error.raise_error if Lib.send(function, live_handle, error) != 0
      end
    end
  end
end
