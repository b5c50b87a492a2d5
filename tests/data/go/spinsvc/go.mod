module spinsvc

go 1.19
