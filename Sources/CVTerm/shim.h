#ifndef OVERSEER_CVTERM_SHIM_H
#define OVERSEER_CVTERM_SHIM_H
#include <vterm.h>
#endif
