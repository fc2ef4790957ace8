module example.com/keda/v2

go 1.26
