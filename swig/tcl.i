/* SPDX-License-Identifier: MIT */
/*
 * tcl.i - the Tcl 8.6 package fdpass: the entry point (swig -tcl
 * -namespace swig/tcl.i), the typemaps of fdpass.i's roles for Tcl, and
 * the native layer (bindings/tcl/native.i).
 *
 * Commands in the fdpass:: namespace, also as the ensemble `fdpass`;
 * constants as read-only variables ($fdpass::EBADF). A channel name (file5,
 * sock7, stdout) is a descriptor; failures are Tcl errors with -errorcode
 * {FDPASS EBADF message}; wrong arguments are errors as Tcl's own commands
 * give them ({TCL WRONGARGS}, {TCL VALUE ...}). Data is bytes (byte
 * arrays). A blocking call on a non-blocking channel fails with
 * {FDPASS EAGAIN ...}, and fdpass::wait keeps the event loop running.
 */
%module fdpass

%{
#include <errno.h>
#include <netdb.h>

/* Fail with the status's message and -errorcode {FDPASS NAME message}. */
static int fdpass_tcl_failure(Tcl_Interp *interp, int status)
{
  const char *message = fdpass_strerror(status);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(message, -1));
  Tcl_SetErrorCode(interp, "FDPASS", fdpass_errname(status), message, NULL);
  return TCL_ERROR;
}

/* Fail with `message` and -errorcode {TCL VALUE `what`}, as Tcl's own
 * commands do for a bad value. */
static int fdpass_tcl_bad_value(Tcl_Interp *interp, const char *what,
                                Tcl_Obj *message)
{
  Tcl_SetObjResult(interp, message);
  Tcl_SetErrorCode(interp, "TCL", "VALUE", what, NULL);
  return TCL_ERROR;
}

/* Tcl's integer type, whose value tcl.h shows in internalRep.longValue:
 * read there, it costs no call (descriptors go through here a few times
 * per passed descriptor). */
static const Tcl_ObjType *fdpass_tcl_int_type;

/* `object` as a C int: an integer from INT_MIN to INT_MAX (Tcl 8.6's
 * Tcl_GetIntFromObj would wrap 2^31..2^32 into negative numbers). */
static int fdpass_tcl_int(Tcl_Interp *interp, Tcl_Obj *object, int *value)
{
  Tcl_WideInt n;
  if (object->typePtr != NULL && object->typePtr == fdpass_tcl_int_type)
    n = object->internalRep.longValue;
  else if (Tcl_GetWideIntFromObj(interp, object, &n) != TCL_OK)
    return TCL_ERROR;
  if (n < INT_MIN || n > INT_MAX)
    return fdpass_tcl_bad_value(interp, "NUMBER", Tcl_ObjPrintf(
        "integer \"%s\" out of range", Tcl_GetString(object)));
  *value = (int)n;
  return TCL_OK;
}

/* The channel named by `object`, or NULL when it is an integer or names
 * none (with an error in `interp`, when not NULL). */
static Tcl_Channel fdpass_tcl_channel_of(Tcl_Interp *interp, Tcl_Obj *object,
                                         int *mode)
{
  Tcl_WideInt n;
  if (Tcl_GetWideIntFromObj(NULL, object, &n) == TCL_OK)
    return NULL;
  return Tcl_GetChannel(interp, Tcl_GetString(object), mode);
}

/* The one descriptor of `channel`, or an error: a channel with two (a
 * read/write command pipeline, a server socket listening on IPv4 and
 * IPv6) cannot be passed as one descriptor, and passing either alone
 * would lose the other silently. */
static int fdpass_tcl_channel_fd(Tcl_Interp *interp, Tcl_Channel channel,
                                 int *fd)
{
  const char *name = Tcl_GetChannelName(channel);
  const char *type = Tcl_GetChannelType(channel)->typeName;
  ClientData in = NULL, out = NULL;
  int has_in = Tcl_GetChannelHandle(channel, TCL_READABLE, &in) == TCL_OK;
  /* A file channel (open, chan pipe) has one descriptor both ways. */
  int has_out = (!has_in || strcmp(type, "file") != 0) &&
      Tcl_GetChannelHandle(channel, TCL_WRITABLE, &out) == TCL_OK;
  if (!has_in && !has_out)
    return fdpass_tcl_bad_value(interp, "CHANNEL", Tcl_ObjPrintf(
        "channel \"%s\" has no descriptor", name));
  if (has_in && has_out && in != out)
    return fdpass_tcl_bad_value(interp, "CHANNEL", Tcl_ObjPrintf(
        "channel \"%s\" has two descriptors, one to read and one to write: "
        "it cannot be passed as one", name));
  if (strcmp(type, "tcp") == 0) {
    Tcl_DString names;
    Tcl_DStringInit(&names);
    int count = 0;
    if (Tcl_GetChannelOption(NULL, channel, "-sockname", &names) == TCL_OK) {
      Tcl_Obj *list = Tcl_NewStringObj(Tcl_DStringValue(&names), -1);
      Tcl_IncrRefCount(list);
      Tcl_ListObjLength(NULL, list, &count);
      Tcl_DecrRefCount(list);
    }
    Tcl_DStringFree(&names);
    if (count > 3) /* one {address host port} per listening socket */
      return fdpass_tcl_bad_value(interp, "CHANNEL", Tcl_ObjPrintf(
          "channel \"%s\" listens on %d sockets (e.g. IPv4 and IPv6): it "
          "cannot be passed as one; open it with -myaddr for one address",
          name, count / 3));
  }
  *fd = (int)(intptr_t)(has_in ? in : out);
  return TCL_OK;
}

/* `object` as a descriptor: an integer, or the name of a channel. A
 * channel's name starts with a letter, which no integer does: the name
 * is looked up without trying to parse it as a number first. */
static int fdpass_tcl_descriptor(Tcl_Interp *interp, Tcl_Obj *object, int *fd)
{
  if (object->typePtr == NULL || object->typePtr != fdpass_tcl_int_type) {
    const char *name = Tcl_GetString(object);
    if ((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')) {
      Tcl_Channel channel = Tcl_GetChannel(interp, name, NULL);
      if (channel == NULL)
        return fdpass_tcl_bad_value(interp, "DESCRIPTOR", Tcl_ObjPrintf(
            "expected a descriptor or a channel but got \"%s\"", name));
      return fdpass_tcl_channel_fd(interp, channel, fd);
    }
  }
  return fdpass_tcl_int(interp, object, fd);
}

/* `object` as flags: an integer ($fdpass::NONBLOCK | ...), or options as
 * Tcl's commands take them, in a list: -nonblocking (optionally followed
 * by a boolean) and -cloexec BOOLEAN. */
static int fdpass_tcl_flags(Tcl_Interp *interp, Tcl_Obj *object, int *flags)
{
  static const char *const options[] = { "-cloexec", "-nonblocking", NULL };
  const char *text = Tcl_GetString(object);
  if (text[0] != '-' || !((text[1] >= 'a' && text[1] <= 'z') ||
                          (text[1] >= 'A' && text[1] <= 'Z')))
    return fdpass_tcl_int(interp, object, flags);
  int count, option, on;
  Tcl_Obj **items;
  if (Tcl_ListObjGetElements(interp, object, &count, &items) != TCL_OK)
    return TCL_ERROR;
  *flags = 0;
  for (int i = 0; i < count; i++) {
    if (Tcl_GetIndexFromObj(interp, items[i], options, "option", 0,
                            &option) != TCL_OK)
      return TCL_ERROR;
    if (option == 1 && (i + 1 == count ||
        Tcl_GetBooleanFromObj(NULL, items[i + 1], &on) != TCL_OK))
      on = 1; /* -nonblocking alone */
    else if (i + 1 == count)
      return fdpass_tcl_bad_value(interp, "FLAGS", Tcl_NewStringObj(
          "-cloexec needs a boolean: -cloexec 0", -1));
    else if (Tcl_GetBooleanFromObj(interp, items[++i], &on) != TCL_OK)
      return TCL_ERROR;
    if (option == 1 && on)
      *flags |= FDPASS_NONBLOCK;
    if (option == 0 && !on)
      *flags |= FDPASS_NOCLOEXEC;
  }
  return TCL_OK;
}

/* `object` as a path: a string without a NUL character, which Tcl keeps
 * as the bytes C0 80 and the C call would take as part of the name. */
static int fdpass_tcl_path(Tcl_Interp *interp, Tcl_Obj *object,
                           const char **path)
{
  *path = Tcl_GetString(object);
  if (strstr(*path, "\xC0\x80") == NULL)
    return TCL_OK;
  return fdpass_tcl_bad_value(interp, "PATH", Tcl_NewStringObj(
      "path contains a NUL character", -1));
}

/* The list `list` as descriptors, stored in `fds` (room for
 * FDPASS_MAX_FDS); `*n` is its length: a longer list is left to
 * fdpass_send_fds, which refuses it (FDPASS_EINVAL) before reading `fds`. */
static int fdpass_tcl_descriptors(Tcl_Interp *interp, Tcl_Obj *list,
                                  int *fds, size_t *n)
{
  int count;
  Tcl_Obj **items;
  if (Tcl_ListObjGetElements(interp, list, &count, &items) != TCL_OK)
    return TCL_ERROR;
  for (int i = 0; i < count && i < FDPASS_MAX_FDS; i++)
    if (fdpass_tcl_descriptor(interp, items[i], &fds[i]) != TCL_OK) {
      Tcl_AppendObjToErrorInfo(interp, Tcl_ObjPrintf(
          "\n    (element %d of the descriptor list)", i));
      return TCL_ERROR;
    }
  *n = (size_t)count;
  return TCL_OK;
}

/* `object` as a capacity: a non-negative integer that fits a Tcl object. */
static int fdpass_tcl_capacity(Tcl_Interp *interp, Tcl_Obj *object,
                               size_t *capacity)
{
  Tcl_WideInt n;
  if (Tcl_GetWideIntFromObj(interp, object, &n) != TCL_OK)
    return TCL_ERROR;
  if (n < 0 || n > INT_MAX)
    return fdpass_tcl_bad_value(interp, "NUMBER", Tcl_ObjPrintf(
        "capacity must be between 0 and %d, got %s", INT_MAX,
        Tcl_GetString(object)));
  *capacity = (size_t)n;
  return TCL_OK;
}

/* The bytes of `object`, which must be a byte array: a string with a
 * character above U+00FF has no byte for it (Tcl_GetByteArrayFromObj
 * would keep the low 8 bits: "\u20ac" would go as "\xac"). */
static int fdpass_tcl_bytes(Tcl_Interp *interp, Tcl_Obj *object,
                            const void **bytes, size_t *length)
{
  static const Tcl_ObjType *byte_array;
  if (byte_array == NULL)
    byte_array = Tcl_GetObjType("bytearray");
  if (object->typePtr != byte_array || object->bytes != NULL) {
    /* In Tcl's UTF-8, characters above U+00FF start with 0xC4 or more. */
    const unsigned char *s = (const unsigned char *)Tcl_GetString(object);
    for (; *s != '\0'; s++)
      if (*s >= 0xC4)
        return fdpass_tcl_bad_value(interp, "BYTES", Tcl_NewStringObj(
            "data is not bytes: it has a character above \\u00ff (use "
            "encoding convertto)", -1));
  }
  int n;
  *bytes = Tcl_GetByteArrayFromObj(object, &n);
  *length = (size_t)n;
  return TCL_OK;
}

/* Make `value` one more result of the command: a list of them. */
static void fdpass_tcl_append(Tcl_Interp *interp, Tcl_Obj *value)
{
  Tcl_ListObjAppendElement(NULL, Tcl_GetObjResult(interp), value);
}

/* A blocking call's wait: on a channel in non-blocking mode
 * (fconfigure -blocking 0) FDPASS_EAGAIN, as Tcl's own read gives nothing
 * there; otherwise the library's wait. */
static int fdpass_tcl_block(Tcl_Interp *interp, Tcl_Obj *sock_object,
                            int sock, int events)
{
  Tcl_Channel channel = fdpass_tcl_channel_of(interp, sock_object, NULL);
  if (channel != NULL) {
    Tcl_DString blocking;
    Tcl_DStringInit(&blocking);
    int nonblocking =
        Tcl_GetChannelOption(NULL, channel, "-blocking", &blocking) ==
            TCL_OK && strcmp(Tcl_DStringValue(&blocking), "0") == 0;
    Tcl_DStringFree(&blocking);
    if (nonblocking)
      return FDPASS_EAGAIN;
  }
  Tcl_ResetResult(interp);
  return fdpass_wait(sock, events, -1);
}

struct fdpass_tcl_waiter {
  int ready, timed_out, sock, mask;
  struct fdpass_tcl_waiter *next;
};

/* The waits on integer descriptors of this thread, innermost first. Tcl
 * keeps one file handler per descriptor, which the innermost wait's would
 * replace and then delete: the waits on one descriptor share a handler
 * for all their events, which the last one deletes. */
static Tcl_ThreadDataKey fdpass_tcl_waiters_key;

static struct fdpass_tcl_waiter **fdpass_tcl_waiters(void)
{
  return Tcl_GetThreadData(&fdpass_tcl_waiters_key,
                           sizeof(struct fdpass_tcl_waiter *));
}

static void fdpass_tcl_ready(ClientData data, int mask)
{
  (void)mask;
  ((struct fdpass_tcl_waiter *)data)->ready = 1;
}

static void fdpass_tcl_fd_ready(ClientData data, int mask)
{
  int sock = (int)(intptr_t)data;
  for (struct fdpass_tcl_waiter *w = *fdpass_tcl_waiters(); w != NULL;
       w = w->next)
    if (w->sock == sock && (w->mask & mask))
      w->ready = 1;
}

/* The file handler of `sock` for the events of every wait on it; none
 * when no wait is left. */
static void fdpass_tcl_watch(int sock)
{
  int mask = 0;
  for (struct fdpass_tcl_waiter *w = *fdpass_tcl_waiters(); w != NULL;
       w = w->next)
    if (w->sock == sock)
      mask |= w->mask;
  if (mask != 0)
    Tcl_CreateFileHandler(sock, mask, fdpass_tcl_fd_ready,
                          (ClientData)(intptr_t)sock);
  else
    Tcl_DeleteFileHandler(sock);
}

static void fdpass_tcl_timed_out(ClientData data)
{
  ((struct fdpass_tcl_waiter *)data)->timed_out = 1;
}

/* fdpass::wait: fdpass_wait's contract, serving the event loop meanwhile
 * as vwait does (timers, fileevents, after idle), so that a wait stops
 * no other work of the interpreter. A channel's wait goes through a
 * channel handler, which leaves its fileevents in place. */
static int fdpass_tcl_wait(Tcl_Interp *interp, Tcl_Obj *sock_object,
                           int sock, int events, int timeout_ms)
{
  struct fdpass_tcl_waiter waiter = { 0, 0, sock, 0, NULL };
  waiter.mask = (events & FDPASS_READABLE ? TCL_READABLE : 0) |
                (events & FDPASS_WRITABLE ? TCL_WRITABLE : 0);
  Tcl_Channel channel = fdpass_tcl_channel_of(interp, sock_object, NULL);
  Tcl_ResetResult(interp);
  struct fdpass_tcl_waiter **waiters = fdpass_tcl_waiters();
  if (channel != NULL) { /* kept open while we wait, whoever closes it */
    Tcl_RegisterChannel(NULL, channel);
    Tcl_CreateChannelHandler(channel, waiter.mask, fdpass_tcl_ready,
                             &waiter);
  } else {
    waiter.next = *waiters;
    *waiters = &waiter;
    fdpass_tcl_watch(sock);
  }
  Tcl_TimerToken timer = timeout_ms < 0 ? NULL
      : Tcl_CreateTimerHandler(timeout_ms, fdpass_tcl_timed_out, &waiter);
  while (!waiter.ready && !waiter.timed_out)
    Tcl_DoOneEvent(TCL_ALL_EVENTS);
  Tcl_ResetResult(interp); /* whatever the event handlers left there */
  if (timer != NULL)
    Tcl_DeleteTimerHandler(timer);
  if (channel != NULL) {
    Tcl_DeleteChannelHandler(channel, fdpass_tcl_ready, &waiter);
    Tcl_UnregisterChannel(NULL, channel);
  } else {
    struct fdpass_tcl_waiter **link = waiters;
    while (*link != &waiter)
      link = &(*link)->next;
    *link = waiter.next;
    fdpass_tcl_watch(sock);
  }
  return waiter.ready ? FDPASS_OK : FDPASS_ETIMEDOUT;
}

/* Before a send on `object`: a channel's buffered output goes first, or
 * it would follow the descriptors; FDPASS_EAGAIN when a non-blocking
 * channel could not write it all. */
static int fdpass_tcl_sending(Tcl_Interp *interp, Tcl_Obj *object)
{
  Tcl_Channel channel = fdpass_tcl_channel_of(interp, object, NULL);
  Tcl_ResetResult(interp);
  if (channel == NULL)
    return FDPASS_OK;
  if (Tcl_Flush(channel) != TCL_OK)
    return FDPASS_ESYS;
  return Tcl_OutputBuffered(channel) > 0 ? FDPASS_EAGAIN : FDPASS_OK;
}

/* Before a receive on `object`: a channel with input in its buffer read
 * past what it returned, maybe the byte that carried descriptors, which
 * the kernel then closed: FDPASS_EINVAL rather than a wait for them. */
static int fdpass_tcl_receiving(Tcl_Interp *interp, Tcl_Obj *object)
{
  Tcl_Channel channel = fdpass_tcl_channel_of(interp, object, NULL);
  Tcl_ResetResult(interp);
  return channel != NULL && Tcl_InputBuffered(channel) > 0 ? FDPASS_EINVAL
                                                           : FDPASS_OK;
}

/* The wrappers' `objv[1]` is the socket argument as given. */
#define FDPASS_BINDING_WAIT(sock, events, timeout_ms) \
  fdpass_tcl_wait(interp, objv[1], sock, events, timeout_ms)
#define FDPASS_BINDING_BLOCK(sock, events) \
  fdpass_tcl_block(interp, objv[1], sock, events)
#define FDPASS_BINDING_ACCEPT(listener, sock) \
  fdpass_binding_accept(listener, sock, NULL, NULL)
#define FDPASS_BINDING_SENDING() fdpass_tcl_sending(interp, objv[1])
#define FDPASS_BINDING_RECEIVING() fdpass_tcl_receiving(interp, objv[1])
%}

%typemap(in) int INTEGER
%{ if (fdpass_tcl_int(interp, $input, &$1) != TCL_OK) SWIG_fail; %}
%typemap(out) int INTEGER "Tcl_SetObjResult(interp, Tcl_NewIntObj($1));";
%typemap(in) int flags
%{ if (fdpass_tcl_flags(interp, $input, &$1) != TCL_OK) SWIG_fail; %}
%typemap(in) int DESCRIPTOR
%{ if (fdpass_tcl_descriptor(interp, $input, &$1) != TCL_OK) SWIG_fail; %}
%typemap(in) const char *PATH
%{ if (fdpass_tcl_path(interp, $input, (const char **)&$1) != TCL_OK) SWIG_fail; %}

/* The one result of recv, accept, connect, listen: a plain integer. */
%typemap(in, numinputs=0) int *NEW_DESCRIPTOR (int descriptor = -1)
%{ $1 = &descriptor; %}
%typemap(argout) int *NEW_DESCRIPTOR
%{ if (result == FDPASS_OK) Tcl_SetObjResult(interp, Tcl_NewIntObj(*$1)); %}

/* socketpair's two and peer_credentials' three results make a list. */
%typemap(in, numinputs=0) int *PAIR_END (int descriptor = -1)
%{ $1 = &descriptor; %}
%typemap(argout) int *PAIR_END
%{ if (result == FDPASS_OK) fdpass_tcl_append(interp, Tcl_NewIntObj(*$1)); %}

%typemap(in, numinputs=0) int64_t *ID (int64_t id = -1) %{ $1 = &id; %}
%typemap(argout) int64_t *ID
%{ if (result == FDPASS_OK) fdpass_tcl_append(interp, Tcl_NewWideIntObj(*$1)); %}

/* The bytes are taken after every argument is converted: reading a list
 * element as an integer could change the representation of the very
 * object that holds the data. */
%typemap(in) (const void *DATA, size_t *LENGTH) (Tcl_Obj *data = NULL, size_t length = 0)
%{ data = $input; $2 = &length; %}
%typemap(check) (const void *DATA, size_t *LENGTH)
%{ if (fdpass_tcl_bytes(interp, data$argnum, (const void **)&$1, $2) != TCL_OK)
     SWIG_fail; %}
%typemap(argout) (const void *DATA, size_t *LENGTH)
%{ if (result == FDPASS_OK) Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt)*$2)); %}

%typemap(default) (const int *FDS, size_t NFDS) %{ $1 = NULL; $2 = 0; %}
%typemap(in) (const int *FDS, size_t NFDS) (int fds[FDPASS_MAX_FDS])
%{ if (fdpass_tcl_descriptors(interp, $input, fds, &$2) != TCL_OK) SWIG_fail;
   $1 = fds; %}

/* The data arrives in scratch memory that the byte array then copies;
 * Tcl would panic where this allocation only fails. */
%typemap(default) (void *BUFFER, size_t *CAPACITY)
  (size_t capacity = FDPASS_BINDING_RECV_LEN, char *scratch = NULL)
%{ $2 = &capacity; %}
%typemap(in) (void *BUFFER, size_t *CAPACITY)
%{ if (fdpass_tcl_capacity(interp, $input, $2) != TCL_OK) SWIG_fail; %}
%typemap(check) (void *BUFFER, size_t *CAPACITY) %{
  $1 = scratch$argnum = attemptckalloc(*$2 > 0 ? *$2 : 1);
  if ($1 == NULL) {
    fdpass_tcl_failure(interp, FDPASS_ENOMEM);
    SWIG_fail;
  }
%}
%typemap(argout) (void *BUFFER, size_t *CAPACITY) %{
  if (fdpass_delivered(result))
    fdpass_tcl_append(interp, Tcl_NewByteArrayObj((unsigned char *)$1, (int)*$2));
%}
%typemap(freearg) (void *BUFFER, size_t *CAPACITY)
%{ if (scratch$argnum != NULL) ckfree(scratch$argnum); %}

%typemap(default) (int *RECEIVED, size_t *COUNT)
  (int fds[FDPASS_MAX_FDS], size_t count = FDPASS_MAX_FDS)
%{ $1 = fds; $2 = &count; %}
%typemap(in) (int *RECEIVED, size_t *COUNT) %{
  if (fdpass_tcl_capacity(interp, $input, $2) != TCL_OK) SWIG_fail;
  if (*$2 > FDPASS_MAX_FDS) *$2 = FDPASS_MAX_FDS;
%}
%typemap(argout) (int *RECEIVED, size_t *COUNT) %{
  if (fdpass_delivered(result)) {
    Tcl_Obj *list = Tcl_NewListObj(0, NULL);
    for (size_t i = 0; i < *$2; i++)
      Tcl_ListObjAppendElement(NULL, list, Tcl_NewIntObj($1[i]));
    fdpass_tcl_append(interp, list);
    fdpass_tcl_append(interp, Tcl_NewBooleanObj(result == FDPASS_ETRUNC));
  }
%}

/* The status itself is never a result: a call with no other result
 * returns the empty string. */
%typemap(out) int STATUS, int PARTIAL_STATUS "";
%typemap(ret) int STATUS %{
  if ($1 != FDPASS_OK)
    return fdpass_tcl_failure(interp, $1);
%}
%typemap(ret) int PARTIAL_STATUS %{
  if (!fdpass_delivered($1))
    return fdpass_tcl_failure(interp, $1);
%}

%include "fdpass.i"
%include "fileno.i"
%include "native.i"
