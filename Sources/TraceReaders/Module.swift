// TraceReaders
