module tracexport.fixtures/requestserver

go 1.25
