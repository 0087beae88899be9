# SPDX-License-Identifier: MIT
# extconf.rb - compiles the fdpass extension from the SWIG wrapper and the
# library's C sources that the gem carries next to this file.
require 'mkmf'

# Only Init_fdpass is exported; the library's functions stay inside.
$CFLAGS << ' -fvisibility=hidden'
create_makefile('fdpass')
