print("tracexport")
