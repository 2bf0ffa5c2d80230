module tracexport.fixtures/largegen

go 1.22
