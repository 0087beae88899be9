/* SPDX-License-Identifier: MIT */
/*
 * native.i - the Lua module's own functions, beside the generated ones:
 * fdopen, a Lua file from a descriptor; and the module's metadata.
 * %included by swig/lua.i.
 */
%{
/* A Lua file's closef, as io's own: close the stream, report io-style. */
static int fdpass_lua_fclose(lua_State *L)
{
  luaL_Stream *file = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  return luaL_fileresult(L, fclose(file->f) == 0, NULL);
}

/* A mode io.open accepts: r, w or a, then an optional +, then b's. */
static int fdpass_lua_valid_mode(const char *mode)
{
  if (*mode == '\0' || strchr("rwa", *mode++) == NULL)
    return 0;
  if (*mode == '+')
    mode++;
  return strspn(mode, "b") == strlen(mode);
}

/* fdpass.fdopen(fd [, mode]): a Lua file that owns `fd` (closing the file
 * closes it). The mode defaults to the descriptor's access mode. */
static int fdpass_lua_fdopen(lua_State *L)
{
  int fd = fdpass_lua_int(L, 1);
  const char *mode = luaL_optstring(L, 2, NULL);
  luaL_argcheck(L, mode == NULL || fdpass_lua_valid_mode(mode), 2,
                "invalid mode");
  const char *access = fdpass_access_mode(fd);
  if (access == NULL)
    return fdpass_lua_failure(L, FDPASS_EBADF);
  luaL_Stream *file = (luaL_Stream *)lua_newuserdatauv(L, sizeof *file, 0);
  file->closef = NULL; /* a closed file, until fdopen succeeds */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  file->f = fdopen(fd, mode != NULL ? mode : access);
  if (file->f == NULL) /* the mode does not fit the descriptor */
    return fdpass_lua_failure(L, FDPASS_EINVAL);
  file->closef = fdpass_lua_fclose;
  return 1;
}

static int fdpass_lua_read_only(lua_State *L)
{
  return luaL_error(L, "attempt to set fdpass.%s: the module is read-only",
                    luaL_tolstring(L, 2, NULL));
}

/* The iterator of pairs(fdpass): the contents of the table behind it. */
static int fdpass_lua_next(lua_State *L)
{
  lua_settop(L, 2);
  return lua_next(L, 1) ? 2 : (lua_pushnil(L), 1);
}

static int fdpass_lua_pairs(lua_State *L)
{
  lua_pushcfunction(L, fdpass_lua_next);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushnil(L);
  return 3;
}

/* Make the constants of the module table at the top of the stack
 * read-only, so that fdpass.EBADF = 7 is an error rather than a change
 * that every user of the module sees: they move to a table that the
 * metatable's __index serves, and __newindex refuses to set them. The
 * functions stay in the table itself, where error messages find their
 * names. pairs(fdpass) lists both. */
static void fdpass_lua_seal(lua_State *L)
{
  int module = lua_gettop(L);
  lua_newtable(L); /* the constants */
  lua_newtable(L); /* everything, for pairs */
  lua_pushnil(L);
  while (lua_next(L, module) != 0) {
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    lua_rawset(L, module + 2);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, module + 1);
      lua_pushvalue(L, -1); /* removing a key while traversing is allowed */
      lua_pushnil(L);
      lua_rawset(L, module);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pushcclosure(L, fdpass_lua_pairs, 1); /* over everything */
  lua_createtable(L, 0, 4);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__pairs");
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index"); /* the constants */
  lua_pushcfunction(L, fdpass_lua_read_only);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "fdpass");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, module);
}
%}

%native(fdopen) int fdpass_lua_fdopen(lua_State *L);

/* _VERSION as Lua modules have it, "fdpass 1.2.0"; then the module table
 * is sealed. SWIG leaves it at the top of the stack. */
%init %{
  /* SWIG's runtime sets the globals swig_type and swig_equals, for
   * modules with C types; this one has none, so it takes back its own. */
  if (lua_getglobal(L, "swig_type") == LUA_TFUNCTION &&
      lua_tocfunction(L, -1) == SWIG_Lua_type) {
    lua_pushnil(L);
    lua_setglobal(L, "swig_type");
    lua_pushnil(L);
    lua_setglobal(L, "swig_equals");
  }
  lua_pop(L, 1);
  lua_pushliteral(L, "_VERSION");
  lua_pushfstring(L, "fdpass %s", fdpass_version_string());
  lua_rawset(L, -3);
  fdpass_lua_seal(L);
%}

/* The descriptor store. A holder is a path (a string: the call connects,
 * and closes that connection after it) or a connected socket. Every
 * argument is checked before connecting, so that a Lua error leaves no
 * connection open. */
%{
/* The holder at argument 1: its path, or NULL and the socket in `*sock`. */
static const char *fdpass_lua_holder(lua_State *L, int *sock)
{
  if (lua_type(L, 1) == LUA_TSTRING)
    return fdpass_lua_path(L, 1);
  *sock = fdpass_lua_descriptor(L, 1);
  return NULL;
}

/* Argument `arg` as a name, or NULL when it is nil and `optional`. The
 * holder's rules are the library's to check (FDPASS_EINVAL). */
static const char *fdpass_lua_name(lua_State *L, int arg, int optional)
{
  if (optional && lua_isnoneornil(L, arg))
    return NULL;
  size_t length;
  const char *name = luaL_checklstring(L, arg, &length);
  luaL_argcheck(L, strlen(name) == length, arg, "name contains a NUL byte");
  return name;
}

static int fdpass_lua_timeout(lua_State *L, int arg)
{
  return lua_isnoneornil(L, arg) ? -1 : fdpass_lua_int(L, arg);
}

/* The names of a colon-separated list as a sequence at the top of the
 * stack: `count` of them, or all (SIZE_MAX). */
static void fdpass_lua_names(lua_State *L, const char *names, size_t count)
{
  lua_newtable(L);
  for (lua_Integer i = 1; *names != '\0' && (size_t)i - 1 < count; i++) {
    const char *name = names;
    size_t length = fdpass_binding_next_name(&names);
    lua_pushlstring(L, name, length);
    lua_rawseti(L, -2, i);
  }
}

/* The end of a call without results: true, or nil, message, code. */
static int fdpass_lua_done(lua_State *L, int status)
{
  if (status != FDPASS_OK)
    return fdpass_lua_failure(L, status);
  lua_pushboolean(L, 1);
  return 1;
}

/* Field `key` of the options table at `arg` as an integer, or
 * `otherwise` when it is nil. */
static int fdpass_lua_option_int(lua_State *L, int arg, const char *key,
                                 int otherwise)
{
  lua_getfield(L, arg, key);
  int n = otherwise;
  if (!lua_isnil(L, -1)) {
    int exact = 0;
    lua_Integer value = lua_tointegerx(L, -1, &exact);
    if (!exact || value < INT_MIN || value > INT_MAX)
      return luaL_error(L, "bad option '%s' (integer expected, got %s)", key,
                        luaL_typename(L, -1));
    n = (int)value;
  }
  lua_pop(L, 1);
  return n;
}

/* fdpass.store(holder, name, fds [, timeout_ms | options]) -> true, where
 * options is { new = boolean, lifetime = ms, timeout = ms }. */
static int fdpass_lua_store(lua_State *L)
{
  int sock = -1, fds[FDPASS_MAX_FDS];
  const char *path = fdpass_lua_holder(L, &sock);
  const char *name = fdpass_lua_name(L, 2, 0);
  size_t nfds = fdpass_lua_descriptors(L, 3, fds);
  int flags = 0, lifetime_ms = 0, timeout_ms;
  if (lua_istable(L, 4)) {
    lua_getfield(L, 4, "new");
    flags = lua_toboolean(L, -1) ? FDPASS_STORE_NEW : 0;
    lua_pop(L, 1);
    lifetime_ms = fdpass_lua_option_int(L, 4, "lifetime", 0);
    timeout_ms = fdpass_lua_option_int(L, 4, "timeout", -1);
  } else {
    timeout_ms = fdpass_lua_timeout(L, 4);
  }
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_store_with(sock, name, fds, nfds, flags, lifetime_ms,
                               timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  return fdpass_lua_done(L, status);
}

/* fdpass.remove(holder, name [, timeout_ms]) -> true */
static int fdpass_lua_remove(lua_State *L)
{
  int sock = -1;
  const char *path = fdpass_lua_holder(L, &sock);
  const char *name = fdpass_lua_name(L, 2, 0);
  int timeout_ms = fdpass_lua_timeout(L, 3);
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_remove(sock, name, timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  return fdpass_lua_done(L, status);
}

/* fdpass.list(holder [, timeout_ms]) -> names */
static int fdpass_lua_list(lua_State *L)
{
  int sock = -1;
  const char *path = fdpass_lua_holder(L, &sock);
  int timeout_ms = fdpass_lua_timeout(L, 2);
  char *names = NULL;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_list(sock, timeout_ms, &names);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    return fdpass_lua_failure(L, status);
  /* In a string first: a memory error while making the table would
   * leak a malloc'd buffer, never a Lua string. */
  lua_pushstring(L, names);
  free(names);
  fdpass_lua_names(L, lua_tostring(L, -1), SIZE_MAX);
  return 1;
}

/* The __gc of what a fetch delivered: its descriptors are closed unless
 * they made it into the result, so that a memory error while making the
 * tables leaks none. */
static int fdpass_lua_fetched_gc(lua_State *L)
{
  struct fdpass_binding_fetched *got =
      (struct fdpass_binding_fetched *)lua_touserdata(L, 1);
  for (size_t i = 0; got->fds != NULL && i < got->nfds; i++)
    fdpass_close(got->fds[i]);
  fdpass_binding_fetched_free(got);
  return 0;
}

/* fdpass.fetch(holder [, name [, timeout_ms]]) -> fds, names */
static int fdpass_lua_fetch(lua_State *L)
{
  int sock = -1;
  const char *path = fdpass_lua_holder(L, &sock);
  const char *name = fdpass_lua_name(L, 2, 1);
  int timeout_ms = fdpass_lua_timeout(L, 3);
  struct fdpass_binding_fetched *got = (struct fdpass_binding_fetched *)
      lua_newuserdatauv(L, sizeof *got, 0);
  memset(got, 0, sizeof *got);
  if (luaL_newmetatable(L, "fdpass.fetched")) {
    lua_pushcfunction(L, fdpass_lua_fetched_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_fetch(sock, name, timeout_ms, got);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    return fdpass_lua_failure(L, status);
  lua_createtable(L, (int)got->nfds, 0);
  for (size_t i = 0; i < got->nfds; i++) {
    lua_pushinteger(L, got->fds[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  fdpass_lua_names(L, got->names, got->nfds);
  fdpass_binding_fetched_free(got); /* the descriptors are the caller's */
  return 2;
}
%}

%native(store) int fdpass_lua_store(lua_State *L);
%native(fetch) int fdpass_lua_fetch(lua_State *L);
%native(list) int fdpass_lua_list(lua_State *L);
%native(remove) int fdpass_lua_remove(lua_State *L);
