#include "CFlightRecorder.h"
