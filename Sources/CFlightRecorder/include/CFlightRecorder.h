#ifndef CFLIGHTRECORDER_H
#define CFLIGHTRECORDER_H
#include <stdint.h>
#endif
