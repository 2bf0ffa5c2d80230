module tracexport.fixtures/coroutines

go 1.23
