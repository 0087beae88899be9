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
require 'socket'
require 'tmpdir'

class FDPassTest < Minitest::Test
  ERROR_NAMES = %w[EINVAL EBADF ENOTSOCK ENOTSUP EAGAIN ETIMEDOUT ECLOSED
                   ENOFD ETRUNC EMFILE ENOMEM EACCES ENOENT EADDRINUSE ESYS
                   ECONNREFUSED ENAMETOOLONG].freeze

  def count_fds
    Dir.children('/proc/self/fd').size
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
      assert_raises(TypeError) { FDPass.send_fd(a, Struct.new(:fileno).new(nil)) }
      assert_raises(RangeError) { FDPass.send_fd(a, 2**40) }
      assert_raises(ArgumentError) { FDPass.recv_fd }
      assert_raises(TypeError) { FDPass.send_fds(a, 'x', [a, true]) }
      assert_raises(TypeError) { FDPass.send_fds(a, 'x', 5) }
      assert_raises(TypeError) { FDPass.send_fds(a, [], []) }
      assert_raises(ArgumentError) { FDPass.recv_fds(b, -1) }
      assert_raises(TypeError) { FDPass.wait(a, 'readable', 0) }
      r, w = IO.pipe
      w.close
      assert_raises(IOError) { FDPass.send_fd(a, w) }
      assert_raises(IOError) { FDPass.send_fds(a, 'x', [w]) }
      r.close
    end
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
  end

  def test_listen_mode
    path = File.join(@dir, 'mode.sock')
    listener = FDPass.listen_mode(path, 0o660)
    assert_equal 0o660, File.stat(path).mode & 0o7777
    FDPass.close(listener)
    File.unlink(path)
    assert_fdpass_error('EINVAL') { FDPass.listen_mode(path, 0o1777) }
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
end
