/* SPDX-License-Identifier: MIT */
/*
 * lua.i - the Lua 5.4 module fdpass: the entry point (swig -lua
 * -nomoduleglobal swig/lua.i), the typemaps of fdpass.i's roles for Lua,
 * and fdopen.
 *
 * Integers stay integers (SWIG's own typemaps go through lua_Number), a
 * Lua file handle (io.open, io.tmpfile) or any object with a getfd method
 * (LuaSocket) is a descriptor, and failures follow io.open and luaposix:
 * nil, message, code (fdpass.EBADF...), so that assert(fdpass.send(s, f))
 * works and the code compares with the module's constants. A wrong
 * argument is a Lua error. Blocking calls let Lua's hooks run when a
 * signal interrupts their wait: the standalone interpreter's SIGINT
 * handler stops them with "interrupted!", as it stops io.read.
 */
%module fdpass

%{
/* SWIG's check of the number of arguments, with Lua's own message:
 * "bad argument #2 to 'send' (value expected)", or "(no value expected)"
 * for one too many, instead of SWIG's, which names the C function. */
#undef SWIG_check_num_args
#define SWIG_check_num_args(func_name, least, most) \
  if (lua_gettop(L) < (least)) \
    luaL_argerror(L, lua_gettop(L) + 1, "value expected"); \
  else if (lua_gettop(L) > (most)) \
    luaL_argerror(L, (most) + 1, "no value expected");

/* Push the io.open-style failure for `status`: nil, message, code. */
static int fdpass_lua_failure(lua_State *L, int status)
{
  lua_pushnil(L);
  lua_pushstring(L, fdpass_strerror(status));
  lua_pushinteger(L, status);
  return 3;
}

/* Argument `arg` as a C int: an integer-valued number in range. */
static int fdpass_lua_int(lua_State *L, int arg)
{
  if (lua_type(L, arg) != LUA_TNUMBER)
    return luaL_typeerror(L, arg, "integer");
  int exact;
  lua_Integer n = lua_tointegerx(L, arg, &exact);
  luaL_argcheck(L, exact, arg, "number has no integer representation");
  luaL_argcheck(L, n >= INT_MIN && n <= INT_MAX, arg, "integer out of range");
  return (int)n;
}

/* Optional argument `arg` as a capacity: a non-negative integer, or
 * `otherwise` when it is nil. */
static size_t fdpass_lua_capacity(lua_State *L, int arg, size_t otherwise)
{
  if (lua_isnoneornil(L, arg))
    return otherwise;
  int n = fdpass_lua_int(L, arg);
  luaL_argcheck(L, n >= 0, arg, "capacity must not be negative");
  return (size_t)n;
}

/* The descriptor at stack `index`: an integer, an open Lua file, or what
 * the object's getfd method returns (LuaSocket). Returns NULL, or why the
 * value is not one (a string on the stack). */
static const char *fdpass_lua_to_descriptor(lua_State *L, int index, int *fd)
{
  luaL_Stream *file = (luaL_Stream *)luaL_testudata(L, index, LUA_FILEHANDLE);
  if (file != NULL) {
    if (file->closef == NULL)
      return "attempt to use a closed file";
    *fd = fileno(file->f);
    return NULL;
  }
  int exact = 0;
  lua_Integer n = 0;
  int type = lua_type(L, index);
  if (type == LUA_TNUMBER) {
    n = lua_tointegerx(L, index, &exact);
    if (!exact)
      return "number has no integer representation";
  } else if (type == LUA_TTABLE ||
             (type == LUA_TUSERDATA && /* indexing it may raise otherwise */
              luaL_getmetafield(L, index, "__index") != LUA_TNIL &&
              (lua_pop(L, 1), 1))) {
    if (lua_getfield(L, index, "getfd") == LUA_TFUNCTION) {
      lua_pushvalue(L, index);
      lua_call(L, 1, 1);
      if (lua_type(L, -1) == LUA_TNUMBER)
        n = lua_tointegerx(L, -1, &exact);
      lua_pop(L, 1);
      if (!exact)
        return "getfd returned no integer";
      if (n < 0) /* LuaSocket's getfd after close */
        return "attempt to use a closed socket";
    } else {
      lua_pop(L, 1);
    }
  }
  if (!exact)
    return lua_pushfstring(L, "descriptor, file or object with getfd "
                           "expected, got %s", luaL_typename(L, index));
  if (n < INT_MIN || n > INT_MAX)
    return "descriptor out of range";
  *fd = (int)n;
  return NULL;
}

static int fdpass_lua_descriptor(lua_State *L, int arg)
{
  int fd = -1;
  const char *why = fdpass_lua_to_descriptor(L, arg, &fd);
  if (why != NULL)
    luaL_argerror(L, arg, why);
  return fd;
}

/* The table at argument `arg` as descriptors, stored in `fds` (room for
 * FDPASS_MAX_FDS). Returns the table's length: a longer list is left to
 * fdpass_send_fds, which refuses it (FDPASS_EINVAL) before reading `fds`. */
static size_t fdpass_lua_descriptors(lua_State *L, int arg, int *fds)
{
  luaL_checktype(L, arg, LUA_TTABLE);
  size_t n = lua_rawlen(L, arg);
  for (size_t i = 0; i < n && i < FDPASS_MAX_FDS; i++) {
    lua_rawgeti(L, arg, (lua_Integer)i + 1);
    const char *why = fdpass_lua_to_descriptor(L, -1, &fds[i]);
    if (why != NULL)
      luaL_argerror(L, arg, lua_pushfstring(L, "element %d: %s",
                                            (int)i + 1, why));
    lua_pop(L, 1);
  }
  return n;
}

/* A path: a string without NUL bytes. */
static const char *fdpass_lua_path(lua_State *L, int arg)
{
  size_t length;
  const char *path = luaL_checklstring(L, arg, &length);
  luaL_argcheck(L, strlen(path) == length, arg, "path contains a NUL byte");
  return path;
}

static int fdpass_lua_nothing(lua_State *L)
{
  (void)L;
  return 0;
}

/* A signal interrupted a wait: the state's hooks run. lua.c's SIGINT
 * handler sets a hook, which raises "interrupted!" at the next call, as
 * it does after io.read returns. The call is to an empty function, so
 * that hooks of any other kind only run and the wait goes on. */
static void fdpass_lua_interrupted(void *context)
{
  lua_State *L = context;
  if (lua_gethook(L) != NULL) {
    lua_pushcfunction(L, fdpass_lua_nothing);
    lua_call(L, 0, 0);
  }
}
/* Before a send on argument 1: a file's buffered output goes first, or it
 * would follow the descriptors. A file's read buffer cannot be seen, so a
 * receive takes it as it is (docs/bindings.md). */
static int fdpass_lua_sending(lua_State *L)
{
  luaL_Stream *file = (luaL_Stream *)luaL_testudata(L, 1, LUA_FILEHANDLE);
  return file != NULL && file->closef != NULL && fflush(file->f) != 0
             ? FDPASS_ESYS : FDPASS_OK;
}
#define FDPASS_BINDING_SENDING() fdpass_lua_sending(L)
#define FDPASS_BINDING_RECEIVING() FDPASS_OK

#define FDPASS_BINDING_WAIT(sock, events, timeout_ms) \
  fdpass_binding_wait(sock, events, timeout_ms, fdpass_lua_interrupted, L)
#define FDPASS_BINDING_BLOCK(sock, events) \
  FDPASS_BINDING_WAIT(sock, events, -1)
#define FDPASS_BINDING_ACCEPT(listener, sock) \
  fdpass_binding_accept(listener, sock, fdpass_lua_interrupted, L)
%}

%typemap(in) int INTEGER %{ $1 = fdpass_lua_int(L, $input); %}
%typemap(out) int INTEGER %{ lua_pushinteger(L, $1); SWIG_arg++; %}
%typemap(in) int flags %{ $1 = lua_isnoneornil(L, $input) ? 0 : fdpass_lua_int(L, $input); %}
%typemap(in) const char *PATH %{ $1 = (char *)fdpass_lua_path(L, $input); %}

%typemap(in) int DESCRIPTOR %{ $1 = fdpass_lua_descriptor(L, $input); %}

%typemap(in, numinputs=0) int *NEW_DESCRIPTOR (int descriptor = -1)
%{ $1 = &descriptor; %}
%typemap(argout) int *NEW_DESCRIPTOR
%{ if (result == FDPASS_OK) { lua_pushinteger(L, *$1); SWIG_arg++; } %}
%apply int *NEW_DESCRIPTOR { int *PAIR_END };

%typemap(in, numinputs=0) int64_t *ID (int64_t id = -1) %{ $1 = &id; %}
%typemap(argout) int64_t *ID
%{ if (result == FDPASS_OK) { lua_pushinteger(L, *$1); SWIG_arg++; } %}

%typemap(in) (const void *DATA, size_t *LENGTH) (size_t length = 0)
%{ $1 = (void *)luaL_checklstring(L, $input, &length); $2 = &length; %}
%typemap(argout) (const void *DATA, size_t *LENGTH)
%{ if (result == FDPASS_OK) { lua_pushinteger(L, (lua_Integer)*$2); SWIG_arg++; } %}

%typemap(default) (const int *FDS, size_t NFDS) %{ $1 = NULL; $2 = 0; %}
%typemap(in) (const int *FDS, size_t NFDS) (int fds[FDPASS_MAX_FDS])
%{ if (!lua_isnil(L, $input)) { $2 = fdpass_lua_descriptors(L, $input, fds); $1 = fds; } %}

/* The data arrives in a scratch userdata, which Lua collects also when
 * an error unwinds the call. */
%typemap(default) (void *BUFFER, size_t *CAPACITY)
  (size_t capacity = FDPASS_BINDING_RECV_LEN)
%{ $2 = &capacity; %}
%typemap(in) (void *BUFFER, size_t *CAPACITY)
%{ *$2 = fdpass_lua_capacity(L, $input, *$2); %}
%typemap(check) (void *BUFFER, size_t *CAPACITY)
%{ $1 = lua_newuserdatauv(L, *$2, 0); %}
%typemap(argout) (void *BUFFER, size_t *CAPACITY)
%{ if (fdpass_delivered(result)) { lua_pushlstring(L, (const char *)$1, *$2); SWIG_arg++; } %}

%typemap(default) (int *RECEIVED, size_t *COUNT)
  (int fds[FDPASS_MAX_FDS], size_t count = FDPASS_MAX_FDS)
%{ $1 = fds; $2 = &count; %}
%typemap(in) (int *RECEIVED, size_t *COUNT)
%{ *$2 = fdpass_lua_capacity(L, $input, *$2);
   if (*$2 > FDPASS_MAX_FDS) *$2 = FDPASS_MAX_FDS; %}
%typemap(argout) (int *RECEIVED, size_t *COUNT) %{
  if (fdpass_delivered(result)) {
    lua_createtable(L, (int)*$2, 0);
    for (size_t i = 0; i < *$2; i++) {
      lua_pushinteger(L, $1[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushboolean(L, result == FDPASS_ETRUNC);
    SWIG_arg += 2;
  }
%}

/* The status itself is never a result. On success a call with no other
 * result returns true. */
%typemap(out) int STATUS, int PARTIAL_STATUS "";
%typemap(ret) int STATUS %{
  if ($1 != FDPASS_OK)
    return fdpass_lua_failure(L, $1);
  if (SWIG_arg == 0) {
    lua_pushboolean(L, 1);
    SWIG_arg = 1;
  }
%}
%typemap(ret) int PARTIAL_STATUS %{
  if (!fdpass_delivered($1))
    return fdpass_lua_failure(L, $1);
%}

%include "fdpass.i"
%include "fileno.i"
%include "native.i"
