module oomsvc

go 1.19
