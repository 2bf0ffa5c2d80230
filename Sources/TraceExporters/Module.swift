// TraceExporters
