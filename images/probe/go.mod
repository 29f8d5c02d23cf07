module kansoku.local/images/probe

go 1.24
