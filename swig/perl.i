/* SPDX-License-Identifier: MIT */
/*
 * perl.i - the Perl 5 module FDPass: the entry point (swig -perl5 -noproxy
 * swig/perl.i), the typemaps of fdpass.i's roles for Perl. The Perl side
 * (FDPass::Error, the constants, FDPass::IOFDPass) is bindings/perl/.
 *
 * send_fd and recv_fd (FDPass::send would read as CORE::send), the other
 * functions by their C names. A descriptor is an integer or any Perl
 * filehandle (glob, \*STDIN, IO::Handle, IO::Socket): its fileno. Failures
 * die with an FDPass::Error object, which remembers the caller's file and
 * line as Perl's own die does for a string; wrong arguments croak with a
 * message, as Perl's own functions do. A call that would block waits in
 * poll and, when a signal interrupts it, runs Perl's deferred signal
 * handlers, as sysread does, then waits again.
 */
%module FDPass

/* FDPass::send would be confused with CORE::send. */
#define FDPASS_SEND send_fd
#define FDPASS_RECV recv_fd

%{
/* Die with an FDPass::Error for `status`: a blessed hash of the code, its
 * name, its message and where the Perl caller stands (an object gets no
 * " at FILE line N." from die, so it keeps them to stringify). */
static void fdpass_pl_die(pTHX_ int status)
{
  HV *error = newHV();
  SV *object = sv_2mortal(newRV_noinc((SV *)error));
  (void)hv_stores(error, "code", newSViv(status));
  (void)hv_stores(error, "name", newSVpv(fdpass_errname(status), 0));
  (void)hv_stores(error, "message", newSVpv(fdpass_strerror(status), 0));
  (void)hv_stores(error, "file", newSVpv(CopFILE(PL_curcop), 0));
  (void)hv_stores(error, "line", newSViv((IV)CopLINE(PL_curcop)));
  sv_bless(object, gv_stashpvs("FDPass::Error", GV_ADD));
  croak_sv(object);
}

/* `sv` as a C int: a number with an integer value in range. */
static int fdpass_pl_int(pTHX_ SV *sv, const char *what)
{
  SvGETMAGIC(sv);
  if (!SvOK(sv) || !(SvIOK(sv) || looks_like_number(sv)))
    croak("%s: expected an integer", what);
  if (SvIOK(sv) && !SvIsUV(sv)) { /* the common case, without an NV */
    IV n = SvIVX(sv);
    if (n < INT_MIN || n > INT_MAX)
      croak("%s: integer out of range", what);
    return (int)n;
  }
  NV n = SvNV_nomg(sv); /* range first: casting one outside is undefined */
  if (!(n >= INT_MIN && n <= INT_MAX))
    croak("%s: integer out of range", what);
  if (n != (NV)(int)n)
    croak("%s: expected an integer, got a fraction", what);
  return (int)n;
}

/* `sv` as a descriptor: an integer, or the fileno of a filehandle (a
 * glob, a reference to one, an IO::Handle object); a closed handle is -1,
 * which the library reports as FDPASS_EBADF. */
static int fdpass_pl_descriptor(pTHX_ SV *sv)
{
  SvGETMAGIC(sv);
  if (SvIOK(sv) && !SvROK(sv)) /* the common case, without a conversion */
    return fdpass_pl_int(aTHX_ sv, "descriptor");
  if (SvROK(sv) && SvTYPE(SvRV(sv)) != SVt_PVGV &&
      SvTYPE(SvRV(sv)) != SVt_PVIO)
    croak("descriptor: expected an integer or a filehandle, got a %s reference",
          sv_reftype(SvRV(sv), 0) /* HASH, CODE, ARRAY... */);
  if (SvROK(sv) || isGV_with_GP(sv)) {
    IO *io = sv_2io(sv); /* croaks when it is no filehandle */
    PerlIO *fp = IoIFP(io);
    return fp != NULL ? PerlIO_fileno(fp) : -1;
  }
  return fdpass_pl_int(aTHX_ sv, "descriptor");
}

/* The array reference `sv` as descriptors, stored in `fds` (room for
 * FDPASS_MAX_FDS). Returns its length: a longer list is left to
 * fdpass_send_fds, which refuses it (FDPASS_EINVAL) before reading `fds`. */
static size_t fdpass_pl_descriptors(pTHX_ SV *sv, int *fds)
{
  if (!SvROK(sv) || SvTYPE(SvRV(sv)) != SVt_PVAV)
    croak("descriptors: expected an array reference");
  AV *list = (AV *)SvRV(sv);
  SSize_t n = av_count(list);
  for (SSize_t i = 0; i < n && i < FDPASS_MAX_FDS; i++) {
    SV **item = av_fetch(list, i, 0);
    fds[i] = item != NULL ? fdpass_pl_descriptor(aTHX_ *item) : -1;
  }
  return (size_t)n;
}

/* Optional argument `sv` as a capacity, `otherwise` when undef. */
static size_t fdpass_pl_capacity(pTHX_ SV *sv, size_t otherwise)
{
  if (!SvOK(sv))
    return otherwise;
  int n = fdpass_pl_int(aTHX_ sv, "capacity");
  if (n < 0)
    croak("capacity must not be negative");
  return (size_t)n;
}

/* A socket path: bytes without a NUL byte. */
static const char *fdpass_pl_path(pTHX_ SV *sv)
{
  STRLEN length;
  const char *path = SvPVbyte(sv, length);
  if (strlen(path) != length)
    croak("path: contains a NUL byte");
  return path;
}

/* A signal interrupted a wait: Perl installs its signal handlers without
 * SA_RESTART and runs them between ops, so the handler runs here (and may
 * die, which unwinds the call, as alarm and die do around sysread). */
static void fdpass_pl_interrupted(void *context)
{
  dTHXa(context);
  (void)context; /* unused without threads */
  PERL_ASYNC_CHECK();
}

/* The PerlIO of the filehandle `sv` in `direction` ('<' or '>'), or
 * NULL when `sv` is an integer or that side is closed. */
static PerlIO *fdpass_pl_perlio(pTHX_ SV *sv, char direction)
{
  if (!SvROK(sv) && !isGV_with_GP(sv))
    return NULL;
  IO *io = sv_2io(sv);
  return direction == '<' ? IoIFP(io) : IoOFP(io);
}

/* Before a send on `sv`: a filehandle's buffered output goes first, or it
 * would follow the descriptors. */
static int fdpass_pl_sending(pTHX_ SV *sv)
{
  PerlIO *fp = fdpass_pl_perlio(aTHX_ sv, '>');
  return fp != NULL && PerlIO_flush(fp) != 0 ? FDPASS_ESYS : FDPASS_OK;
}

/* Before a receive on `sv`: a filehandle with input in its buffer (after
 * readline) read past what it returned, maybe the byte that carried
 * descriptors, which the kernel then closed: FDPASS_EINVAL rather than a
 * wait for them. */
static int fdpass_pl_receiving(pTHX_ SV *sv)
{
  PerlIO *fp = fdpass_pl_perlio(aTHX_ sv, '<');
  return fp != NULL && PerlIO_get_cnt(fp) > 0 ? FDPASS_EINVAL : FDPASS_OK;
}
#define FDPASS_BINDING_SENDING() fdpass_pl_sending(aTHX_ ST(0))
#define FDPASS_BINDING_RECEIVING() fdpass_pl_receiving(aTHX_ ST(0))

#define FDPASS_BINDING_WAIT(sock, events, timeout_ms) \
  fdpass_binding_wait(sock, events, timeout_ms, fdpass_pl_interrupted, \
                      PERL_GET_THX)
#define FDPASS_BINDING_BLOCK(sock, events) \
  FDPASS_BINDING_WAIT(sock, events, -1)
#define FDPASS_BINDING_ACCEPT(listener, sock) \
  fdpass_binding_accept(listener, sock, fdpass_pl_interrupted, PERL_GET_THX)

#ifndef G_LIST /* before Perl 5.36 */
#define G_LIST G_ARRAY
#endif

/* Croak, before the call, when the caller would lose what a call that
 * returns a list gives: in scalar context, and also in void context when
 * the list holds new descriptors (`descriptors`), which nobody could
 * close. */
static void fdpass_pl_want_list(pTHX_ const char *function, int descriptors)
{
  U8 context = GIMME_V;
  if (context == G_SCALAR || (descriptors && context == G_VOID))
    croak("FDPass::%s returns a list%s: call it in list context", function,
          descriptors ? " of new descriptors" : "");
}

/* The Perl usage of the functions whose C parameters are not one argument
 * each; the others' is their parameters' names. */
static const char *const fdpass_pl_usages[][2] = {
  { "send_fd", "sock, fd, flags = 0" },
  { "recv_fd", "sock, flags = 0" },
  { "send_fds", "sock, data, fds = undef, flags = 0" },
  { "recv_fds", "sock, maxlen = 4096, maxfds = 253, flags = 0" },
};

/* SWIG's croak for a wrong number of arguments, `usage` "Usage:
 * NAME(a,b);", as Perl's own: "Usage: FDPass::NAME(a, b) at FILE line
 * N.", without SWIG's "RuntimeError" and C parameters. */
static void fdpass_pl_usage(pTHX_ const char *usage)
{
  const char *name = strchr(usage, ' ') + 1;
  int length = (int)strcspn(name, "(");
  char params[128] = "";
  for (size_t i = 0; i < sizeof fdpass_pl_usages / sizeof *fdpass_pl_usages;
       i++)
    if (strncmp(fdpass_pl_usages[i][0], name, (size_t)length) == 0 &&
        fdpass_pl_usages[i][0][length] == '\0')
      snprintf(params, sizeof params, "%s", fdpass_pl_usages[i][1]);
  if (params[0] == '\0') /* "a,b);" as "a, b" */
    for (const char *c = name + length + 1; *c != ')' && *c != '\0'; c++)
      snprintf(params + strlen(params), sizeof params - strlen(params),
               *c == ',' ? ", " : "%c", *c);
  croak("Usage: FDPass::%.*s(%s)", length, name, params);
}
#undef SWIG_croak
#define SWIG_croak(usage) \
  { \
    fdpass_pl_usage(aTHX_ usage); \
    SWIG_fail; /* not reached: SWIG's label stays used */ \
  }

/* Push `value` as the wrapper's next result. */
#define FDPASS_PL_PUSH(value) \
  do { \
    if (argvi >= items) \
      EXTEND(sp, argvi + 1); \
    ST(argvi) = (value); \
    argvi++; \
  } while (0)
%}

%typemap(in) int INTEGER %{ $1 = fdpass_pl_int(aTHX_ $input, "$1_name"); %}
%typemap(out) int INTEGER %{ FDPASS_PL_PUSH(sv_2mortal(newSViv($1))); %}
%typemap(in) int flags
%{ $1 = SvOK($input) ? fdpass_pl_int(aTHX_ $input, "flags") : 0; %}
%typemap(in) const char *PATH %{ $1 = (char *)fdpass_pl_path(aTHX_ $input); %}
%typemap(in) int DESCRIPTOR %{ $1 = fdpass_pl_descriptor(aTHX_ $input); %}

%typemap(in, numinputs=0) int *NEW_DESCRIPTOR (int descriptor = -1)
%{ $1 = &descriptor; %}
%typemap(argout) int *NEW_DESCRIPTOR
%{ if (result == FDPASS_OK) FDPASS_PL_PUSH(sv_2mortal(newSViv(*$1))); %}
%apply int *NEW_DESCRIPTOR { int *PAIR_END };

%typemap(in, numinputs=0) int64_t *ID (int64_t id = -1) %{ $1 = &id; %}
%typemap(argout) int64_t *ID
%{ if (result == FDPASS_OK) FDPASS_PL_PUSH(sv_2mortal(newSViv((IV)*$1))); %}

/* The string's bytes are taken after every argument is converted: a
 * filehandle's magic could change it meanwhile. SvPVbyte dies on wide
 * characters, as syswrite does. */
%typemap(in) (const void *DATA, size_t *LENGTH) (SV *data = NULL, size_t length = 0)
%{ data = $input; $2 = &length; %}
%typemap(check) (const void *DATA, size_t *LENGTH) %{ {
  STRLEN n;
  $1 = SvPVbyte(data$argnum, n);
  *$2 = n;
} %}
%typemap(argout) (const void *DATA, size_t *LENGTH)
%{ if (result == FDPASS_OK) FDPASS_PL_PUSH(sv_2mortal(newSVuv(*$2))); %}

%typemap(default) (const int *FDS, size_t NFDS) %{ $1 = NULL; $2 = 0; %}
%typemap(in) (const int *FDS, size_t NFDS) (int fds[FDPASS_MAX_FDS])
%{ if (SvOK($input)) { $2 = fdpass_pl_descriptors(aTHX_ $input, fds); $1 = fds; } %}

/* The data arrives in the mortal string that is returned: no copy. */
%typemap(default) (void *BUFFER, size_t *CAPACITY)
  (size_t capacity = FDPASS_BINDING_RECV_LEN, SV *data = NULL)
%{ $2 = &capacity; %}
%typemap(in) (void *BUFFER, size_t *CAPACITY)
%{ *$2 = fdpass_pl_capacity(aTHX_ $input, *$2); %}
%typemap(check) (void *BUFFER, size_t *CAPACITY) %{
  data$argnum = sv_2mortal(newSV(*$2 + 1));
  SvPOK_only(data$argnum);
  $1 = SvPVX(data$argnum);
%}
%typemap(argout) (void *BUFFER, size_t *CAPACITY) %{
  if (fdpass_delivered(result)) {
    SvCUR_set(data$argnum, *$2);
    *SvEND(data$argnum) = '\0';
    FDPASS_PL_PUSH(data$argnum);
  }
%}

%typemap(default) (int *RECEIVED, size_t *COUNT)
  (int fds[FDPASS_MAX_FDS], size_t count = FDPASS_MAX_FDS)
%{ $1 = fds; $2 = &count; %}
%typemap(in) (int *RECEIVED, size_t *COUNT)
%{ *$2 = fdpass_pl_capacity(aTHX_ $input, *$2);
   if (*$2 > FDPASS_MAX_FDS) *$2 = FDPASS_MAX_FDS; %}
%typemap(argout) (int *RECEIVED, size_t *COUNT) %{
  if (fdpass_delivered(result)) {
    AV *list = newAV();
    SV *ref = sv_2mortal(newRV_noinc((SV *)list));
    av_extend(list, (SSize_t)*$2);
    for (size_t i = 0; i < *$2; i++)
      av_push(list, newSViv($1[i]));
    FDPASS_PL_PUSH(ref);
    FDPASS_PL_PUSH(result == FDPASS_ETRUNC ? &PL_sv_yes : &PL_sv_no);
  }
%}

/* The status itself is never a result. A call with no other result
 * returns 1, so that it reads as true. */
%typemap(out) int STATUS, int PARTIAL_STATUS "";
%typemap(ret) int STATUS %{
  if ($1 != FDPASS_OK)
    fdpass_pl_die(aTHX_ $1);
  if (argvi == 0)
    FDPASS_PL_PUSH(&PL_sv_yes);
%}
%typemap(ret) int PARTIAL_STATUS %{
  if (!fdpass_delivered($1))
    fdpass_pl_die(aTHX_ $1);
%}

%exception fdpass_socketpair
%{ fdpass_pl_want_list(aTHX_ "socketpair", 1); $action %}
%exception fdpass_recv_fds
%{ fdpass_pl_want_list(aTHX_ "recv_fds", 1); $action %}
%exception fdpass_peer_credentials
%{ fdpass_pl_want_list(aTHX_ "peer_credentials", 0); $action %}

%include "fdpass.i"
%include "native.i"
