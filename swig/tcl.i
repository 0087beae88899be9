/*
 * tcl.i - the Tcl 8.6 typemaps for fdpass.i's roles.
 *
 * Commands in the fdpass:: namespace (swig -namespace), constants as
 * variables ($fdpass::EBADF). A channel name (file5, sock7, stdout) is a
 * descriptor; failures are Tcl errors with -errorcode
 * {FDPASS EBADF message}. Data is bytes (byte arrays).
 */

%{
/* Fail with the status's message and -errorcode {FDPASS NAME message}. */
static int fdpass_tcl_failure(Tcl_Interp *interp, int status)
{
  const char *message = fdpass_strerror(status);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(message, -1));
  Tcl_SetErrorCode(interp, "FDPASS", fdpass_errname(status), message, NULL);
  return TCL_ERROR;
}

/* `object` as a descriptor: an integer, or the name of a channel. */
static int fdpass_tcl_descriptor(Tcl_Interp *interp, Tcl_Obj *object, int *fd)
{
  if (Tcl_GetIntFromObj(NULL, object, fd) == TCL_OK)
    return TCL_OK;
  const char *name = Tcl_GetString(object);
  int mode;
  Tcl_Channel channel = Tcl_GetChannel(interp, name, &mode);
  ClientData handle;
  if (channel == NULL) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "expected a descriptor or a channel but got \"%s\"", name));
    return TCL_ERROR;
  }
  if (Tcl_GetChannelHandle(channel, mode & TCL_READABLE ? TCL_READABLE
                                                        : TCL_WRITABLE,
                           &handle) != TCL_OK) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "channel \"%s\" has no descriptor", name));
    return TCL_ERROR;
  }
  *fd = (int)(intptr_t)handle;
  return TCL_OK;
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
  if (n < 0 || n > INT_MAX) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "capacity must be between 0 and %d, got %s", INT_MAX,
        Tcl_GetString(object)));
    return TCL_ERROR;
  }
  *capacity = (size_t)n;
  return TCL_OK;
}

/* Make `value` one more result of the command: a list of them. */
static void fdpass_tcl_append(Tcl_Interp *interp, Tcl_Obj *value)
{
  Tcl_ListObjAppendElement(NULL, Tcl_GetObjResult(interp), value);
}

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

/* fdpass::channel fd ?mode?: a channel that owns `fd` (closing the channel
 * closes it). The mode, r, w or r+, defaults to the descriptor's access
 * mode; a mode the descriptor does not allow is FDPASS EINVAL. */
static int fdpass_tcl_channel(ClientData unused, Tcl_Interp *interp,
                              int objc, Tcl_Obj *const objv[])
{
  (void)unused;
  int fd;
  if (objc < 2 || objc > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "fd ?mode?");
    return TCL_ERROR;
  }
  if (Tcl_GetIntFromObj(interp, objv[1], &fd) != TCL_OK)
    return TCL_ERROR;
  const char *access = fdpass_access_mode(fd);
  if (access == NULL)
    return fdpass_tcl_failure(interp, FDPASS_EBADF);
  int allowed = fdpass_tcl_mode_mask(access);
  int wanted = objc == 3 ? fdpass_tcl_mode_mask(Tcl_GetString(objv[2]))
                         : allowed;
  if (wanted == 0) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "bad mode \"%s\": must be r, w or r+", Tcl_GetString(objv[2])));
    return TCL_ERROR;
  }
  if (wanted & ~allowed)
    return fdpass_tcl_failure(interp, FDPASS_EINVAL);
  Tcl_Channel channel = Tcl_MakeFileChannel((ClientData)(intptr_t)fd, wanted);
  Tcl_RegisterChannel(interp, channel);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(channel), -1));
  return TCL_OK;
}
%}

%native(channel) int fdpass_tcl_channel(ClientData, Tcl_Interp *, int,
                                        Tcl_Obj *const[]);

%typemap(out) int INTEGER "Tcl_SetObjResult(interp, Tcl_NewIntObj($1));";
%typemap(in) int DESCRIPTOR
%{ if (fdpass_tcl_descriptor(interp, $input, &$1) != TCL_OK) SWIG_fail; %}

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
%typemap(check) (const void *DATA, size_t *LENGTH) (int size)
%{ $1 = Tcl_GetByteArrayFromObj(data$argnum, &size); *$2 = (size_t)size; %}
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
