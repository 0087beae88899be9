# SPDX-License-Identifier: MIT
# fdpass.gemspec - the fdpass gem: the Ruby extension, with the SWIG
# wrapper already generated and the library's C sources, compiled by
# ext/fdpass/extconf.rb where the gem is installed (Ruby headers and a C
# compiler needed, SWIG not). Build it with `cmake --build build --target
# ruby-gem`, which stages this tree in build/bindings/ruby/gem/.
header = File.read(File.join(__dir__, 'ext/fdpass/fdpass.h'))
version = %w[MAJOR MINOR PATCH].map do |part|
  header[/^#define FDPASS_VERSION_#{part} (\d+)/, 1] or
    raise "fdpass.gemspec: no FDPASS_VERSION_#{part} in fdpass.h"
end.join('.')

Gem::Specification.new do |spec|
  spec.name = 'fdpass'
  spec.version = version
  spec.summary = 'Pass open file descriptors between processes'
  spec.description = 'Sends open files, pipes and sockets to another ' \
    'process over a local socket (SCM_RIGHTS), wire-compatible with ' \
    "Perl's IO::FDPass; Ruby binding of libfdpass."
  spec.authors = ['libfdpass developers']
  spec.license = 'MIT'
  # Placeholders for the maintainer to point at the project's home.
  spec.homepage = 'https://example.invalid/libfdpass'
  spec.metadata = { 'source_code_uri' => spec.homepage }
  spec.required_ruby_version = '>= 2.7'
  spec.files = Dir['README.md', 'LICENSE', 'ext/fdpass/*.{c,h,rb}']
  spec.extensions = ['ext/fdpass/extconf.rb']
end
