/* SPDX-License-Identifier: MIT */
/*
 * ruby.i - the Ruby extension fdpass: the entry point (swig -ruby
 * -initname fdpass swig/ruby.i), the typemaps of fdpass.i's roles for
 * Ruby, and the native layer (bindings/ruby/native.i).
 *
 * Module FDPass: send_fd and recv_fd (FDPass.send would shadow
 * Object#send), the other functions by their C names. Any object with
 * #fileno (IO, File, UNIXSocket) is a descriptor; failures raise
 * FDPass::Error, whose #code is the status (FDPass::EBADF...) and #name its
 * name ("EBADF"). Arguments are checked as Ruby's core checks them:
 * Integers only where an integer goes (a Float is a TypeError), paths
 * through #to_path without NUL bytes.
 *
 * A call that would block waits through rb_wait_for_single_fd, as Ruby's
 * own IO does: without the global VM lock, interruptible by signals,
 * Thread#raise, Thread#kill and Timeout, and through the fiber scheduler
 * when one is set.
 */
%module FDPass

/* FDPass.send would shadow Object#send. */
#define FDPASS_SEND send_fd
#define FDPASS_RECV recv_fd

%{
#include <errno.h>
#include <ruby/io.h>
#include <ruby/thread.h>

static VALUE fdpass_rb_error; /* FDPass::Error < SystemCallError */
static ID fdpass_rb_fileno;

/* Raise FDPass::Error for `status`: a SystemCallError whose #errno is the
 * OS error it stands for, so that `rescue Errno::EBADF` catches it, with
 * the library's message, #code and #name; FDPASS_EAGAIN is also an
 * IO::WaitReadable, or IO::WaitWritable when `writing`, as Ruby's own
 * *_nonblock calls raise. */
static void fdpass_rb_raise_as(int status, int writing)
{
  /* Not through SystemCallError#initialize, which takes a subclass's
   * errno from its constant Errno (Errno::EBADF::Errno) and words the
   * message its own way: the ivars that #errno and #message read. */
  VALUE error = rb_obj_alloc(fdpass_rb_error);
  rb_ivar_set(error, rb_intern("mesg"),
              rb_str_new_cstr(fdpass_strerror(status)));
  rb_ivar_set(error, rb_intern("errno"),
              INT2NUM(fdpass_binding_errno(status, writing)));
  rb_iv_set(error, "@code", INT2NUM(status));
  rb_iv_set(error, "@name", rb_str_new_cstr(fdpass_errname(status)));
  if (status == FDPASS_EAGAIN)
    rb_extend_object(error, writing ? rb_mWaitWritable : rb_mWaitReadable);
  rb_exc_raise(error);
}

/* FDPass::Error === error: whether it is one, as for any class (rescue
 * FDPass::Error); SystemCallError's === compares #errno with the class's
 * Errno, as `rescue Errno::EBADF` does for an FDPass::Error. */
static VALUE fdpass_rb_error_eqq(VALUE self, VALUE other)
{
  return rb_obj_is_kind_of(other, self);
}

static void fdpass_rb_raise(int status)
{
  fdpass_rb_raise_as(status, 0);
}

/* An Integer `value` as a C int, or a RangeError that names no C type. */
static int fdpass_rb_int_in_range(VALUE value)
{
  long n = FIXNUM_P(value) ? FIX2LONG(value) : LONG_MAX;
  if (n < INT_MIN || n > INT_MAX)
    rb_raise(rb_eRangeError, "integer %" PRIsVALUE " out of range", value);
  return (int)n;
}

/* `value` as a C int: an Integer in range (NUM2INT would truncate a
 * Float, and convert nil or true with a message about C types). */
static int fdpass_rb_int(VALUE value)
{
  if (!RB_INTEGER_TYPE_P(value))
    rb_raise(rb_eTypeError, "no implicit conversion of %s into Integer",
             NIL_P(value) ? "nil" : rb_obj_classname(value));
  return fdpass_rb_int_in_range(value);
}

/* `object` as a descriptor: an Integer, or what its #fileno returns. */
static int fdpass_rb_descriptor(VALUE object)
{
  if (!RB_INTEGER_TYPE_P(object)) {
    if (!rb_respond_to(object, fdpass_rb_fileno))
      rb_raise(rb_eTypeError, "expected an Integer descriptor or an object "
               "with #fileno, got %s", rb_obj_classname(object));
    VALUE fd = rb_funcall(object, fdpass_rb_fileno, 0);
    if (!RB_INTEGER_TYPE_P(fd))
      rb_raise(rb_eTypeError, "%s#fileno returned %s, not an Integer",
               rb_obj_classname(object), rb_obj_classname(fd));
    object = fd;
  }
  return fdpass_rb_int_in_range(object);
}

/* The Array `list` as descriptors, stored in `fds` (room for
 * FDPASS_MAX_FDS). Returns its length: a longer list is left to
 * fdpass_send_fds, which refuses it (FDPASS_EINVAL) before reading `fds`. */
static size_t fdpass_rb_descriptors(VALUE list, int *fds)
{
  if (!RB_TYPE_P(list, T_ARRAY))
    rb_raise(rb_eTypeError, "no implicit conversion of %s into Array",
             rb_obj_classname(list));
  long n = RARRAY_LEN(list);
  for (long i = 0; i < n && i < FDPASS_MAX_FDS; i++)
    fds[i] = fdpass_rb_descriptor(rb_ary_entry(list, i));
  return (size_t)n;
}

/* The flags `value`: an Integer (FDPass::NONBLOCK | ...), or the keywords
 * nonblock: true and cloexec: false. */
static int fdpass_rb_flags(VALUE value)
{
  if (!RB_TYPE_P(value, T_HASH))
    return fdpass_rb_int(value);
  ID keys[2] = { rb_intern("nonblock"), rb_intern("cloexec") };
  VALUE values[2];
  rb_get_kwargs(value, keys, 0, 2, values); /* unknown ones: ArgumentError */
  return (values[0] != Qundef && RTEST(values[0]) ? FDPASS_NONBLOCK : 0) |
         (values[1] != Qundef && !RTEST(values[1]) ? FDPASS_NOCLOEXEC : 0);
}

/* Optional argument `value` as a capacity, `otherwise` when it is nil. */
static size_t fdpass_rb_capacity(VALUE value, size_t otherwise)
{
  if (NIL_P(value))
    return otherwise;
  int n = fdpass_rb_int(value);
  if (n < 0)
    rb_raise(rb_eArgError, "capacity must not be negative");
  return (size_t)n;
}

/* fdpass_wait's contract, the Ruby way: rb_wait_for_single_fd releases
 * the VM lock, raises what interrupts it (signals, Thread#raise, Timeout)
 * and goes through the fiber scheduler when there is one. */
static int fdpass_rb_wait(int sock, int events, int timeout_ms)
{
  struct timeval tv = { timeout_ms / 1000, timeout_ms % 1000 * 1000 };
  int ready = rb_wait_for_single_fd(sock,
      (events & FDPASS_READABLE ? RB_WAITFD_IN : 0) |
      (events & FDPASS_WRITABLE ? RB_WAITFD_OUT : 0),
      timeout_ms < 0 ? NULL : &tv);
  if (ready > 0)
    return FDPASS_OK;
  if (ready == 0)
    return FDPASS_ETIMEDOUT;
  return errno == EBADF ? FDPASS_EBADF
       : errno == ENOMEM ? FDPASS_ENOMEM : FDPASS_ESYS;
}
#define FDPASS_BINDING_WAIT(sock, events, timeout_ms) \
  fdpass_rb_wait(sock, events, timeout_ms)
#define FDPASS_BINDING_BLOCK(sock, events) fdpass_rb_wait(sock, events, -1)

static VALUE fdpass_rb_check_ints(VALUE unused)
{
  (void)unused;
  rb_thread_check_ints();
  return Qnil;
}

/* Raise what interrupts this thread now, if anything does, once `status`
 * and what `sock` got (if it did) have been dealt with: the socket is
 * closed, as its number would never reach Ruby. */
static void fdpass_rb_interrupts_after(int status, int sock)
{
  int state = 0;
  rb_protect(fdpass_rb_check_ints, Qnil, &state);
  if (state != 0) {
    if (status == FDPASS_OK)
      fdpass_close(sock);
    rb_jump_tag(state);
  }
}

struct fdpass_rb_accept {
  int listener, *sock, status;
};

static void *fdpass_rb_accept_call(void *data)
{
  struct fdpass_rb_accept *call = data;
  call->status = fdpass_binding_accept(call->listener, call->sock, NULL,
                                       NULL);
  return NULL;
}

/* The accept runs without the VM lock, so that other threads run while
 * it blocks (on a connection that another process took); what interrupts
 * the thread ends it (EINTR: FDPASS_EAGAIN, and the wait starts again)
 * and is raised, the connection it got closed. RB_NOGVL_INTR_FAIL: with
 * an interrupt pending the call is not made, and raising is ours. */
static int fdpass_rb_accept(int listener, int *sock)
{
  struct fdpass_rb_accept call = { listener, sock, FDPASS_EAGAIN };
  rb_nogvl(fdpass_rb_accept_call, &call, RUBY_UBF_IO, NULL,
           RB_NOGVL_INTR_FAIL);
  fdpass_rb_interrupts_after(call.status, *sock);
  return call.status;
}
#define FDPASS_BINDING_ACCEPT(listener, sock) \
  fdpass_rb_accept(listener, sock)

/* Before a send on `object`: an IO's buffered output goes first, or it
 * would follow the descriptors. */
static int fdpass_rb_sending(VALUE object)
{
  if (RB_TYPE_P(object, T_FILE))
    rb_io_flush(object);
  return FDPASS_OK;
}

/* Before a receive on `object`: an IO with input in its buffer (after
 * gets) read past what it returned, maybe the byte that carried
 * descriptors, which the kernel then closed: FDPASS_EINVAL rather than a
 * wait for them. */
static int fdpass_rb_receiving(VALUE object)
{
  if (!RB_TYPE_P(object, T_FILE))
    return FDPASS_OK;
  rb_io_t *fptr;
  GetOpenFile(object, fptr);
  return rb_io_read_pending(fptr) ? FDPASS_EINVAL : FDPASS_OK;
}
#define FDPASS_BINDING_SENDING() fdpass_rb_sending(argv[0])
#define FDPASS_BINDING_RECEIVING() fdpass_rb_receiving(argv[0])
%}

%init %{
  /* Its state is set here, once, and only read afterwards. */
  rb_ext_ractor_safe(true);
  fdpass_rb_fileno = rb_intern("fileno");
  fdpass_rb_error = rb_define_class_under(rb_define_module("FDPass"), "Error",
                                          rb_eSystemCallError);
  rb_define_singleton_method(fdpass_rb_error, "===", fdpass_rb_error_eqq, 1);
  rb_define_const(fdpass_rb_error, "Errno", Qnil); /* for FDPass::Error.new */
  rb_define_attr(fdpass_rb_error, "code", 1, 0);
  rb_define_attr(fdpass_rb_error, "name", 1, 0);
%}

%typemap(in) int INTEGER %{ $1 = fdpass_rb_int($input); %}
%typemap(out) int INTEGER "$result = INT2NUM($1);";
%typemap(in) int flags %{ $1 = NIL_P($input) ? 0 : fdpass_rb_flags($input); %}
%typemap(in) int DESCRIPTOR %{ $1 = fdpass_rb_descriptor($input); %}

/* rb_get_path: #to_path, a String, no NUL byte; the String stays
 * referenced from the stack for the call. */
%typemap(in) const char *PATH (VALUE path = Qnil)
%{ path = rb_get_path($input); $1 = RSTRING_PTR(path); %}
%typemap(freearg) const char *PATH %{ RB_GC_GUARD(path$argnum); %}

%typemap(in, numinputs=0) int *NEW_DESCRIPTOR (int descriptor = -1)
%{ $1 = &descriptor; %}
%typemap(argout) int *NEW_DESCRIPTOR
%{ if (result == FDPASS_OK) $result = SWIG_Ruby_AppendOutput($result, INT2NUM(*$1)); %}
%apply int *NEW_DESCRIPTOR { int *PAIR_END };

%typemap(in, numinputs=0) int64_t *ID (int64_t id = -1) %{ $1 = &id; %}
%typemap(argout) int64_t *ID
%{ if (result == FDPASS_OK) $result = SWIG_Ruby_AppendOutput($result, LL2NUM(*$1)); %}

/* The String's bytes are taken after every argument is converted: a
 * #fileno called meanwhile could change the String. */
%typemap(in) (const void *DATA, size_t *LENGTH) (VALUE data = Qnil, size_t length = 0)
%{ data = StringValue($input); $2 = &length; %}
%typemap(check) (const void *DATA, size_t *LENGTH)
%{ $1 = RSTRING_PTR(data$argnum); *$2 = (size_t)RSTRING_LEN(data$argnum); %}
%typemap(argout) (const void *DATA, size_t *LENGTH)
%{ if (result == FDPASS_OK) $result = SWIG_Ruby_AppendOutput($result, SIZET2NUM(*$2)); %}

%typemap(default) (const int *FDS, size_t NFDS) %{ $1 = NULL; $2 = 0; %}
%typemap(in) (const int *FDS, size_t NFDS) (int fds[FDPASS_MAX_FDS])
%{ if (!NIL_P($input)) { $2 = fdpass_rb_descriptors($input, fds); $1 = fds; } %}

/* The data arrives in the String that is returned: no copy. */
%typemap(default) (void *BUFFER, size_t *CAPACITY)
  (size_t capacity = FDPASS_BINDING_RECV_LEN, VALUE data = Qnil)
%{ $2 = &capacity; %}
%typemap(in) (void *BUFFER, size_t *CAPACITY)
%{ *$2 = fdpass_rb_capacity($input, *$2); %}
%typemap(check) (void *BUFFER, size_t *CAPACITY)
%{ data$argnum = rb_str_buf_new((long)*$2); $1 = RSTRING_PTR(data$argnum); %}
%typemap(argout) (void *BUFFER, size_t *CAPACITY) %{
  if (fdpass_delivered(result)) {
    rb_str_set_len(data$argnum, (long)*$2);
    $result = SWIG_Ruby_AppendOutput($result, data$argnum);
  }
%}

%typemap(default) (int *RECEIVED, size_t *COUNT)
  (int fds[FDPASS_MAX_FDS], size_t count = FDPASS_MAX_FDS)
%{ $1 = fds; $2 = &count; %}
%typemap(in) (int *RECEIVED, size_t *COUNT)
%{ *$2 = fdpass_rb_capacity($input, *$2);
   if (*$2 > FDPASS_MAX_FDS) *$2 = FDPASS_MAX_FDS; %}
%typemap(argout) (int *RECEIVED, size_t *COUNT) %{
  if (fdpass_delivered(result)) {
    VALUE list = rb_ary_new_capa((long)*$2);
    for (size_t i = 0; i < *$2; i++)
      rb_ary_push(list, INT2NUM($1[i]));
    $result = SWIG_Ruby_AppendOutput($result, list);
    $result = SWIG_Ruby_AppendOutput($result, result == FDPASS_ETRUNC ? Qtrue : Qfalse);
  }
%}

/* The status itself is never a result: a call with no other result
 * returns nil. */
%typemap(out) int STATUS, int PARTIAL_STATUS "";
%typemap(ret) int STATUS %{
  if ($1 != FDPASS_OK)
    fdpass_rb_raise_as($1, strncmp("$symname", "send", 4) == 0);
%}
%typemap(ret) int PARTIAL_STATUS %{
  if (!fdpass_delivered($1))
    fdpass_rb_raise($1);
%}

%include "fdpass.i"
%include "native.i"
