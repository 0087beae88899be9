# SPDX-License-Identifier: MIT
# test_fdpass.rb - tests of the Ruby extension: every function, objects
# with #fileno as descriptors, FDPass::Error, and a round trip with a
# forked process over a path socket. Every test counts this process's
# open descriptors before and after.
#
# Usage: ruby -I DIR test_fdpass.rb, where DIR holds fdpass.so (or with
# the gem installed).
require 'fileutils'
require 'minitest/autorun'
require 'fdpass'
require 'pathname'
require 'socket'
require 'timeout'
require 'tmpdir'

class FDPassTest < Minitest::Test
  ERROR_NAMES = %w[EINVAL EBADF ENOTSOCK ENOTSUP EAGAIN ETIMEDOUT ECLOSED
                   ENOFD ETRUNC EMFILE ENOMEM EACCES ENOENT EADDRINUSE ESYS
                   ECONNREFUSED ENAMETOOLONG EPROTO ENONAME ENOTCONN
                   EREFUSED].freeze

  def count_fds
    Dir.children('/proc/self/fd').size
  end

  # No test waits forever, on a loaded machine either: one that has not
  # ended in a minute fails, naming itself, and the suite goes on.
  TEST_SECONDS = 60

  def run
    Timeout.timeout(TEST_SECONDS, Minitest::Assertion,
                    "#{name} did not end in #{TEST_SECONDS} s") { super }
  end

  # Wait, in steps of Thread.pass, until the block is true; fails after
  # 30 s with what it waited for.
  def wait_until(what)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    until yield
      flunk "#{what}: not after 30 s" if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      Thread.pass
    end
  end

  # A test that cannot run here is named on a [SKIP] line, as the C
  # suites do (scripts/test counts them), never passed. Without FDPASS, the
  # store's tests cannot run: the suite then exits 77, skipped for CTest.
  NO_HOLDER = 'the store needs FDPASS, the fdpass command'
  OUTCOME = { failed: false, incomplete: false }
  Minitest.after_run { exit 77 if OUTCOME[:incomplete] && !OUTCOME[:failed] }

  def after_teardown
    super
    OUTCOME[:failed] ||= failure && !skipped?
    return unless skipped?

    # After the progress dots, on a line of its own.
    puts "\n[SKIP] ruby::#{name.delete_prefix('test_')}: #{failure.message}"
    OUTCOME[:incomplete] ||= failure.message == NO_HOLDER
  end

  def setup
    GC.start # descriptors of earlier garbage are closed now, not later
    @fds_before = count_fds
    @dir = Dir.mktmpdir('fdpass-ruby')
  end

  def teardown
    FileUtils.remove_entry(@dir)
    assert_equal @fds_before, count_fds, 'descriptors before and after'
  end

  # The FDPass::Error the block raises, checked against `name`.
  def assert_fdpass_error(name, &block)
    error = assert_raises(FDPass::Error, &block)
    assert_equal name, error.name
    assert_equal FDPass.const_get(name), error.code
    assert_equal FDPass.strerror(error.code), error.message
    error
  end

  def with_pair
    a, b = FDPass.socketpair
    yield a, b
  ensure
    FDPass.close(a) if a
    FDPass.close(b) if b
  end

  def test_version_and_constants
    assert_equal FDPass::VERSION_MAJOR * 10_000 + FDPass::VERSION_MINOR * 100 +
                 FDPass::VERSION_PATCH, FDPass.version
    assert_equal [FDPass::VERSION_MAJOR, FDPass::VERSION_MINOR,
                  FDPass::VERSION_PATCH].join('.'), FDPass.version_string
    ERROR_NAMES.each_with_index do |name, i|
      assert_equal(-(i + 1), FDPass.const_get(name))
      assert_equal name, FDPass.errname(FDPass.const_get(name))
    end
    assert_equal 0, FDPass::OK
    %i[NONBLOCK NOCLOEXEC READABLE WRITABLE MAX_FDS].each do |flag|
      assert_kind_of Integer, FDPass.const_get(flag)
    end
    assert_kind_of Integer, FDPass.os_error
  end

  def test_send_is_not_shadowed
    assert_equal Kernel, FDPass.method(:send).owner
    assert_equal '1.0.0'.class, FDPass.send(:version_string).class
  end

  def test_send_fd_and_recv_fd_with_a_pipe
    with_pair do |a, b|
      r, w = IO.pipe
      assert_nil FDPass.send_fd(a, w)
      fd = FDPass.recv_fd(b)
      assert_kind_of Integer, fd
      refute_equal w.fileno, fd
      copy = IO.for_fd(fd)
      copy.write('through the copy')
      copy.close
      w.close
      assert_equal 'through the copy', r.read
      r.close
    end
  end

  def test_native_sockets_files_and_fileno_objects
    a, b = UNIXSocket.pair
    path = File.join(@dir, 'file.txt')
    File.open(path, 'w') do |file|
      FDPass.send_fd(a, file)
      fileno_object = Struct.new(:fileno).new(file.fileno)
      FDPass.send_fd(a, fileno_object)
      2.times do
        copy = IO.for_fd(FDPass.recv_fd(b))
        copy.write('x')
        copy.close
      end
    end
    assert_equal 'xx', File.read(path)
    a.close
    b.close
  end

  def test_send_fds_and_recv_fds
    with_pair do |a, b|
      r1, w1 = IO.pipe
      r2, w2 = IO.pipe
      assert_equal 10, FDPass.send_fds(a, "batch\0data", [w1, w2.fileno])
      data, fds, truncated = FDPass.recv_fds(b)
      assert_equal "batch\0data".b, data
      assert_equal Encoding::BINARY, data.encoding
      assert_equal 2, fds.size
      refute truncated
      fds.each_with_index do |fd, i|
        copy = IO.for_fd(fd)
        assert copy.close_on_exec?
        copy.write("pipe #{i}")
        copy.close
      end
      [w1, w2].each(&:close)
      assert_equal 'pipe 0', r1.read
      assert_equal 'pipe 1', r2.read
      [r1, r2].each(&:close)

      FDPass.send_fds(a, 'x', [a])
      _, fds = FDPass.recv_fds(b, 1, 1, FDPass::NOCLOEXEC)
      copy = IO.for_fd(fds[0])
      refute copy.close_on_exec?
      copy.close
      assert_equal 14, FDPass.send_fds(a, 'no descriptors')
      assert_equal ['no', [], false], FDPass.recv_fds(b, 2, 0)
      data, = FDPass.recv_fds(b, nil, nil, FDPass::NONBLOCK)
      assert_equal ' descriptors', data
      assert_fdpass_error('EAGAIN') { FDPass.recv_fds(b, nil, nil, FDPass::NONBLOCK) }
    end
  end

  def test_recv_fds_reports_truncation_and_closes_the_surplus
    with_pair do |a, b|
      r, w = IO.pipe
      FDPass.send_fds(a, 'three', [w, w, w])
      before = count_fds
      data, fds, truncated = FDPass.recv_fds(b, 16, 1)
      assert_equal ['three', 1, true], [data, fds.size, truncated]
      assert_equal before + 1, count_fds
      FDPass.close(fds[0])
      r.close
      w.close
    end
  end

  def test_failures_raise_fdpass_error
    assert_operator FDPass::Error, :<, StandardError
    a, b = FDPass.socketpair
    begin
      assert_fdpass_error('EBADF') { FDPass.send_fd(a, 9999) }
      assert_fdpass_error('EBADF') { FDPass.close(-1) }
      assert_fdpass_error('EBADF') { FDPass.recv_fd(-1) }
      assert_fdpass_error('EINVAL') { FDPass.send_fds(a, '', [a]) }
      assert_fdpass_error('EINVAL') { FDPass.recv_fds(b, 0) }
      assert_fdpass_error('EINVAL') { FDPass.send_fds(a, 'x', [], 64) }
      assert_fdpass_error('EINVAL') { FDPass.send_fds(a, 'x', [a] * (FDPass::MAX_FDS + 1)) }
      assert_fdpass_error('ETIMEDOUT') { FDPass.wait(b, FDPass::READABLE, 0) }
      File.open(File.join(@dir, 'plain'), 'w') do |file|
        assert_fdpass_error('ENOTSOCK') { FDPass.send_fd(file, a) }
      end
    ensure
      FDPass.close(b)
    end
    assert_fdpass_error('ECLOSED') { FDPass.send_fd(a, a) }
    FDPass.close(a)
  end

  def test_wrong_types_are_ruby_errors
    with_pair do |a, b|
      assert_raises(TypeError) { FDPass.send_fd(a, {}) }
      assert_raises(TypeError) { FDPass.send_fd('3', a) }
      assert_raises(TypeError) { FDPass.send_fd(a, 1.5) }
      assert_raises(TypeError) { FDPass.recv_fds(b, 1.5) }
      assert_raises(TypeError) { FDPass.recv_fds(b, 16, 1.5) }
      assert_raises(TypeError) { FDPass.wait(a, 1.0, 0) }
      assert_raises(TypeError) { FDPass.recv_fd(b, 1.0) }
      r, w = IO.pipe
      assert_raises(TypeError) { FDPass.close(w) } # IO#close closes an IO
      w.close
      r.close
      assert_raises(TypeError) { FDPass.send_fd(a, Struct.new(:fileno).new(nil)) }
      assert_raises(RangeError) { FDPass.send_fd(a, 2**40) }
      assert_raises(ArgumentError) { FDPass.recv_fd }
      messages = [
        -> { FDPass.recv_fd }, -> { FDPass.wait(a, 1) }, -> { FDPass.socketpair(1) },
        -> { FDPass.send_fd(a, 2**40) }, -> { FDPass.send_fd(a, 2**70) },
        -> { FDPass.recv_fds(b, 'x') }, -> { FDPass.send_fds(a, 'x', 5) },
        -> { FDPass.send_fds(a, 5) }, -> { FDPass.wait(a, nil, 0) }
      ].map { |call| assert_raises(ArgumentError, TypeError, RangeError, &call).message }
      assert_equal ['wrong number of arguments (given 0, expected 1..2)',
                    'wrong number of arguments (given 2, expected 3)',
                    'wrong number of arguments (given 1, expected 0)'], messages[0, 3]
      messages.each { |message| refute_match(/\b(int|long|size_t|char)\b|for \d/, message) }
      assert_raises(TypeError) { FDPass.send_fds(a, 'x', [a, true]) }
      assert_raises(TypeError) { FDPass.send_fds(a, 'x', 5) }
      assert_raises(TypeError) { FDPass.send_fds(a, [], []) }
      assert_raises(ArgumentError) { FDPass.recv_fds(b, -1) }
      assert_raises(TypeError) { FDPass.wait(a, 'readable', 0) }
      assert_raises(TypeError) { FDPass.connect(nil) }
      error = assert_raises(ArgumentError) { FDPass.connect("a\0b") }
      assert_match(/null byte/, error.message)
      w.close
      assert_raises(IOError) { FDPass.send_fd(a, w) }
      assert_raises(IOError) { FDPass.send_fds(a, 'x', [w]) }
      r.close
    end
  end

  # An IO's buffered output goes before the descriptor; an IO with input
  # in its buffer (gets read past its line, into the byte that carried a
  # descriptor) refuses a receive.
  def test_buffered_ios
    a, b = UNIXSocket.pair
    a.sync = false
    a.write('header')
    FDPass.send_fd(a, $stdin)
    data, fds = FDPass.recv_fds(b.fileno) # the kernel reads up to them
    fds.each { |fd| FDPass.close(fd) }
    assert_equal ["header\0".b, 1], [data, fds.size]
    FDPass.send_fds(a, "line\n")
    FDPass.send_fd(a, $stdin)
    sleep 0.01 # both in the kernel before gets reads
    assert_equal "line\n", b.gets
    assert_fdpass_error('EINVAL') { FDPass.recv_fd(b, FDPass::NONBLOCK) }
    assert_fdpass_error('EINVAL') { FDPass.recv_fds(b, nil, nil, FDPass::NONBLOCK) }
  ensure
    a&.close
    b&.close
  end

  # FDPass::Error is a SystemCallError: rescue Errno::EBADF catches it,
  # #errno is the OS error; EAGAIN is IO::WaitReadable or
  # IO::WaitWritable, as Ruby's own *_nonblock calls raise it.
  def test_errors_are_system_call_errors
    with_pair do |a, b|
      error = assert_raises(Errno::EBADF) { FDPass.send_fd(-1, a) }
      assert_kind_of FDPass::Error, error
      assert_kind_of SystemCallError, error
      assert_equal [Errno::EBADF::Errno, 'EBADF', 'bad file descriptor'],
                   [error.errno, error.name, error.message]
      assert_raises(IO::WaitReadable) { FDPass.recv_fd(b, FDPass::NONBLOCK) }
      assert_raises(Errno::EAGAIN) { FDPass.recv_fds(b, nil, nil, FDPass::NONBLOCK) }
      refute_kind_of IO::WaitReadable, assert_raises(FDPass::Error) { FDPass.wait(b, 9, 0) }
      full = assert_raises(IO::WaitWritable) do
        loop { FDPass.send_fds(a, 'x' * 65_536, nil, FDPass::NONBLOCK) }
      end
      assert_equal 'EAGAIN', full.name
    end
  end

  # Flags as keywords: nonblock: true, cloexec: false.
  def test_flags_as_keywords
    with_pair do |a, b|
      assert_raises(IO::WaitReadable) { FDPass.recv_fd(b, nonblock: true) }
      assert_raises(IO::WaitReadable) { FDPass.recv_fds(b, nonblock: true) }
      FDPass.send_fd(a, a, nonblock: true)
      fd = FDPass.recv_fd(b, cloexec: false)
      refute IO.for_fd(fd, autoclose: false).close_on_exec?
      FDPass.close(fd)
      assert_equal 1, FDPass.send_fds(a, 'x', nil, nonblock: true)
      assert_equal 1, FDPass.send_fds(a, 'y', nonblock: true)
      assert_equal 'xy', FDPass.recv_fds(b, 2, nonblock: true).first
      assert_raises(ArgumentError) { FDPass.recv_fd(b, nonbloc: true) }
    end
  end

  # The module is frozen: a constant cannot be reassigned.
  def test_constants_are_frozen
    assert_raises(FrozenError) { FDPass.const_set(:EBADF, 7) }
    assert_raises(FrozenError) { FDPass.const_set(:NEW, 7) }
    assert_equal(-2, FDPass::EBADF)
  end

  def test_wait
    with_pair do |a, b|
      assert_nil FDPass.wait(a, FDPass::WRITABLE, 0)
      assert_fdpass_error('ETIMEDOUT') { FDPass.wait(b, FDPass::READABLE, 10) }
      FDPass.send_fd(a, a)
      assert_nil FDPass.wait(b, FDPass::READABLE | FDPass::WRITABLE, -1)
      FDPass.close(FDPass.recv_fd(b))
      assert_fdpass_error('EINVAL') { FDPass.wait(b, 0, 0) }
    end
  end

  def test_listen_connect_accept_peer_credentials
    path = File.join(@dir, 'local.sock')
    listener = FDPass.listen(path)
    assert_fdpass_error('EADDRINUSE') { FDPass.listen(path) }
    client = FDPass.connect(path)
    server = FDPass.accept(listener)
    assert_equal [Process.pid, Process.uid, Process.gid],
                 FDPass.peer_credentials(server)
    [listener, client, server].each { |fd| FDPass.close(fd) }
    File.unlink(path)
    assert_fdpass_error('ENOENT') { FDPass.connect(path) }
    assert_fdpass_error('ENOENT') { FDPass.listen(File.join(@dir, 'no/dir.sock')) }
    assert_fdpass_error('EBADF') { FDPass.close(listener) }
    with_pair do |a, _|
      assert_fdpass_error('EINVAL') { FDPass.accept(a) } # not listening: no wait
    end
  end

  def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

  # Whether `thread` waits in accept(2) itself (x86_64's numbers).
  def in_accept?(thread)
    [43, 288].include?(File.read("/proc/self/task/#{thread.native_thread_id}/syscall").to_i)
  rescue Errno::ENOENT, Errno::ESRCH
    false
  end

  # Another process accepts on the same listener: when it takes the
  # connection between our poll and our accept(2), the accept blocks;
  # Thread#kill ends it there, and the next connection is not taken and
  # lost. The race is provoked for up to 10 s, skipped if it never came.
  def test_accept_after_another_process_took_the_connection
    skip 'the syscall numbers are x86_64\'s' unless RUBY_PLATFORM.start_with?('x86_64')
    path = File.join(@dir, 'shared.sock')
    listener = FDPass.listen(path)
    took_r, took_w = IO.pipe
    taker = fork do
      took_r.close
      loop do
        FDPass.close(FDPass.accept(listener))
        took_w.write('.')
      end
    end
    took_w.close
    acceptor = nil
    deadline = now + 10
    until (hit ||= false) || now > deadline
      acceptor ||= blocked_thread { FDPass.accept(listener) }
      UNIXSocket.new(path).close
      wait_until('the connection is accepted') do
        !acceptor.alive? || IO.select([took_r], nil, nil, 0)
      end
      if acceptor.alive?
        took_r.read(1)
        sleep 0.005 # back in its wait, or blocked in accept(2)
        hit = in_accept?(acceptor)
      else
        FDPass.close(acceptor.value) # ours won
        acceptor = nil
      end
    end
    skip 'the other process never took a connection between poll and accept in 10 s' unless hit
    acceptor.kill
    refute_nil acceptor.join(5), 'Thread#kill ends an accept blocked in accept(2)'
    UNIXSocket.new(path).close
    assert IO.select([took_r], nil, nil, 10), 'the next connection went to the other process'
  ensure
    if taker
      Process.kill('KILL', taker)
      Process.wait(taker)
    end
    took_r&.close
    FDPass.close(listener) if listener
  end

  # socketpair, listen, accept and connect as Ruby's own objects.
  def test_unix_socket_variants
    a, b = FDPass.socketpair_io
    assert_kind_of UNIXSocket, a
    assert_kind_of UNIXSocket, b
    FDPass.send_fd(a, $stdin)
    FDPass.close(FDPass.recv_fd(b))
    path = File.join(@dir, 'io.sock')
    server = FDPass.listen_io(path)
    assert_kind_of UNIXServer, server
    client = FDPass.connect_io(path)
    conn = FDPass.accept_io(server)
    assert_equal [UNIXSocket, UNIXSocket], [client.class, conn.class]
    client.write('through')
    assert_equal 'through', conn.read(7)
    assert_raises(Errno::ENOENT) { FDPass.connect_io(File.join(@dir, 'none')) }
  ensure
    [a, b, server, client, conn].compact.each(&:close)
  end

  def test_listen_mode
    path = File.join(@dir, 'mode.sock')
    listener = FDPass.listen_mode(path, 0o660)
    assert_equal 0o660, File.stat(path).mode & 0o7777
    FDPass.close(listener)
    File.unlink(path)
    assert_fdpass_error('EINVAL') { FDPass.listen_mode(path, 0o1777) }
  end

  # A thread blocked in recv_fd, waiting as Ruby's own IO waits: `sleep`.
  def blocked_thread(&block)
    thread = Thread.new(&block)
    thread.report_on_exception = false
    wait_until('the thread blocks') { thread.stop? || !thread.alive? }
    thread
  end

  # This thread runs while another is blocked.
  def assert_other_threads_run
    counted = 0
    1000.times { counted += 1; Thread.pass }
    assert_equal 1000, counted
  end

  # A thread blocked in the block without the VM lock, while this one runs.
  def blocked_without_the_lock(&block)
    thread = blocked_thread(&block)
    assert_equal 'sleep', thread.status
    assert_other_threads_run
    thread
  end

  def test_a_blocked_call_lets_other_threads_run
    with_pair do |a, b|
      receiver = blocked_without_the_lock { FDPass.recv_fd(b) }
      FDPass.send_fd(a, a)
      FDPass.close(receiver.value)
      waiter = blocked_thread { FDPass.wait(b, FDPass::READABLE, -1) }
      assert_equal 'sleep', waiter.status
      FDPass.send_fd(a, a)
      assert_nil waiter.value
      FDPass.close(FDPass.recv_fd(b))
    end
  end

  def test_blocked_calls_are_interruptible
    path = File.join(@dir, 'accept.sock')
    listener = FDPass.listen(path)
    with_pair do |_, b|
      assert_raises(Timeout::Error) { Timeout.timeout(0.05) { FDPass.recv_fd(b) } }
      assert_raises(Timeout::Error) { Timeout.timeout(0.05) { FDPass.recv_fds(b) } }
      assert_raises(Timeout::Error) { Timeout.timeout(0.05) { FDPass.recv_io(b) } }
      assert_raises(Timeout::Error) { Timeout.timeout(0.05) { FDPass.accept(listener) } }
      assert_raises(Timeout::Error) do
        Timeout.timeout(0.05) { FDPass.wait(b, FDPass::READABLE, -1) }
      end
      raised = blocked_thread { FDPass.recv_fd(b) }
      raised.raise(RuntimeError, 'raised into the thread')
      assert_equal 'raised into the thread', assert_raises(RuntimeError) { raised.join }.message
      killed = blocked_thread { FDPass.recv_fds(b) }
      killed.kill.join
      refute killed.alive?
    end
    FDPass.close(listener)
  end

  def test_a_full_socket_blocks_send_until_read_and_send_fds_sends_everything
    with_pair do |a, b|
      assert_fdpass_error('EAGAIN') { FDPass.recv_fd(b, FDPass::NONBLOCK) }
      r, w = IO.pipe
      sent = 0
      loop do
        FDPass.send_fd(a, w, FDPass::NONBLOCK)
        sent += 1
      rescue FDPass::Error => e
        assert_equal 'EAGAIN', e.name
        break
      end
      sender = blocked_thread { FDPass.send_fd(a, w) }
      assert_equal 'sleep', sender.status
      sent.times { FDPass.close(FDPass.recv_fd(b)) }
      assert_nil sender.value
      FDPass.close(FDPass.recv_fd(b))
      big = 'x' * (4 << 20)
      writer = Thread.new { FDPass.send_fds(a, big, [w]) }
      data, fds = FDPass.recv_fds(b, big.size)
      fds.each { |fd| FDPass.close(fd) }
      data << FDPass.recv_fds(b, big.size)[0] while data.size < big.size
      assert_equal big.size, writer.value
      assert_equal big, data
      r.close
      w.close
    end
  end

  # A second Ruby runs `setup`, then blocks in `call` and prints the class
  # of what ends it: SIGINT and SIGTERM end it as they end a blocked
  # IO#read. The block sees the child's lines (`line`) until it blocks.
  def assert_signals_end(setup, call)
    code = <<~RUBY
      require 'fdpass'
      $stdout.sync = true
      #{setup}
      begin
        #{call}
      rescue Exception => e
        puts e.class.name
        raise
      end
    RUBY
    { 'INT' => 'Interrupt', 'TERM' => 'SignalException' }.each do |signal, exception|
      IO.popen([RbConfig.ruby, '-e', code], err: File::NULL) do |child|
        line = lambda do |what|
          flunk "#{what}: nothing from the child in 10 s" unless IO.select([child], nil, nil, 10)
          (child.gets || flunk("#{what}: the child ended")).chomp
        end
        yield child, line
        Process.kill(signal, child.pid)
        assert_equal exception, line.call("after SIG#{signal}")
      rescue Minitest::Assertion
        Process.kill('KILL', child.pid) # a child that hangs ends here
        raise
      end
      assert_equal Signal.list[signal], $?.termsig
    end
  end

  # recv_fd on a socket nobody writes to.
  def test_signals_end_a_blocked_call
    assert_signals_end("a, b = FDPass.socketpair\nputs 'blocking'",
                       'FDPass.recv_fd(b)') do |child, line|
      assert_equal 'blocking', line.call('the child starts')
      wait_until('the child waits in the kernel') do
        File.read("/proc/#{child.pid}/stat")[/\) (\w)/, 1] == 'S'
      end
    end
  end

  # A scheduler whose io_wait records what it is asked, then waits.
  class RecordingScheduler
    attr_reader :waits

    def initialize
      @waits = Queue.new
    end

    def io_wait(io, events, timeout)
      @waits << [io.fileno, events]
      IO.select([io], nil, nil, timeout) && events
    end

    def fiber(&block)
      Fiber.new(blocking: false, &block).tap(&:resume)
    end

    def kernel_sleep(*) = nil
    def block(*) = nil
    def unblock(*) = nil
    def close = nil
  end

  def test_waits_go_through_the_fiber_scheduler
    with_pair do |a, b|
      scheduler = RecordingScheduler.new
      received = Queue.new
      thread = Thread.new do
        Fiber.set_scheduler(scheduler)
        Fiber.schedule { received << FDPass.recv_fd(b) }
      end
      assert_equal [b, IO::READABLE], scheduler.waits.pop
      FDPass.send_fd(a, a)
      thread.join
      FDPass.close(received.pop)
    end
  end

  def test_ractor_safe
    with_pair do |a, b|
      warning = $stderr
      $stderr = StringIO.new # "Ractor is experimental"
      ractor = Ractor.new(a, b) do |x, y|
        FDPass.send_fd(x, x)
        fd = FDPass.recv_fd(y)
        FDPass.close(fd)
        begin
          FDPass.recv_fd(-1)
        rescue FDPass::Error => e
          [fd.is_a?(Integer), e.name, FDPass::EBADF, FDPass::VERSION]
        end
      end
      $stderr = warning
      assert_equal [true, 'EBADF', -2, FDPass.version_string], ractor.take
    end
  end

  def test_recv_io_returns_native_objects
    with_pair do |a, b|
      server = TCPServer.new('127.0.0.1', 0)
      local_a, local_b = UNIXSocket.pair
      r, w = IO.pipe
      FDPass.send_fd(a, server)
      FDPass.send_fd(a, local_a)
      FDPass.send_fd(a, w)
      FDPass.send_fd(a, w)
      FDPass.send_fd(a, w)
      copy = FDPass.recv_io(b, TCPServer)
      assert_instance_of TCPServer, copy
      assert_equal server.addr, copy.addr
      other = FDPass.recv_io(b, UNIXSocket)
      assert_instance_of UNIXSocket, other
      other.write('through the copy')
      assert_equal 'through the copy', local_b.readpartial(100)
      writer = FDPass.recv_io(b, IO, 'w')
      assert_instance_of IO, writer
      writer.write('x')
      writer.close
      fd = FDPass.recv_io(b, nil)
      assert_kind_of Integer, fd
      FDPass.close(fd)
      failing = Class.new { def self.for_fd(*) = raise(ArgumentError, 'refused') }
      before = count_fds
      assert_raises(ArgumentError) { FDPass.recv_io(b, failing) }
      assert_equal before, count_fds # recv_io closed what for_fd refused
      assert_raises(ArgumentError) { FDPass.recv_io }
      w.close
      assert_equal 'x', r.read
      [copy, other, server, local_a, local_b, r].each(&:close)
    end
  end

  def test_paths_take_to_path
    path = Pathname.new(File.join(@dir, 'pathname.sock'))
    listener = FDPass.listen(path)
    client = FDPass.connect(path)
    [client, listener].each { |fd| FDPass.close(fd) }
  end

  def test_namespace
    refute Object.const_defined?(:SWIG)
    assert_empty global_variables.grep(/swig/i)
    assert_equal FDPass.version_string, FDPass::VERSION
    FDPass.constants.map { |name| FDPass.const_get(name) }
          .reject { |value| value.is_a?(Module) }
          .each { |value| assert value.frozen?, "#{value.inspect} is frozen" }
  end

  def test_round_trip_with_another_process
    path = File.join(@dir, 'round-trip.sock')
    listener = FDPass.listen(path)
    child = fork do
      sock = FDPass.connect(path)
      file = IO.for_fd(FDPass.recv_fd(sock))
      file.write("written by the child\n")
      file.close
      r, w = IO.pipe
      FDPass.send_fds(sock, 'from the child', [r])
      w.write("through the child's pipe\n")
      exit!(0)
    end
    sock = FDPass.accept(listener)
    File.open(File.join(@dir, 'shared.txt'), 'w+') do |file|
      FDPass.send_fd(sock, file)
      data, fds = FDPass.recv_fds(sock)
      assert_equal 'from the child', data
      pipe = IO.for_fd(fds.fetch(0))
      assert_equal "through the child's pipe\n", pipe.read
      pipe.close
      assert_fdpass_error('ECLOSED') { FDPass.recv_fd(sock) }
      _, status = Process.wait2(child)
      assert status.success?
      file.rewind
      assert_equal "written by the child\n", file.read
    end
    FDPass.close(sock)
    FDPass.close(listener)
  end
  # --- The descriptor store, against `fdpass hold` (FDPASS, the command).

  # A holder on a fresh path (or an @abstract name) for the block; stopped
  # after it.
  def with_holder(name = 'holder.sock')
    skip NO_HOLDER unless ENV['FDPASS']
    path = name.start_with?('@') ? name : File.join(@dir, name)
    pid = Process.spawn(ENV['FDPASS'], 'hold', path, out: File::NULL,
                                                    err: File::NULL)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    begin # until it answers
      FDPass.list(path, 1000)
    rescue FDPass::Error
      flunk 'the holder did not answer in 30 s' if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      sleep 0.01
      retry
    end
    yield path, pid
  ensure
    if pid
      begin
        Process.kill('TERM', pid)
        Process.wait(pid)
      rescue Errno::ESRCH, Errno::ECHILD # the test ended it
      end
    end
  end

  # The holder's descriptors that are not sockets: what it stores (its
  # clients' connections come and go as it notices them close).
  def holder_fds(pid)
    Dir.children("/proc/#{pid}/fd").count do |fd|
      !File.readlink("/proc/#{pid}/fd/#{fd}").start_with?('socket:')
    rescue Errno::ENOENT
      false
    end
  end

  def test_store_fetch_list_remove
    with_holder do |holder, pid|
      empty = holder_fds(pid)
      r, w = IO.pipe
      assert_nil FDPass.store(holder, 'pipe', [w, w.fileno])
      assert_nil FDPass.store(Pathname(holder), 'reader', [r], 5000)
      assert_equal 3, holder_fds(pid) - empty
      assert_equal %w[pipe pipe reader], FDPass.list(holder)
      pairs = FDPass.fetch(holder)
      assert_equal %w[pipe pipe reader], pairs.map(&:first)
      pairs.each { |_, fd| assert_kind_of Integer, fd }
      pairs[0..1].each { |_, fd| IO.for_fd(fd).tap { |w| w.write('x') }.close }
      FDPass.close(pairs[2][1])
      fetched = FDPass.fetch(holder, 'reader', 5000)
      assert_equal ['reader'], fetched.map(&:first)
      reader = IO.for_fd(fetched[0][1])
      assert_equal 'xx', reader.read(2) # through the copies, both ways
      reader.close
      FDPass.remove(holder, 'pipe')
      FDPass.remove(holder, 'reader', 5000)
      assert_equal [], FDPass.list(holder, 5000)
      assert_equal [], FDPass.fetch(holder)
      assert_equal 0, holder_fds(pid) - empty
      w.close
      assert_nil r.read(1) # the holder closed its copies of the write end
      r.close
    end
  end

  def test_store_new_only_and_lifetime
    with_holder do |holder, pid|
      empty = holder_fds(pid)
      r, w = IO.pipe
      File.open(File::NULL) do |null|
        assert_nil FDPass.store(holder, 'kept', [w], new: true)
        assert_fdpass_error('EADDRINUSE') do
          FDPass.store(holder, 'kept', [null], new: true, timeout_ms: 5000)
        end
        copy = IO.for_fd(FDPass.fetch(holder, 'kept')[0][1])
        copy.write('x') # the first store's pipe, still there
        copy.close
        assert_equal 'x', r.read(1)
        FDPass.remove(holder, 'kept')
        assert_fdpass_error('EINVAL') { FDPass.store(holder, 'x', [null], lifetime_ms: -1) }
        assert_raises(ArgumentError) { FDPass.store(holder, 'x', [null], 5, timeout_ms: 5) }
        assert_raises(ArgumentError) { FDPass.store(holder, 'x', [null], old: true) }
        assert_nil FDPass.store(holder, 'brief', [null], 5000, lifetime_ms: 200)
        assert_equal ['brief'], FDPass.list(holder)
      end
      wait_until('the name is gone after its 200 ms') do
        FDPass.list(holder).empty? || (sleep(0.01) && false)
      end
      assert_equal 0, holder_fds(pid) - empty
      w.close
      r.close
    end
  end

  # A client the holder refuses (another uid, no right) gets EACCES as any
  # failure: an FDPass::Error that Errno::EACCES rescues. Root runs that
  # client as nobody.
  def test_a_refused_client_gets_errno_eacces
    skip 'needs root, to run a client as another uid' unless Process.euid.zero?
    setpriv = ENV['PATH'].split(':').map { |d| File.join(d, 'setpriv') }
                         .find { |f| File.executable?(f) }
    skip 'needs setpriv' unless setpriv
    skip 'uid 65534 cannot load the module (a private directory)' unless
      system(setpriv, '--reuid=65534', '--regid=65534', '--clear-groups',
             RbConfig.ruby, '-e', "require 'fdpass'", err: File::NULL)
    with_holder("@fdpass-ruby-refused-#{Process.pid}") do |name|
      script = "require 'fdpass'; begin; FDPass.store('#{name}', 'x', " \
               "[$stdin], new: true, timeout_ms: 5000); " \
               "rescue Errno::EACCES => e; puts [e.class, e.name].join(' '); end"
      out = IO.popen([setpriv, '--reuid=65534', '--regid=65534',
                      '--clear-groups', RbConfig.ruby, '-e', script], &:read)
      assert_equal "FDPass::Error EACCES\n", out
    end
  end

  def test_fetch_makes_room_for_as_many_as_the_holder_keeps
    with_holder do |holder, pid|
      empty = holder_fds(pid)
      File.open(File::NULL) do |null|
        40.times { |i| FDPass.store(holder, "n#{i}", [null, null]) }
      end
      pairs = FDPass.fetch(holder)
      pairs.each { |_, fd| FDPass.close(fd) }
      assert_equal 80, pairs.size
      assert_equal 'n39', pairs.last.first
      assert_equal 80, FDPass.list(holder).size
      40.times { |i| FDPass.remove(holder, "n#{i}") }
      assert_equal 0, holder_fds(pid) - empty
    end
  end

  def test_store_on_a_socket_bad_and_missing_names
    with_holder do |holder|
      sock = FDPass.connect(holder)
      UNIXSocket.open(holder) do |io|
        FDPass.store(sock, 'one', [$stdin])
        assert_equal ['one'], FDPass.list(io)
        assert_fdpass_error('EINVAL') { FDPass.store(io, 'a:b', [$stdin]) }
        assert_fdpass_error('EINVAL') { FDPass.store(io, 'a', []) }
        assert_fdpass_error('EINVAL') { FDPass.fetch(sock, '') }
        assert_fdpass_error('ENONAME') { FDPass.fetch(sock, 'nosuch') }
        assert_fdpass_error('ENONAME') { FDPass.remove(io, 'nosuch') }
        FDPass.remove(sock, 'one')
        assert_raises(ArgumentError) { FDPass.list }
        assert_raises(ArgumentError) { FDPass.store(sock, 'a') }
        assert_raises(ArgumentError) { FDPass.remove(sock, "a\0b") }
        assert_raises(TypeError) { FDPass.list(sock, 1.5) }
        assert_raises(TypeError) { FDPass.store(sock, 'a', $stdin) }
        assert_equal [], FDPass.list(sock)
      end
      FDPass.close(sock)
    end
  end

  # With no time to wait for its reply, a request still goes out, and the
  # holder carries it out: ETIMEDOUT does not say it did not.
  def test_a_store_that_timed_out_may_still_have_taken_effect
    with_holder do |holder|
      late = (1..100).map { |i| "late#{i}" }.find do |name|
        FDPass.store(holder, name, [$stdin], 0)
        false
      rescue FDPass::Error => e
        e.name == 'ETIMEDOUT'
      end
      refute_nil late, 'no store timed out in 100 tries'
      wait_until("#{late} is stored") { FDPass.list(holder).include?(late) }
    end
  end

  def test_a_holder_that_is_gone
    with_holder('gone.sock') do |holder, pid|
      sock = FDPass.connect(holder)
      Process.kill('KILL', pid)
      Process.wait(pid) # all its descriptors are closed, its listener too
      assert_fdpass_error('ECLOSED') { FDPass.list(sock) }
      assert_fdpass_error('ECONNREFUSED') { FDPass.list(holder) }
      assert_fdpass_error('ENOENT') { FDPass.fetch(File.join(@dir, 'none')) }
      FDPass.close(sock)
    end
  end

  # A holder that never answers: the calls wait without the VM lock, and
  # what interrupts them is raised (the connection is shut down).
  def test_store_calls_are_interruptible
    with_pair do |a, _|
      fetcher = blocked_without_the_lock { FDPass.fetch(a) }
      fetcher.raise(RuntimeError, 'raised into the thread')
      assert_equal 'raised into the thread',
                   assert_raises(RuntimeError) { fetcher.join }.message
    end
    with_pair do |a, _|
      assert_raises(Timeout::Error) do
        Timeout.timeout(0.05) { FDPass.list(a) }
      end
    end
    with_pair do |a, _|
      killed = blocked_thread { FDPass.store(a, 'x', [$stdin]) }
      killed.kill.join
      refute killed.alive?
    end
    with_pair do |a, _|
      assert_fdpass_error('ETIMEDOUT') { FDPass.remove(a, 'x', 10) }
    end
    # A signal whose trap returns: the call goes on, and can still be ended.
    trapped = Queue.new
    old = trap('USR1') { trapped << :ran }
    with_pair do |a, _|
      lister = blocked_thread { FDPass.list(a) }
      Process.kill('USR1', Process.pid)
      assert_equal :ran, trapped.pop
      assert_equal 'sleep', lister.status
      lister.raise(RuntimeError, 'ended')
      assert_raises(RuntimeError) { lister.join }
    end
  ensure
    trap('USR1', old)
  end

  # A holder on a path that never answers (a listener that accepts
  # nothing): every way of interrupting a store call closes the connection
  # the call made.
  def test_interrupted_store_calls_leave_nothing_open
    path = File.join(@dir, 'stalled.sock')
    listener = FDPass.listen(path)
    before = count_fds
    5.times do
      assert_raises(Timeout::Error) { Timeout.timeout(0.05) { FDPass.list(path) } }
    end
    assert_equal before, count_fds, 'after 5 interrupted lists'
    fetcher = blocked_thread { FDPass.fetch(path) }
    fetcher.raise(RuntimeError, 'raised')
    assert_raises(RuntimeError) { fetcher.join }
    storer = blocked_thread { FDPass.store(path, 'x', [$stdin]) }
    storer.kill.join
    remover = blocked_thread { FDPass.remove(path, 'x') }
    remover.kill.join
    assert_equal before, count_fds, 'after fetch, store and remove'
  ensure
    FDPass.close(listener) if listener
  end

  # Fetches interrupted at any moment, also once the holder has answered:
  # the descriptors that an interrupted call got are closed, none is lost.
  # Interrupts come only where the thread blocks (Ruby's idiom for a
  # resource: handle_interrupt), so that a fetch that returned closes its
  # descriptors before the interrupt lands.
  def test_fetches_interrupted_at_any_moment_lose_nothing
    with_holder do |holder|
      File.open(File::NULL) { |null| 8.times { |i| FDPass.store(holder, "n#{i}", [null, null]) } }
      before = count_fds
      200.times do
        fetcher = Thread.new do
          Thread.handle_interrupt(RuntimeError => :on_blocking) do
            FDPass.fetch(holder).each { |_, fd| FDPass.close(fd) }
          end
        end
        fetcher.report_on_exception = false
        sleep(rand * 0.002)
        fetcher.raise(RuntimeError, 'interrupted')
        begin
          fetcher.join
        rescue RuntimeError
        end
      end
      assert_equal before, count_fds, 'descriptors after 200 interrupted fetches'
    end
  end

  # SIGINT and SIGTERM from outside end a store call on a stalled holder,
  # also after another thread had the process signal itself (whose trap
  # returns).
  def test_signals_end_a_store_call_after_another_thread_signalled
    setup = <<~RUBY
      trap('USR1') { puts 'trapped'; $trapped = true }
      a, b = FDPass.socketpair
      Thread.new do
        Thread.pass until Thread.main.status == 'sleep'
        Process.kill('USR1', Process.pid)
        Thread.pass until $trapped # the parent waits 10 s at most
        sleep 0.2
        puts 'blocking'
      end
    RUBY
    assert_signals_end(setup, 'FDPass.list(a)') do |_, line|
      assert_equal 'trapped', line.call('the trap of USR1')
      assert_equal 'blocking', line.call('still blocking')
    end
  end

  # A line-echo server restarts through a holder while its client keeps
  # one TCP connection open (examples/echo-restart.tcl does it in Tcl).
  def echo(conn, generation, lines)
    lines.times { conn.puts("#{generation}: #{conn.gets}") }
  end

  def assert_echo(client, generation, line)
    client.puts(line)
    assert_equal "#{generation}: #{line}\n", client.gets
  end

  def test_connections_survive_a_restart
    with_holder do |holder|
      port_r, port_w = IO.pipe
      first = fork do
        server = TCPServer.new('127.0.0.1', 0)
        FDPass.store(holder, 'listener', [server])
        port_w.puts server.addr[1]
        conn = server.accept
        echo(conn, 1, 3)
        FDPass.store(holder, 'client', [conn])
        exit!(0)
      end
      port_w.close
      port = Integer(port_r.gets)
      port_r.close
      client = TCPSocket.new('127.0.0.1', port)
      (1..3).each { |i| assert_echo(client, 1, "line #{i}") }
      Process.wait(first)
      assert $?.success?
      client.puts('line 4') # no server runs: it waits in the kernel
      second = TCPSocket.new('127.0.0.1', port) # queued, not refused
      second.puts('hello')
      generation2 = fork do
        fds = FDPass.fetch(holder).to_h
        FDPass.remove(holder, 'client') # so that closing it ends it
        server = TCPServer.for_fd(fds['listener'])
        conn = TCPSocket.for_fd(fds['client'])
        echo(conn, 2, 1)
        echo(server.accept, 2, 1)
        echo(conn, 2, 2)
        exit!(0)
      end
      assert_equal "2: line 4\n", client.gets
      assert_equal "2: hello\n", second.gets
      (5..6).each { |i| assert_echo(client, 2, "line #{i}") }
      Process.wait(generation2)
      assert $?.success?
      assert_nil client.gets # generation 2 ended it: no one else holds it
      [client, second].each(&:close)
    ensure # a generation that failed does not outlive the test
      [first, generation2].compact.each do |pid|
        Process.kill('KILL', pid)
        Process.wait(pid)
      rescue Errno::ESRCH, Errno::ECHILD
      end
    end
  end
end
