#ifndef OVERSEER_CSYSTEMD_SHIM_H
#define OVERSEER_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif
