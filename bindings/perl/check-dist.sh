#!/bin/sh
# SPDX-License-Identifier: MIT
# check-dist.sh TARBALL PERL TEST: build the FDPass distribution offline as
# its users would (perl Makefile.PL && make && make test && make install)
# into a temporary prefix, with a `swig` on PATH that fails if it is run,
# then run the module's tests TEST against the installed module.
set -eu
tarball=$1 perl=$2 test=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/scratch"
printf '#!/bin/sh\necho "check-dist: swig ran" >&2\nexit 1\n' > "$tmp/bin/swig"
chmod +x "$tmp/bin/swig"
export PATH="$tmp/bin:$PATH"
unset PERL5LIB PERL5OPT PERL_MM_OPT PERL_MB_OPT

tar xzf "$tarball" -C "$tmp"
cd "$tmp"/FDPass-*
{
  "$perl" Makefile.PL INSTALL_BASE="$tmp/prefix" &&
  make && make test && make install
} > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
cd "$tmp"

arch=$("$perl" -MConfig -e 'print $Config{archname}')
export PERL5LIB="$tmp/prefix/lib/perl5/$arch:$tmp/prefix/lib/perl5"
"$perl" -MFDPass -e '
  my ($pm, $prefix) = ($INC{"FDPass.pm"}, "'"$tmp"'/prefix/");
  die "check-dist: loaded $pm, not the installed module\n"
    unless index($pm, $prefix) == 0;'
"$perl" "$test" "$tmp/scratch"
echo "check-dist: $(basename "$tarball") installed offline and passed the tests"
