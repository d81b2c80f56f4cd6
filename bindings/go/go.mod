module usdt

go 1.19
