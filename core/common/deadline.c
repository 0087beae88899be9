/* SPDX-License-Identifier: MIT */
/* deadline.c - see deadline.h; the clock is the platform layer's. */
#include "internal.h"
#include "deadline.h"
#include "platform.h"

#include <limits.h>

long long fdp_now_ms(void)
{
  return fdp_os_now_ms();
}

long long fdp_deadline_after(long timeout_ms)
{
  return timeout_ms < 0 ? FDP_NO_DEADLINE : fdp_os_now_ms() + timeout_ms;
}

int fdp_remaining_ms(long long deadline)
{
  if (deadline == FDP_NO_DEADLINE)
    return -1;
  long long left = deadline - fdp_os_now_ms();
  return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}
