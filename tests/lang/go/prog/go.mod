module tlcgoprog

go 1.19
