module tracexport.fixtures/pingserver

go 1.25
