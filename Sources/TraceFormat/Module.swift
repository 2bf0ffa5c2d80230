// TraceFormat
