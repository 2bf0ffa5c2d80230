module tracexport.fixtures/corpusconv

go 1.22
