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
