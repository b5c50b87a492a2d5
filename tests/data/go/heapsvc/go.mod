module heapsvc

go 1.19
