#!/bin/sh
# SPDX-License-Identifier: MIT
# check-gem.sh GEM TEST RUBY GEM_COMMAND: install the gem offline into a
# temporary directory, with a `swig` on PATH that fails if it is run, then
# run the Ruby tests against the installed gem.
set -eu
gem_file=$1 test=$2 ruby=$3 gem=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "check-gem: swig ran" >&2\nexit 1\n' > "$tmp/bin/swig"
chmod +x "$tmp/bin/swig"

PATH="$tmp/bin:$PATH" "$gem" install --local --no-document \
  --install-dir "$tmp/gems" "$gem_file" > "$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; exit 1; }

# The system's gems stay visible: the tests need minitest.
export GEM_HOME="$tmp/gems" GEM_PATH="$tmp/gems:$("$gem" env gempath)"
unset RUBYLIB
"$ruby" -e 'require "fdpass"
  loaded = $LOADED_FEATURES.grep(/fdpass\.so\z/)
  abort "check-gem: loaded #{loaded}, not the gem" unless
    loaded.size == 1 && loaded[0].start_with?(ENV["GEM_HOME"])'
"$ruby" "$test"
echo "check-gem: $(basename "$gem_file") installed offline and passed the tests"
