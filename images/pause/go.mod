module kansoku.local/images/pause

go 1.24
