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

/* fdpass::channel fd ?mode?: a channel that owns `fd` (closing the channel
 * closes it). The mode, r, w or r+, defaults to the descriptor's access
 * mode; a mode the descriptor does not allow is FDPASS EINVAL. A
 * descriptor that a channel of this interpreter already owns is an error:
 * Tcl would abort on a second channel of the same name. */
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
  char name[32];
  snprintf(name, sizeof name, "file%d", fd);
  if (Tcl_GetChannel(interp, name, NULL) != NULL) {
    const char *message = fdpass_strerror(FDPASS_EINVAL);
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
        "descriptor %d belongs to channel \"%s\" already", fd, name));
    Tcl_SetErrorCode(interp, "FDPASS", "EINVAL", message, NULL);
    return TCL_ERROR;
  }
  Tcl_ResetResult(interp);
  Tcl_Channel channel = Tcl_MakeFileChannel((ClientData)(intptr_t)fd, wanted);
  Tcl_RegisterChannel(interp, channel);
  Tcl_SetObjResult(interp, Tcl_NewStringObj(Tcl_GetChannelName(channel), -1));
  return TCL_OK;
}

/* A write trace that puts the constant back: `set fdpass::EBADF 7` fails
 * with "can't set ...: fdpass constants are read-only". `saved` is the
 * list {name value}. */
static char *fdpass_tcl_read_only(ClientData saved, Tcl_Interp *interp,
                                  const char *name1, const char *name2,
                                  int flags)
{
  (void)name1, (void)name2, (void)flags;
  Tcl_Obj *name, *value;
  Tcl_ListObjIndex(NULL, (Tcl_Obj *)saved, 0, &name);
  Tcl_ListObjIndex(NULL, (Tcl_Obj *)saved, 1, &value);
  Tcl_ObjSetVar2(interp, name, NULL, value, TCL_GLOBAL_ONLY);
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
                  TCL_GLOBAL_ONLY | TCL_TRACE_WRITES, fdpass_tcl_read_only,
                  saved);
  }
  Tcl_DecrRefCount(names);
  Tcl_ResetResult(interp);
  return TCL_OK;
}
%}

%native(channel) int fdpass_tcl_channel(ClientData, Tcl_Interp *, int,
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
