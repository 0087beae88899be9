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

/* `fd` as klass.for_fd(fd) (klass.for_fd(fd, mode) unless mode is nil);
 * if for_fd fails, the descriptor is closed. */
static VALUE fdpass_rb_adopt(VALUE klass, int fd, VALUE mode)
{
  VALUE args[3] = { klass, INT2NUM(fd), mode };
  int state = 0;
  VALUE io = rb_protect(fdpass_rb_for_fd, (VALUE)args, &state);
  if (state != 0) {
    fdpass_close(fd);
    rb_jump_tag(state);
  }
  return io;
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
  return fdpass_rb_adopt(klass, fd, mode);
}

/* The variants of socketpair, listen, accept and connect that return
 * Ruby's objects (UNIXSocket, UNIXServer) instead of Integers: the same
 * calls, whose descriptor the object then owns. */
static VALUE fdpass_rb_socket_class(const char *name)
{
  rb_require("socket");
  return rb_path2class(name);
}

/* FDPass.socketpair_io -> [UNIXSocket, UNIXSocket] */
static VALUE fdpass_rb_socketpair_io(VALUE self)
{
  VALUE klass = fdpass_rb_socket_class("UNIXSocket");
  VALUE pair = rb_funcall(self, rb_intern("socketpair"), 0);
  int b = NUM2INT(rb_ary_entry(pair, 1));
  VALUE args[3] = { klass, rb_ary_entry(pair, 0), Qnil };
  int state = 0;
  VALUE first = rb_protect(fdpass_rb_for_fd, (VALUE)args, &state);
  if (state != 0) {
    fdpass_close(NUM2INT(args[1]));
    fdpass_close(b);
    rb_jump_tag(state);
  }
  args[1] = INT2NUM(b);
  VALUE second = rb_protect(fdpass_rb_for_fd, (VALUE)args, &state);
  if (state != 0) {
    fdpass_close(b);
    rb_io_close(first);
    rb_jump_tag(state);
  }
  return rb_assoc_new(first, second);
}

/* FDPass.listen_io(path) -> UNIXServer */
static VALUE fdpass_rb_listen_io(VALUE self, VALUE path)
{
  VALUE klass = fdpass_rb_socket_class("UNIXServer");
  return fdpass_rb_adopt(klass,
      NUM2INT(rb_funcall(self, rb_intern("listen"), 1, path)), Qnil);
}

/* FDPass.accept_io(listener) -> UNIXSocket */
static VALUE fdpass_rb_accept_io(VALUE self, VALUE listener)
{
  VALUE klass = fdpass_rb_socket_class("UNIXSocket");
  return fdpass_rb_adopt(klass,
      NUM2INT(rb_funcall(self, rb_intern("accept"), 1, listener)), Qnil);
}

/* FDPass.connect_io(path) -> UNIXSocket */
static VALUE fdpass_rb_connect_io(VALUE self, VALUE path)
{
  VALUE klass = fdpass_rb_socket_class("UNIXSocket");
  return fdpass_rb_adopt(klass,
      NUM2INT(rb_funcall(self, rb_intern("connect"), 1, path)), Qnil);
}
%}

%{
#include <pthread.h>
#include <unistd.h>

/* The descriptor store. A holder is a path (a String or an object with
 * #to_path: the call connects, and closes that connection after it) or a
 * connected socket (an Integer or an object with #fileno).
 *
 * The library call runs in a thread of its own, while the Ruby thread
 * waits as Ruby's own IO waits (rb_wait_for_single_fd on a pipe that the
 * call's end closes): other threads run, the fiber scheduler is asked, and
 * signals, Thread#raise, Thread#kill and Timeout reach it whatever the
 * other threads do (a call blocked in the library without the VM lock
 * would leave a signal that another thread received pending until some
 * thread ran Ruby). A signal whose trap returns leaves the call running.
 * Whatever raises shuts the connection down, which ends the call at once;
 * what the call got is closed and freed before the exception goes on. An
 * exchange cut midway leaves the connection out of step anyway (fdpass.h),
 * and a store or remove may have taken effect (docs/bindings.md). */
struct fdpass_rb_store_call {
  int (*run)(struct fdpass_rb_store_call *call);
  int sock, timeout_ms, status;
  int flags, lifetime_ms; /* a store's fdpass_store_with options */
  int ended[2]; /* the pipe: the call closes ended[1] when it is done */
  const char *name;
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  struct fdpass_binding_fetched got;
  char *names;
};

static int fdpass_rb_store_run(struct fdpass_rb_store_call *call)
{
  return fdpass_store_with(call->sock, call->name, call->fds, call->nfds,
                           call->flags, call->lifetime_ms, call->timeout_ms);
}

static int fdpass_rb_remove_run(struct fdpass_rb_store_call *call)
{
  return fdpass_remove(call->sock, call->name, call->timeout_ms);
}

static int fdpass_rb_fetch_run(struct fdpass_rb_store_call *call)
{
  return fdpass_binding_fetch(call->sock, call->name, call->timeout_ms,
                              &call->got);
}

static int fdpass_rb_list_run(struct fdpass_rb_store_call *call)
{
  return fdpass_binding_list(call->sock, call->timeout_ms, &call->names);
}

static void *fdpass_rb_store_thread(void *data)
{
  struct fdpass_rb_store_call *call = data;
  call->status = call->run(call);
  close(call->ended[1]);
  return NULL;
}

/* Frees what the call delivered and closes its descriptors: for a call
 * whose results will never reach Ruby. */
static void fdpass_rb_store_discard(struct fdpass_rb_store_call *call)
{
  for (size_t i = 0; call->got.fds != NULL && i < call->got.nfds; i++)
    fdpass_close(call->got.fds[i]);
  fdpass_binding_fetched_free(&call->got);
  free(call->names);
  call->names = NULL;
}

/* Until the call's thread is done; then what interrupts this thread, if
 * anything does, is raised while the results can still be discarded. */
static VALUE fdpass_rb_store_wait(VALUE data)
{
  const struct fdpass_rb_store_call *call =
      (const struct fdpass_rb_store_call *)data;
  int ready;
  while ((ready = rb_wait_for_single_fd(call->ended[0], RB_WAITFD_IN,
                                        NULL)) == 0 ||
         (ready < 0 && errno == EINTR))
    ;
  rb_thread_check_ints();
  return Qnil;
}

/* Run `call` on `holder`, with every argument already converted: raises
 * FDPass::Error on failure, the interrupt if there was one. */
static void fdpass_rb_store_call(VALUE holder,
                                 struct fdpass_rb_store_call *call)
{
  VALUE path = Qnil;
  if (RB_INTEGER_TYPE_P(holder) || rb_respond_to(holder, fdpass_rb_fileno))
    call->sock = fdpass_rb_descriptor(holder);
  else
    path = rb_get_path(holder);
  const char *where = NIL_P(path) ? NULL : RSTRING_PTR(path);
  if (pipe2(call->ended, O_CLOEXEC) != 0)
    fdpass_rb_raise(errno == ENOMEM ? FDPASS_ENOMEM : FDPASS_EMFILE);
  int status = fdpass_binding_holder(where, &call->sock);
  RB_GC_GUARD(path);
  pthread_t thread;
  if (status == FDPASS_OK &&
      pthread_create(&thread, NULL, fdpass_rb_store_thread, call) != 0) {
    fdpass_binding_holder_done(where, call->sock);
    status = FDPASS_ENOMEM;
  }
  if (status != FDPASS_OK) {
    close(call->ended[0]);
    close(call->ended[1]);
    fdpass_rb_raise(status);
  }
  int state = 0;
  rb_protect(fdpass_rb_store_wait, (VALUE)call, &state);
  if (state != 0)
    shutdown(call->sock, SHUT_RDWR); /* ends the call, if it still runs */
  pthread_join(thread, NULL);
  close(call->ended[0]);
  fdpass_binding_holder_done(where, call->sock);
  if (state != 0) { /* it raises: nothing reaches Ruby */
    fdpass_rb_store_discard(call);
    rb_jump_tag(state);
  }
  if (call->status != FDPASS_OK)
    fdpass_rb_raise(call->status);
}

static int fdpass_rb_timeout(int argc, VALUE *argv, int index)
{
  return argc > index ? fdpass_rb_int(argv[index]) : -1;
}

/* FDPass.store(holder, name, fds, timeout_ms = -1, new: false,
 * lifetime_ms: 0, timeout_ms: -1) -> nil; the timeout is given one way
 * or the other, not both. */
static VALUE fdpass_rb_store(int argc, VALUE *argv, VALUE self)
{
  struct fdpass_rb_store_call call = { .run = fdpass_rb_store_run };
  VALUE holder, name, fds, timeout = Qnil, options = Qnil;
  (void)self;
  rb_scan_args(argc, argv, "31:", &holder, &name, &fds, &timeout, &options);
  ID keys[3] = { rb_intern("new"), rb_intern("lifetime_ms"),
                 rb_intern("timeout_ms") };
  VALUE given[3] = { Qundef, Qundef, Qundef };
  if (!NIL_P(options))
    rb_get_kwargs(options, keys, 0, 3, given);
  if (given[2] != Qundef && !NIL_P(timeout))
    rb_raise(rb_eArgError, "timeout given twice (positional and timeout_ms:)");
  call.name = StringValueCStr(name);
  call.nfds = fdpass_rb_descriptors(fds, call.fds);
  call.flags = given[0] != Qundef && RTEST(given[0]) ? FDPASS_STORE_NEW : 0;
  call.lifetime_ms = given[1] != Qundef ? fdpass_rb_int(given[1]) : 0;
  if (given[2] != Qundef)
    timeout = given[2];
  call.timeout_ms = NIL_P(timeout) ? -1 : fdpass_rb_int(timeout);
  fdpass_rb_store_call(holder, &call);
  RB_GC_GUARD(name);
  return Qnil;
}

/* FDPass.remove(holder, name, timeout_ms = -1) -> nil */
static VALUE fdpass_rb_remove(int argc, VALUE *argv, VALUE self)
{
  struct fdpass_rb_store_call call = { .run = fdpass_rb_remove_run };
  (void)self;
  rb_check_arity(argc, 2, 3);
  call.name = StringValueCStr(argv[1]);
  call.timeout_ms = fdpass_rb_timeout(argc, argv, 2);
  fdpass_rb_store_call(argv[0], &call);
  RB_GC_GUARD(argv[1]);
  return Qnil;
}

/* The names of a colon-separated list: `count` of them, or all. */
static VALUE fdpass_rb_names(const char *names, size_t count)
{
  VALUE list = rb_ary_new();
  for (size_t i = 0; *names != '\0' && i < count; i++) {
    const char *name = names;
    size_t length = fdpass_binding_next_name(&names);
    rb_ary_push(list, rb_str_new(name, (long)length));
  }
  return list;
}

static VALUE fdpass_rb_list_result(VALUE data)
{
  return fdpass_rb_names((const char *)data, SIZE_MAX);
}

/* FDPass.list(holder, timeout_ms = -1) -> Array of names */
static VALUE fdpass_rb_list(int argc, VALUE *argv, VALUE self)
{
  struct fdpass_rb_store_call call = { .run = fdpass_rb_list_run };
  (void)self;
  rb_check_arity(argc, 1, 2);
  call.timeout_ms = fdpass_rb_timeout(argc, argv, 1);
  fdpass_rb_store_call(argv[0], &call);
  int state = 0;
  VALUE names = rb_protect(fdpass_rb_list_result, (VALUE)call.names, &state);
  fdpass_rb_store_discard(&call);
  if (state != 0)
    rb_jump_tag(state);
  return names;
}

/* The pairs [name, fd] of a fetch. */
static VALUE fdpass_rb_fetch_result(VALUE data)
{
  const struct fdpass_binding_fetched *got =
      (const struct fdpass_binding_fetched *)data;
  VALUE names = fdpass_rb_names(got->names, got->nfds);
  VALUE pairs = rb_ary_new_capa((long)got->nfds);
  for (size_t i = 0; i < got->nfds; i++)
    rb_ary_push(pairs, rb_assoc_new(rb_ary_entry(names, (long)i),
                                    INT2NUM(got->fds[i])));
  return pairs;
}

/* FDPass.fetch(holder, name = nil, timeout_ms = -1) -> [[name, fd]...];
 * if making the result fails (memory), the descriptors are closed. */
static VALUE fdpass_rb_fetch(int argc, VALUE *argv, VALUE self)
{
  struct fdpass_rb_store_call call = { .run = fdpass_rb_fetch_run };
  (void)self;
  rb_check_arity(argc, 1, 3);
  VALUE name = argc > 1 ? argv[1] : Qnil;
  call.name = NIL_P(name) ? NULL : StringValueCStr(name);
  call.timeout_ms = fdpass_rb_timeout(argc, argv, 2);
  fdpass_rb_store_call(argv[0], &call);
  RB_GC_GUARD(name);
  int state = 0;
  VALUE pairs = rb_protect(fdpass_rb_fetch_result, (VALUE)&call.got, &state);
  if (state != 0) {
    fdpass_rb_store_discard(&call);
    rb_jump_tag(state);
  }
  fdpass_binding_fetched_free(&call.got); /* the descriptors are Ruby's */
  return pairs;
}
%}

/* SWIG checks the number of arguments with its own message ("wrong # of
 * arguments(0 for 1)"); each module function goes through Ruby's
 * rb_check_arity first, for Ruby's ("wrong number of arguments (given 0,
 * expected 1..2)"). A function whose last parameter is its flags takes
 * them as keywords too (recv_fd(sock, nonblock: true)): the keywords' Hash
 * moves there, past the optional arguments before it. In the wrapper
 * section, after the functions. */
%define %fdpass_rb_arity(NAME, MIN, MAX)
%wrapper %{
static VALUE fdpass_rb_arity_##NAME(int argc, VALUE *argv, VALUE self)
{
  rb_check_arity(argc, MIN, MAX);
  if (FDPASS_RB_FLAGS_LAST(NAME) && argc < MAX &&
      RB_TYPE_P(argv[argc - 1], T_HASH)) {
    VALUE all[MAX];
    for (int i = 0; i < MAX - 1; i++)
      all[i] = i < argc - 1 ? argv[i] : Qnil;
    all[MAX - 1] = argv[argc - 1];
    return _wrap_##NAME(MAX, all, self);
  }
  return _wrap_##NAME(argc, argv, self);
}
%}
%init %{
  rb_remove_method(mFDPass, #NAME); /* SWIG's, without "method redefined" */
  rb_remove_method(rb_singleton_class(mFDPass), #NAME);
  rb_define_module_function(mFDPass, #NAME, fdpass_rb_arity_##NAME, -1);
%}
%enddef
%wrapper %{
#define FDPASS_RB_FLAGS_LAST(name) \
  (strcmp(#name, "send_fd") == 0 || strcmp(#name, "recv_fd") == 0 || \
   strcmp(#name, "send_fds") == 0 || strcmp(#name, "recv_fds") == 0)
%}
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
  rb_define_module_function(mFDPass, "socketpair_io", fdpass_rb_socketpair_io,
                            0);
  rb_define_module_function(mFDPass, "listen_io", fdpass_rb_listen_io, 1);
  rb_define_module_function(mFDPass, "accept_io", fdpass_rb_accept_io, 1);
  rb_define_module_function(mFDPass, "connect_io", fdpass_rb_connect_io, 1);
  rb_define_module_function(mFDPass, "store", fdpass_rb_store, -1);
  rb_define_module_function(mFDPass, "fetch", fdpass_rb_fetch, -1);
  rb_define_module_function(mFDPass, "list", fdpass_rb_list, -1);
  rb_define_module_function(mFDPass, "remove", fdpass_rb_remove, -1);
  /* Frozen, hence shareable between Ractors. */
  rb_define_const(mFDPass, "VERSION",
                  rb_obj_freeze(rb_str_new_cstr(fdpass_version_string())));
%}
/* Last: the module is frozen, so that its constants cannot be reassigned
 * (FrozenError, not a warning). */
%init %{
  rb_obj_freeze(mFDPass);
%}
