/* SPDX-License-Identifier: MIT */
/*
 * fileno.i - for the languages whose native objects have no portable way
 * to adopt or show a descriptor (Lua files, Tcl channels): fileno(object)
 * and the access mode that their fdopen/channel take by default.
 * %included by lua.i and tcl.i after fdpass.i.
 */
%{
/* The mode string ("r", "w", "r+") matching the descriptor's access mode,
 * or NULL when `fd` is not open. */
static const char *fdpass_access_mode(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return NULL;
  switch (flags & O_ACCMODE) {
  case O_RDONLY: return "r";
  case O_WRONLY: return "w";
  default: return "r+";
  }
}
%}

%apply int DESCRIPTOR { int descriptor };
%apply int INTEGER { int fdpass_fileno };
%inline %{
/* fileno(object): the descriptor behind a native object (an integer is
 * its own descriptor). */
static int fdpass_fileno(int descriptor)
{
  return descriptor;
}
%}
