#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh BUILD_DIR README LUA_DIR RUBY_DIR TCL_DIR LUA RUBY TCLSH
# [PERL_DIR PERL]: install the build into a temporary prefix, then run
# README's Lua, Ruby, Tcl (and Perl) examples, and docs/bindings.md's Tcl
# store example (with the installed fdpass command), with the modules
# installed there (LUA_DIR, RUBY_DIR, TCL_DIR and PERL_DIR, relative to the
# prefix) and compare what they print with what the documents say they
# print.
set -eu
build=$1 readme=$2 lua_dir=$3 ruby_dir=$4 tcl_dir=$5 lua=$6 ruby=$7 tclsh=$8
perl_dir=${9:-} perl=${10:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"

# The example $1 of the document $examples (README unless set): the first
# code block after the line "<!-- example: $1 ...", into $tmp/$1.code, and
# the next block, what it prints, into $tmp/$1.expected.
extract() {
  awk -v marker="<!-- example: $1 " -v code="$tmp/$1.code" \
      -v expected="$tmp/$1.expected" '
    index($0, marker) == 1 { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 2 && /^```/ { state = 3; next }
    state == 2 { print > code }
    state == 3 && /^```/ { state = 4; next }
    state == 4 && /^```/ { state = 5; next }
    state == 4 { print > expected }' "${examples:-$readme}"
  [ -s "$tmp/$1.code" ] && [ -s "$tmp/$1.expected" ] ||
    { echo "check-install: no $1 example in ${examples:-$readme}" >&2
      exit 1; }
}

# run LANGUAGE COMMAND...: run the example, compare with README.
run() {
  language=$1
  shift
  extract "$language"
  (cd "$tmp" && "$@" "$tmp/$language.code") > "$tmp/$language.actual"
  diff -u "$tmp/$language.expected" "$tmp/$language.actual" ||
    { echo "check-install: the $language example printed otherwise" >&2
      exit 1; }
}

LUA_CPATH="$prefix/$lua_dir/?.so;;" run lua "$lua" # ;; keeps the default path
RUBYLIB="$prefix/$ruby_dir" run ruby "$ruby"
TCLLIBPATH="$prefix/$tcl_dir" run tcl "$tclsh"
languages="Lua, Ruby and Tcl"
if [ -n "$perl" ]; then
  # The installed module alone: no PERL5LIB from the build's environment.
  PERL5LIB="$prefix/$perl_dir" PERL5OPT= run perl "$perl"
  languages="Lua, Ruby, Tcl and Perl"
fi
# The store's example starts the installed `fdpass hold`.
examples=$(dirname "$readme")/docs/bindings.md
PATH="$prefix/bin:$PATH" TCLLIBPATH="$prefix/$tcl_dir" run tcl-store "$tclsh"
echo "check-install: README's $languages examples and the Tcl store" \
  "example ran from $prefix"
