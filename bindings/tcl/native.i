/* SPDX-License-Identifier: MIT */
/*
 * native.i - the Tcl package's own parts, beside the generated commands:
 * argument counting as Tcl's commands do it, fdpass::channel, the
 * `fdpass` ensemble and read-only constants. %included by swig/tcl.i.
 */
%{
/* The usage of the commands whose C parameters are not one argument
 * each; the others' usage is their parameters' names. */
static const char *const fdpass_tcl_usages[][2] = {
  { "send", "sock fd ?flags?" },
  { "recv", "sock ?flags?" },
  { "send_fds", "sock data ?fds? ?flags?" },
  { "recv_fds", "sock ?maxlen? ?maxfds? ?flags?" },
  { "close", "fd" },
  { "fileno", "channel" },
};

/* SWIG_GetArgs, for formats of Tcl_Obj arguments ("oo|o:fdpass::send sock
 * fd ?flags? "): a wrong count is Tcl's own error, `wrong # args: should
 * be "fdpass::send sock fd ?flags?"` with -errorcode {TCL WRONGARGS}. It
 * only counts: every `in` typemap of tcl.i reads its objv[] itself, so
 * SWIG passes no place to store the arguments in. */
static int fdpass_tcl_check_args(Tcl_Interp *interp, int objc,
                                 Tcl_Obj *const objv[], const char *format)
{
  int required = -1, most = 0; /* 'o' per argument, '|' before optional */
  for (const char *c = format; *c != ':'; c++) {
    if (*c == '|')
      required = most;
    else
      most++;
  }
  if (required < 0)
    required = most;
  if (objc - 1 >= required && objc - 1 <= most)
    return TCL_OK;
  const char *command = strstr(format, "::") + 2;
  size_t length = strcspn(command, " ");
  char usage[128] = "";
  size_t usages = sizeof fdpass_tcl_usages / sizeof *fdpass_tcl_usages;
  for (size_t i = 0; i < usages; i++)
    if (strlen(fdpass_tcl_usages[i][0]) == length &&
        strncmp(fdpass_tcl_usages[i][0], command, length) == 0)
      snprintf(usage, sizeof usage, "%s", fdpass_tcl_usages[i][1]);
  if (usage[0] == '\0') { /* the parameters, without the last space */
    snprintf(usage, sizeof usage, "%s", command + length);
    size_t n = strlen(usage);
    if (n > 0 && usage[n - 1] == ' ')
      usage[n - 1] = '\0';
  }
  Tcl_WrongNumArgs(interp, 1, objv, usage[0] == ' ' ? usage + 1
                                    : usage[0] != '\0' ? usage : NULL);
  return TCL_ERROR;
}
#undef SWIG_GetArgs
#define SWIG_GetArgs(interp, objc, objv, format, ...) \
  fdpass_tcl_check_args(interp, objc, objv, format)

/* No global variable swig_runtime_data_type_pointer...: this package
 * shares no C types with other SWIG modules. */
#undef SWIG_GetModule
#define SWIG_GetModule(clientdata) ((swig_module_info *)0)
#undef SWIG_SetModule
#define SWIG_SetModule(clientdata, pointer) ((void)(pointer))

/* The channel mask for a mode "r", "w" or "r+"; 0 for any other. */
static int fdpass_tcl_mode_mask(const char *mode)
{
  if (strcmp(mode, "r") == 0)
    return TCL_READABLE;
  if (strcmp(mode, "w") == 0)
    return TCL_WRITABLE;
  if (strcmp(mode, "r+") == 0)
    return TCL_READABLE | TCL_WRITABLE;
  return 0;
}

/* The channel of `interp` that owns `fd` (one of its descriptors is
 * `fd`: a file, a pipe, a socket of any type, stdin...), or NULL. Looked
 * up by descriptor: Tcl names socket channels sock..., not file<fd>. */
static Tcl_Channel fdpass_tcl_owner(Tcl_Interp *interp, int fd)
{
  Tcl_Channel owner = NULL;
  if (Tcl_GetChannelNamesEx(interp, NULL) != TCL_OK)
    return NULL;
  Tcl_Obj *names = Tcl_GetObjResult(interp);
  Tcl_IncrRefCount(names);
  int count;
  Tcl_Obj **items;
  Tcl_ListObjGetElements(NULL, names, &count, &items);
  for (int i = 0; i < count && owner == NULL; i++) {
    Tcl_Channel channel = Tcl_GetChannel(interp, Tcl_GetString(items[i]),
                                         NULL);
    for (int direction = TCL_READABLE; channel != NULL &&
         direction <= TCL_WRITABLE; direction <<= 1) {
      ClientData handle;
      if (Tcl_GetChannelHandle(channel, direction, &handle) == TCL_OK &&
          (int)(intptr_t)handle == fd)
        owner = channel;
    }
  }
  Tcl_DecrRefCount(names);
  Tcl_ResetResult(interp);
  return owner;
}

/* FDPASS EINVAL when a channel owns `fd`: a second one would close it
 * twice (the second close closing whatever got the number meanwhile), and
 * Tcl aborts on a second channel of the same name. */
static int fdpass_tcl_check_unowned(Tcl_Interp *interp, int fd)
{
  Tcl_Channel owner = fdpass_tcl_owner(interp, fd);
  if (owner == NULL)
    return TCL_OK;
  Tcl_SetObjResult(interp, Tcl_ObjPrintf(
      "descriptor %d belongs to channel \"%s\" already", fd,
      Tcl_GetChannelName(owner)));
  Tcl_SetErrorCode(interp, "FDPASS", "EINVAL",
                   fdpass_strerror(FDPASS_EINVAL), NULL);
  return TCL_ERROR;
}

/* fdpass::channel fd ?mode?: a channel that owns `fd` (closing the channel
 * closes it). The mode, r, w or r+, defaults to the descriptor's access
 * mode; a mode the descriptor does not allow is FDPASS EINVAL, and so is
 * a descriptor that a channel of this interpreter already owns. */
static int fdpass_tcl_channel(ClientData unused, Tcl_Interp *interp,
                              int objc, Tcl_Obj *const objv[])
{
  (void)unused;
  int fd;
  if (objc < 2 || objc > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "fd ?mode?");
    return TCL_ERROR;
  }
  if (fdpass_tcl_int(interp, objv[1], &fd) != TCL_OK)
    return TCL_ERROR;
  const char *access = fdpass_access_mode(fd);
  if (access == NULL)
    return fdpass_tcl_failure(interp, FDPASS_EBADF);
  int allowed = fdpass_tcl_mode_mask(access);
  int wanted = objc == 3 ? fdpass_tcl_mode_mask(Tcl_GetString(objv[2]))
                         : allowed;
  if (wanted == 0)
    return fdpass_tcl_bad_value(interp, "MODE", Tcl_ObjPrintf(
        "bad mode \"%s\": must be r, w or r+", Tcl_GetString(objv[2])));
  if (wanted & ~allowed)
    return fdpass_tcl_failure(interp, FDPASS_EINVAL);
  if (fdpass_tcl_check_unowned(interp, fd) != TCL_OK)
    return TCL_ERROR;
  Tcl_Channel channel = Tcl_MakeFileChannel((ClientData)(intptr_t)fd, wanted);
  Tcl_RegisterChannel(interp, channel);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(channel), -1));
  return TCL_OK;
}

/* The descriptor store. A holder is an integer or a channel's name (a
 * connected socket), or else a path: the command connects, and closes that
 * connection after the call. The call blocks the interpreter for at most
 * its timeout (a holder answers at once: it is local). */

/* The holder `object`: `*path` NULL and the socket in `*sock`, or its
 * path. */
static int fdpass_tcl_holder(Tcl_Interp *interp, Tcl_Obj *object,
                             const char **path, int *sock)
{
  Tcl_WideInt n;
  *path = NULL;
  if (Tcl_GetWideIntFromObj(NULL, object, &n) == TCL_OK ||
      Tcl_GetChannel(interp, Tcl_GetString(object), NULL) != NULL)
    return fdpass_tcl_descriptor(interp, object, sock);
  Tcl_ResetResult(interp); /* Tcl_GetChannel's "can not find channel" */
  return fdpass_tcl_path(interp, object, path);
}

/* The arguments of a store command: holder, then the name at objv[2]
 * unless `name_at` is 0, then an optional timeout at objv[`timeout_at`]. */
static int fdpass_tcl_store_args(Tcl_Interp *interp, int objc,
                                 Tcl_Obj *const objv[], int least,
                                 const char *usage, const char **path,
                                 int *sock, int timeout_at, int *timeout_ms)
{
  if (objc < least || objc > timeout_at + 1) {
    Tcl_WrongNumArgs(interp, 1, objv, usage);
    return TCL_ERROR;
  }
  *timeout_ms = -1;
  if (objc > timeout_at &&
      fdpass_tcl_int(interp, objv[timeout_at], timeout_ms) != TCL_OK)
    return TCL_ERROR;
  return fdpass_tcl_holder(interp, objv[1], path, sock);
}

/* The names of a colon-separated list, `count` of them or all, as a list;
 * with `fds`, a dict instead: each name once, with the list of its
 * descriptors (the holder sends one name's descriptors together), so
 * that `dict get` loses none of them. */
static Tcl_Obj *fdpass_tcl_names(const char *names, size_t count,
                                 const int *fds)
{
  Tcl_Obj *list = Tcl_NewListObj(0, NULL), *last_fds = NULL;
  const char *last = NULL;
  size_t last_length = 0;
  for (size_t i = 0; *names != '\0' && i < count; i++) {
    const char *name = names;
    size_t length = fdpass_binding_next_name(&names);
    if (fds != NULL && last_fds != NULL && length == last_length &&
        memcmp(name, last, length) == 0) {
      Tcl_ListObjAppendElement(NULL, last_fds, Tcl_NewIntObj(fds[i]));
      continue;
    }
    Tcl_ListObjAppendElement(NULL, list,
                             Tcl_NewStringObj(name, (int)length));
    if (fds != NULL) {
      last_fds = Tcl_NewListObj(0, NULL);
      Tcl_ListObjAppendElement(NULL, last_fds, Tcl_NewIntObj(fds[i]));
      Tcl_ListObjAppendElement(NULL, list, last_fds);
      last = name;
      last_length = length;
    }
  }
  return list;
}

/* The leading options of fdpass::store, up to `--` or the first argument
 * that is not one (a holder never starts with a dash and a letter; a path
 * that does comes after `--`): -new and -lifetime ms. Returns how many
 * arguments they took, or -1 after an error. */
static int fdpass_tcl_store_options(Tcl_Interp *interp, int objc,
                                    Tcl_Obj *const objv[], int *flags,
                                    int *lifetime_ms)
{
  static const char *const options[] = { "--", "-lifetime", "-new", NULL };
  int i = 1, option;
  for (; i < objc; i++) {
    const char *text = Tcl_GetString(objv[i]);
    if (text[0] != '-' ||
        !(text[1] == '-' || (text[1] >= 'a' && text[1] <= 'z') ||
          (text[1] >= 'A' && text[1] <= 'Z')))
      break;
    if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
                            &option) != TCL_OK)
      return -1;
    if (option == 0)
      return i;
    if (option == 2) {
      *flags |= FDPASS_STORE_NEW;
    } else if (i + 1 == objc) {
      fdpass_tcl_bad_value(interp, "OPTION", Tcl_NewStringObj(
          "-lifetime needs milliseconds: -lifetime 200", -1));
      return -1;
    } else if (fdpass_tcl_int(interp, objv[++i], lifetime_ms) != TCL_OK) {
      return -1;
    }
  }
  return i - 1;
}

/* fdpass::store ?-new? ?-lifetime ms? ?--? holder name fds ?timeout_ms? */
static int fdpass_tcl_store(ClientData unused, Tcl_Interp *interp, int objc,
                            Tcl_Obj *const objv[])
{
  (void)unused;
  const char *path;
  int sock = -1, timeout_ms, fds[FDPASS_MAX_FDS], flags = 0, lifetime_ms = 0;
  size_t nfds = 0;
  int taken = fdpass_tcl_store_options(interp, objc, objv, &flags,
                                       &lifetime_ms);
  if (taken < 0)
    return TCL_ERROR;
  /* The arguments after the options, behind the command's name. */
  Tcl_Obj *args[5] = { objv[0] };
  int argc = objc - taken;
  for (int i = 1; i < argc && i < 5; i++)
    args[i] = objv[taken + i];
  if (fdpass_tcl_store_args(interp, argc, args, 4,
                            "?-new? ?-lifetime ms? ?--? holder name fds "
                            "?timeout_ms?",
                            &path, &sock, 4, &timeout_ms) != TCL_OK ||
      fdpass_tcl_descriptors(interp, args[3], fds, &nfds) != TCL_OK)
    return TCL_ERROR;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_store_with(sock, Tcl_GetString(args[2]), fds, nfds, flags,
                               lifetime_ms, timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  return status == FDPASS_OK ? TCL_OK : fdpass_tcl_failure(interp, status);
}

/* fdpass::remove holder name ?timeout_ms? */
static int fdpass_tcl_remove(ClientData unused, Tcl_Interp *interp,
                             int objc, Tcl_Obj *const objv[])
{
  (void)unused;
  const char *path;
  int sock = -1, timeout_ms;
  if (fdpass_tcl_store_args(interp, objc, objv, 3, "holder name ?timeout_ms?",
                            &path, &sock, 3, &timeout_ms) != TCL_OK)
    return TCL_ERROR;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_remove(sock, Tcl_GetString(objv[2]), timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  return status == FDPASS_OK ? TCL_OK : fdpass_tcl_failure(interp, status);
}

/* fdpass::list holder ?timeout_ms? */
static int fdpass_tcl_list(ClientData unused, Tcl_Interp *interp, int objc,
                           Tcl_Obj *const objv[])
{
  (void)unused;
  const char *path;
  int sock = -1, timeout_ms;
  char *names = NULL;
  if (fdpass_tcl_store_args(interp, objc, objv, 2, "holder ?timeout_ms?",
                            &path, &sock, 2, &timeout_ms) != TCL_OK)
    return TCL_ERROR;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_list(sock, timeout_ms, &names);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    return fdpass_tcl_failure(interp, status);
  Tcl_SetObjResult(interp, fdpass_tcl_names(names, SIZE_MAX, NULL));
  free(names);
  return TCL_OK;
}

/* fdpass::fetch holder ?name? ?timeout_ms? -> {name {fd ...} ...}; an
 * empty name fetches everything, as no name does. */
static int fdpass_tcl_fetch(ClientData unused, Tcl_Interp *interp, int objc,
                            Tcl_Obj *const objv[])
{
  (void)unused;
  const char *path;
  int sock = -1, timeout_ms;
  if (fdpass_tcl_store_args(interp, objc, objv, 2,
                            "holder ?name? ?timeout_ms?", &path, &sock, 3,
                            &timeout_ms) != TCL_OK)
    return TCL_ERROR;
  const char *name = objc > 2 ? Tcl_GetString(objv[2]) : "";
  struct fdpass_binding_fetched got;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_fetch(sock, *name != '\0' ? name : NULL,
                                  timeout_ms, &got);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    return fdpass_tcl_failure(interp, status);
  Tcl_SetObjResult(interp, fdpass_tcl_names(got.names, got.nfds, got.fds));
  fdpass_binding_fetched_free(&got);
  return TCL_OK;
}

/* fdpass::server: a listening socket served from the event loop, as
 * `socket -server` serves its own. */
struct fdpass_tcl_server {
  Tcl_Interp *interp;
  Tcl_Obj *command;
  Tcl_Channel channel;
  int listener;
};

/* A new connection: `*address` and `*port` of its peer (numeric; for a
 * local socket "" and 0). Returns -1 when there is none (another process
 * took it: the listener is non-blocking) or on failure. */
static int fdpass_tcl_server_accept(int listener, char *address,
                                    size_t address_size, int *port)
{
  struct sockaddr_storage peer;
  socklen_t size = sizeof peer;
#ifdef SOCK_CLOEXEC
  int sock = accept4(listener, (struct sockaddr *)&peer, &size, SOCK_CLOEXEC);
#else /* not atomic: as Tcl's own accept */
  int sock = accept(listener, (struct sockaddr *)&peer, &size);
  if (sock >= 0)
    fcntl(sock, F_SETFD, FD_CLOEXEC);
#endif
  char service[16] = "0";
  address[0] = '\0';
  if (sock >= 0 && (peer.ss_family == AF_INET || peer.ss_family == AF_INET6))
    getnameinfo((struct sockaddr *)&peer, size, address,
                (socklen_t)address_size, service, sizeof service,
                NI_NUMERICHOST | NI_NUMERICSERV);
  *port = atoi(service);
  return sock;
}

/* The listener is readable: accept one connection, as a channel of its
 * own (Tcl's tcp type, as `socket -server` gives), and run the command
 * with it, its address and port at the global level; an error there is
 * the interpreter's background error. */
static void fdpass_tcl_server_ready(ClientData data, int mask)
{
  (void)mask;
  struct fdpass_tcl_server *server = data;
  char address[64];
  int port;
  int sock = fdpass_tcl_server_accept(server->listener, address,
                                      sizeof address, &port);
  if (sock < 0)
    return;
  Tcl_Interp *interp = server->interp;
  Tcl_Channel channel = Tcl_MakeTcpClientChannel((ClientData)(intptr_t)sock);
  Tcl_RegisterChannel(interp, channel);
  /* As Tcl's own server: a reference of ours keeps the channel alive
   * while the command runs, whatever it does with it, and a command that
   * fails leaves the channel closed. */
  Tcl_RegisterChannel(NULL, channel);
  Tcl_Obj *script = Tcl_DuplicateObj(server->command);
  Tcl_IncrRefCount(script);
  Tcl_ListObjAppendElement(NULL, script,
                           Tcl_NewStringObj(Tcl_GetChannelName(channel), -1));
  Tcl_ListObjAppendElement(NULL, script, Tcl_NewStringObj(address, -1));
  Tcl_ListObjAppendElement(NULL, script, Tcl_NewIntObj(port));
  Tcl_Preserve(interp);
  int code = Tcl_EvalObjEx(interp, script, TCL_EVAL_GLOBAL);
  if (code != TCL_OK) {
    Tcl_BackgroundException(interp, code);
    Tcl_UnregisterChannel(interp, channel);
  }
  Tcl_UnregisterChannel(NULL, channel);
  Tcl_Release(interp);
  Tcl_DecrRefCount(script);
}

static void fdpass_tcl_server_closed(ClientData data)
{
  struct fdpass_tcl_server *server = data;
  Tcl_DecrRefCount(server->command);
  ckfree(server);
}

/* fdpass::server fd command: serve the listening socket `fd` (e.g. one
 * fetched from a holder) from the event loop; for each connection, run
 * `command channel address port` as `socket -server` does. Returns a
 * channel that owns `fd` (Tcl makes a socket's a "sock..." channel):
 * closing it stops the server. The socket is made
 * non-blocking, so that a connection another process took in between
 * never blocks the interpreter. */
static int fdpass_tcl_server(ClientData unused, Tcl_Interp *interp,
                             int objc, Tcl_Obj *const objv[])
{
  (void)unused;
  int fd, listening = 0;
  socklen_t size = sizeof listening;
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "fd command");
    return TCL_ERROR;
  }
  if (fdpass_tcl_int(interp, objv[1], &fd) != TCL_OK)
    return TCL_ERROR;
  if (fcntl(fd, F_GETFL) < 0)
    return fdpass_tcl_failure(interp, FDPASS_EBADF);
  if (fdpass_tcl_check_unowned(interp, fd) != TCL_OK)
    return TCL_ERROR;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
      !listening) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "descriptor %d is not a listening socket", fd));
    Tcl_SetErrorCode(interp, "FDPASS", "EINVAL",
                     fdpass_strerror(FDPASS_EINVAL), NULL);
    return TCL_ERROR;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct fdpass_tcl_server *server = ckalloc(sizeof *server);
  server->interp = interp;
  server->command = objv[2];
  Tcl_IncrRefCount(server->command);
  server->listener = fd;
  server->channel = Tcl_MakeFileChannel((ClientData)(intptr_t)fd,
                                        TCL_READABLE);
  Tcl_RegisterChannel(interp, server->channel);
  Tcl_CreateCloseHandler(server->channel, fdpass_tcl_server_closed, server);
  Tcl_CreateChannelHandler(server->channel, TCL_READABLE,
                           fdpass_tcl_server_ready, server);
  Tcl_SetObjResult(interp,
                   Tcl_NewStringObj(Tcl_GetChannelName(server->channel), -1));
  return TCL_OK;
}

/* A write and unset trace that puts the constant back: `set fdpass::EBADF
 * 7` fails with "can't set ...: fdpass constants are read-only", and
 * `unset fdpass::EBADF` (which cannot fail) is undone at once. `saved` is
 * the list {name value}. */
static char *fdpass_tcl_read_only(ClientData saved, Tcl_Interp *interp,
                                  const char *name1, const char *name2,
                                  int flags)
{
  (void)name1, (void)name2;
  if (flags & TCL_INTERP_DESTROYED)
    return NULL;
  Tcl_Obj *name, *value;
  Tcl_ListObjIndex(NULL, (Tcl_Obj *)saved, 0, &name);
  Tcl_ListObjIndex(NULL, (Tcl_Obj *)saved, 1, &value);
  Tcl_ObjSetVar2(interp, name, NULL, value, TCL_GLOBAL_ONLY);
  if (flags & TCL_TRACE_UNSETS) /* unset removed the trace with the variable */
    Tcl_TraceVar2(interp, Tcl_GetString(name), NULL,
                  TCL_GLOBAL_ONLY | TCL_TRACE_WRITES | TCL_TRACE_UNSETS,
                  fdpass_tcl_read_only, saved);
  return (char *)"fdpass constants are read-only";
}

/* Every variable of ::fdpass, the constants, read-only. */
static int fdpass_tcl_protect_constants(Tcl_Interp *interp)
{
  if (Tcl_Eval(interp, "info vars ::fdpass::*") != TCL_OK)
    return TCL_ERROR;
  Tcl_Obj *names = Tcl_GetObjResult(interp);
  Tcl_IncrRefCount(names);
  int count;
  Tcl_Obj **items;
  Tcl_ListObjGetElements(NULL, names, &count, &items);
  for (int i = 0; i < count; i++) {
    Tcl_Obj *pair[2] = { items[i],
        Tcl_ObjGetVar2(interp, items[i], NULL, TCL_GLOBAL_ONLY) };
    Tcl_Obj *saved = Tcl_NewListObj(2, pair);
    Tcl_IncrRefCount(saved); /* for the interpreter's life */
    Tcl_TraceVar2(interp, Tcl_GetString(items[i]), NULL,
                  TCL_GLOBAL_ONLY | TCL_TRACE_WRITES | TCL_TRACE_UNSETS,
                  fdpass_tcl_read_only, saved);
  }
  Tcl_DecrRefCount(names);
  Tcl_ResetResult(interp);
  return TCL_OK;
}
%}

%native(channel) int fdpass_tcl_channel(ClientData, Tcl_Interp *, int,
                                        Tcl_Obj *const[]);
%native(server) int fdpass_tcl_server(ClientData, Tcl_Interp *, int,
                                      Tcl_Obj *const[]);
%native(store) int fdpass_tcl_store(ClientData, Tcl_Interp *, int,
                                    Tcl_Obj *const[]);
%native(fetch) int fdpass_tcl_fetch(ClientData, Tcl_Interp *, int,
                                    Tcl_Obj *const[]);
%native(list) int fdpass_tcl_list(ClientData, Tcl_Interp *, int,
                                  Tcl_Obj *const[]);
%native(remove) int fdpass_tcl_remove(ClientData, Tcl_Interp *, int,
                                      Tcl_Obj *const[]);

%init %{
  fdpass_tcl_int_type = Tcl_GetObjType("int");
  if (fdpass_tcl_protect_constants(interp) != TCL_OK ||
      Tcl_Eval(interp, "namespace eval ::fdpass {\n"
                       "  namespace export {[a-z]*}\n"
                       "  namespace ensemble create\n"
                       "}") != TCL_OK)
    return TCL_ERROR;
%}
