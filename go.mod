module github.com/icclabs/commandcenter

go 1.26
