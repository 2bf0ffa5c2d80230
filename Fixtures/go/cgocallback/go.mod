module tracexport.fixtures/cgocallback

go 1.22
