module tlcgoshared

go 1.19
