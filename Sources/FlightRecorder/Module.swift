// FlightRecorder
