module tracexport.fixtures/workload

go 1.22
