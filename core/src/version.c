/* SPDX-License-Identifier: MIT */
/* version.c - the version of the library actually loaded. */
#include "internal.h"

int fdpass_version(void)
{
  return FDPASS_VERSION_MAJOR * 10000 + FDPASS_VERSION_MINOR * 100 +
         FDPASS_VERSION_PATCH;
}

#define FDPASS_STR_(x) #x
#define FDPASS_XSTR_(x) FDPASS_STR_(x)

const char *fdpass_version_string(void)
{
  return FDPASS_XSTR_(FDPASS_VERSION_MAJOR) "." FDPASS_XSTR_(
      FDPASS_VERSION_MINOR) "." FDPASS_XSTR_(FDPASS_VERSION_PATCH);
}
