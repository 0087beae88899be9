/* SPDX-License-Identifier: MIT */
/*
 * native.i - the Ruby extension's own parts, beside the generated
 * functions: FDPass.recv_io, FDPass::VERSION, and an extension that leaves
 * no trace of SWIG in Ruby's namespace. %included by swig/ruby.i.
 */
%{
/* SWIG's Ruby runtime would define a top-level module SWIG (with a class
 * per C pointer type) and the globals $SWIG_TRACKINGS_COUNT and
 * $swig_runtime_data_type_pointer4 to share types between SWIG modules.
 * This extension wraps no C pointer type and shares nothing, so its
 * initialisation skips all of that. */
#undef SWIG_InitRuntime
#define SWIG_InitRuntime() ((void)0)
#undef SWIG_GetModule
#define SWIG_GetModule(clientdata) ((swig_module_info *)0)
#undef SWIG_SetModule
#define SWIG_SetModule(clientdata, pointer) ((void)(pointer))
#undef SWIG_define_class
#define SWIG_define_class(type) ((void)(type))
#define SWIG_RubyInitializeTrackings() ((void)0)

static ID fdpass_rb_for_fd_id;

static VALUE fdpass_rb_for_fd(VALUE args)
{
  const VALUE *v = (const VALUE *)args;
  return NIL_P(v[2]) ? rb_funcall(v[0], fdpass_rb_for_fd_id, 1, v[1])
                     : rb_funcall(v[0], fdpass_rb_for_fd_id, 2, v[1], v[2]);
}

/* FDPass.recv_io(sock, klass = IO, mode = nil): receive one descriptor as
 * UNIXSocket#recv_io does, as klass.for_fd(fd) (or klass.for_fd(fd,
 * mode)), e.g. a TCPServer; with klass nil, the Integer. If for_fd fails,
 * the descriptor is closed. */
static VALUE fdpass_rb_recv_io(int argc, VALUE *argv, VALUE self)
{
  VALUE sock, klass, mode;
  (void)self;
  if (rb_scan_args(argc, argv, "12", &sock, &klass, &mode) < 2)
    klass = rb_cIO;
  int s = fdpass_rb_descriptor(sock), fd = -1, status;
  while ((status = fdpass_recv_flags(s, &fd, FDPASS_NONBLOCK)) ==
             FDPASS_EAGAIN &&
         (status = FDPASS_BINDING_BLOCK(s, FDPASS_READABLE)) == FDPASS_OK)
    ;
  if (status != FDPASS_OK)
    fdpass_rb_raise(status);
  if (NIL_P(klass))
    return INT2NUM(fd);
  VALUE args[3] = { klass, INT2NUM(fd), mode };
  int state = 0;
  VALUE io = rb_protect(fdpass_rb_for_fd, (VALUE)args, &state);
  if (state != 0) {
    fdpass_close(fd);
    rb_jump_tag(state);
  }
  return io;
}
%}

/* SWIG checks the number of arguments with its own message ("wrong # of
 * arguments(0 for 1)"); each module function goes through Ruby's
 * rb_check_arity first, for Ruby's ("wrong number of arguments (given 0,
 * expected 1..2)"). In the wrapper section, after the functions. */
%define %fdpass_rb_arity(NAME, MIN, MAX)
%wrapper %{
static VALUE fdpass_rb_arity_##NAME(int argc, VALUE *argv, VALUE self)
{
  rb_check_arity(argc, MIN, MAX);
  return _wrap_##NAME(argc, argv, self);
}
%}
%init %{
  rb_remove_method(mFDPass, #NAME); /* SWIG's, without "method redefined" */
  rb_remove_method(rb_singleton_class(mFDPass), #NAME);
  rb_define_module_function(mFDPass, #NAME, fdpass_rb_arity_##NAME, -1);
%}
%enddef
%fdpass_rb_arity(version, 0, 0)
%fdpass_rb_arity(version_string, 0, 0)
%fdpass_rb_arity(strerror, 1, 1)
%fdpass_rb_arity(errname, 1, 1)
%fdpass_rb_arity(os_error, 0, 0)
%fdpass_rb_arity(send_fd, 2, 3)
%fdpass_rb_arity(recv_fd, 1, 2)
%fdpass_rb_arity(send_fds, 2, 4)
%fdpass_rb_arity(recv_fds, 1, 4)
%fdpass_rb_arity(wait, 3, 3)
%fdpass_rb_arity(peer_credentials, 1, 1)
%fdpass_rb_arity(socketpair, 0, 0)
%fdpass_rb_arity(listen, 1, 1)
%fdpass_rb_arity(listen_mode, 2, 2)
%fdpass_rb_arity(accept, 1, 1)
%fdpass_rb_arity(connect, 1, 1)
%fdpass_rb_arity(close, 1, 1)

%init %{
  fdpass_rb_for_fd_id = rb_intern("for_fd");
  rb_define_module_function(mFDPass, "recv_io", fdpass_rb_recv_io, -1);
  /* Frozen, hence shareable between Ractors. */
  rb_define_const(mFDPass, "VERSION",
                  rb_obj_freeze(rb_str_new_cstr(fdpass_version_string())));
%}
