module tracexport.fixtures/cpuprofile

go 1.22
